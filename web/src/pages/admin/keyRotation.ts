import type { KeyPurpose, KeyState, KeyStatus, TenantKey } from '../../api/keys';

/** A key's purpose in words. */
export const purposeLabels: Record<KeyPurpose, string> = {
  kek: 'Key-encryption key',
  'blind-index': 'Blind-index key',
  pseudonym: 'Pseudonym key',
};

/** A key state in words, with the badge tone that shows it. */
export const stateLabels: Record<KeyState, { label: string; tone: string }> = {
  active: { label: 'Active', tone: 'badge-ok' },
  retiring: { label: 'Retiring', tone: 'badge-severity-medium' },
  retired: { label: 'Retired', tone: 'badge-neutral' },
};

const purposeOrder: readonly KeyPurpose[] = ['kek', 'blind-index', 'pseudonym'];

/** Key-encryption key first, then the others; within a purpose, the newest version first. */
export function sortedKeys(keys: readonly TenantKey[]): TenantKey[] {
  const rank = (purpose: KeyPurpose): number => {
    const index = purposeOrder.indexOf(purpose);
    return index === -1 ? purposeOrder.length : index;
  };
  return [...keys].sort((a, b) => rank(a.purpose) - rank(b.purpose) || b.version - a.version);
}

/** How far a rotation of the key-encryption key has come: patient keys already under the new version, of all. */
export interface RotationProgress {
  done: number;
  total: number;
  /** 0 to 100, whole numbers. */
  percent: number;
}

/**
 * The progress of a rotation under way (a key-encryption key version is retiring), or null when
 * none is. Patient keys move from the retiring version(s) to the active one, so the share already
 * under the active version is the share done.
 */
export function rotationProgress(status: KeyStatus): RotationProgress | null {
  const keks = status.keys.filter((key) => key.purpose === 'kek');
  const retiring = keks.filter((key) => key.state === 'retiring');
  if (retiring.length === 0) return null;
  const done = keks.find((key) => key.state === 'active')?.patientKeys ?? 0;
  const left = retiring.reduce((sum, key) => sum + (key.patientKeys ?? 0), 0);
  const total = done + left;
  return { done, total, percent: total === 0 ? 100 : Math.floor((done / total) * 100) };
}

/** The version of the active key-encryption key, or null when there is none. */
export function activeKekVersion(status: KeyStatus): number | null {
  return status.keys.find((key) => key.purpose === 'kek' && key.state === 'active')?.version ?? null;
}
