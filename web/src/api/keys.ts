import { get, post } from './client';

/** What a tenant key is for. */
export type KeyPurpose = 'kek' | 'blind-index' | 'pseudonym';
/** Where a key version is in its life: in use, being replaced (its patient keys move away), or gone. */
export type KeyState = 'active' | 'retiring' | 'retired';

/** One version of one of the organisation's keys, as Administrators see it (never key material). */
export interface TenantKey {
  purpose: KeyPurpose;
  version: number;
  state: KeyState;
  rootKeyId: string;
  createdAt: string;
  ageDays: number;
  retiredAt: string | null;
  /** Patient data keys wrapped by this version (key-encryption keys that are not retired), else null. */
  patientKeys: number | null;
  /** When the schedule rotates this key-encryption key (the active one only), else null. */
  nextRotation: string | null;
}

/** The organisation's key status: the root key it hangs from, the rotation period, every key version. */
export interface KeyStatus {
  provider: string;
  rootKeyId: string;
  rotationDays: number;
  keys: TenantKey[];
}

/** The organisation's keys (Administrator). */
export function getKeyStatus(): Promise<KeyStatus> {
  return get<KeyStatus>('/api/admin/keys');
}

/**
 * Starts a rotation of the organisation's key-encryption key (Administrator, step-up). Re-wrapping
 * continues on the server after the answer; `getKeyStatus` shows how far it got.
 */
export function rotateKeys(): Promise<KeyStatus> {
  return post<KeyStatus>('/api/admin/keys/rotate');
}
