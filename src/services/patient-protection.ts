import { BlindIndexer, foldName } from '../crypto/blind-index.ts';
import { FieldIntegrityError, openField, sealField, type FieldPlace } from '../crypto/field-cipher.ts';
import type { KeyHandle } from '../crypto/keys/key-material.ts';
import { KeyUnwrapError, type Keyring, type TenantKeyPurpose } from '../crypto/keys/keyring.ts';
import { keyRepository } from '../data/repositories/key.repository.ts';
import type { PatientIndexes, StoredPatient } from '../data/repositories/patient.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import { ClarusError } from '../domain/error-catalog.ts';
import { encryptedPatientFields, type EncryptedPatientColumn, type PatientInput, type PatientRecord } from '../domain/patient.ts';

/** Canonical forms of the exactly-searchable values (what the blind index is computed over). */
export const canonical = {
  mrn: (mrn: string) => mrn,
  email: (email: string) => email.trim().toLowerCase(),
  phone: (phone: string) => phone.trim(),
};

/** A data key not yet stored. */
export interface NewPatientKey {
  handle: KeyHandle;
  wrapped: Buffer;
  kekVersion: number;
}

/** A patient's data key could not be found or opened: erased (destroyed key) or damaged. */
export class PatientKeyMissingError extends Error {}

/** True for the failures that mean stored ciphertext or keys are damaged (High security events). */
export function isIntegrityFailure(error: unknown): error is FieldIntegrityError | KeyUnwrapError {
  return error instanceof FieldIntegrityError || error instanceof KeyUnwrapError;
}

/**
 * Encryption of patient data (KEY-1, KEY-2) for the services: the tenant's keys (created on first
 * use), each patient's data key, field encryption bound to its place, and blind indexes. Key bytes
 * stay inside crypto/: this class only holds handles.
 */
export class PatientProtection {
  /** Data keys read in a transaction, per transaction (gone with it). */
  private readonly keysInTx = new WeakMap<Tx, Map<string, Promise<KeyHandle>>>();

  constructor(private readonly keyring: Keyring, private readonly clock: () => Date) {}

  /** The active tenant key of a purpose, created (version 1) if the tenant has none yet. */
  async activeTenantKey(tx: Tx, tenantId: string, purpose: TenantKeyPurpose): Promise<{ version: number; handle: KeyHandle }> {
    let row = await keyRepository.activeTenantKey(tx, tenantId, purpose);
    if (!row) {
      const created = await this.keyring.createTenantKey(tenantId, purpose, 1);
      // A concurrent first use may win; either way exactly one version 1 exists afterwards.
      await keyRepository.insertTenantKey(tx, created, this.clock());
      row = await keyRepository.activeTenantKey(tx, tenantId, purpose);
    }
    if (!row?.wrapped) throw new KeyUnwrapError(`tenant/${tenantId}/${purpose}`);
    return { version: row.version, handle: await this.keyring.openTenantKey({ ...row, wrapped: row.wrapped }) };
  }

  async tenantKey(tx: Tx, tenantId: string, purpose: TenantKeyPurpose, version: number): Promise<KeyHandle> {
    const row = await keyRepository.tenantKey(tx, tenantId, purpose, version);
    if (!row?.wrapped) throw new KeyUnwrapError(`tenant/${tenantId}/${purpose}/${version}`);
    return this.keyring.openTenantKey({ ...row, wrapped: row.wrapped });
  }

  async indexer(tx: Tx, tenantId: string): Promise<BlindIndexer> {
    return BlindIndexer.of((await this.activeTenantKey(tx, tenantId, 'blind-index')).handle);
  }

  /** For read-only work: the tenant's indexer, or undefined when it has none yet (and so no patients). */
  async existingIndexer(tx: Tx, tenantId: string): Promise<BlindIndexer | undefined> {
    const row = await keyRepository.activeTenantKey(tx, tenantId, 'blind-index');
    if (!row?.wrapped) return undefined;
    return BlindIndexer.of(await this.keyring.openTenantKey({ ...row, wrapped: row.wrapped }));
  }

  /**
   * A new patient's data key (version 1), wrapped by the tenant's active key-encryption key. It is
   * stored by `savePatientKey` once the patient row exists (the key row refers to it).
   */
  async newPatientKey(tx: Tx, tenantId: string, patientId: string): Promise<NewPatientKey> {
    const kek = await this.activeTenantKey(tx, tenantId, 'kek');
    const { handle, wrapped } = this.keyring.createDataKey(kek.handle, tenantId, patientId, 1);
    return { handle, wrapped, kekVersion: kek.version };
  }

  async savePatientKey(tx: Tx, tenantId: string, patientId: string, key: NewPatientKey): Promise<void> {
    await keyRepository.insertPatientKey(tx, { tenantId, patientId, version: 1, kekVersion: key.kekVersion, wrapped: key.wrapped });
  }

  /**
   * A patient's data key. Its row (with its key-encryption key's) is read every time, so an erased
   * or re-wrapped key takes effect at once; the unwrap itself is cached by the keyring.
   */
  patientKey(tx: Tx, tenantId: string, patientId: string, version: number): Promise<KeyHandle> {
    // Within one transaction a key is read once (an ingest matches the patient by MRN, which opens
    // their record, then seals under the same key). A failure is not remembered.
    let keys = this.keysInTx.get(tx);
    if (!keys) {
      keys = new Map();
      this.keysInTx.set(tx, keys);
    }
    const id = `${tenantId}/${patientId}/${version}`;
    let key = keys.get(id);
    if (!key) {
      key = this.readPatientKey(tx, tenantId, patientId, version);
      keys.set(id, key);
      key.catch(() => keys.delete(id));
    }
    return key;
  }

  private async readPatientKey(tx: Tx, tenantId: string, patientId: string, version: number): Promise<KeyHandle> {
    const row = await keyRepository.patientKeyWithKek(tx, tenantId, patientId, version);
    if (!row?.wrapped) throw new PatientKeyMissingError();
    if (!row.kek?.wrapped) throw new KeyUnwrapError(`tenant/${tenantId}/kek`);
    const kek = await this.keyring.openTenantKey({ ...row.kek, wrapped: row.kek.wrapped });
    return this.keyring.openDataKey(kek, tenantId, patientId, version, row.wrapped);
  }

  private place(tenantId: string, table: string, rowId: string, field: string, keyVersion: number): FieldPlace {
    return { tenantId, table, rowId, field, keyVersion };
  }

  /** Ciphertext for the given fields (null stays null: "no e-mail" is not PHI). */
  seal(key: KeyHandle, tenantId: string, patientId: string, keyVersion: number, input: Partial<PatientInput>): Partial<Record<EncryptedPatientColumn, Buffer | null>> {
    const out: Partial<Record<EncryptedPatientColumn, Buffer | null>> = {};
    for (const [field, column] of Object.entries(encryptedPatientFields) as [keyof PatientInput, EncryptedPatientColumn][]) {
      const value = input[field];
      if (value === undefined) continue;
      out[column] = value === null ? null : sealField(key, value, this.place(tenantId, 'patients', patientId, field, keyVersion));
    }
    return out;
  }

  open(key: KeyHandle, tenantId: string, stored: StoredPatient): PatientRecord {
    const read = (field: keyof PatientInput): string | null => {
      const sealed = stored.fields[encryptedPatientFields[field]];
      return sealed ? openField(key, sealed, this.place(tenantId, 'patients', stored.id, field, stored.dataKeyVersion)) : null;
    };
    const required = (field: keyof PatientInput): string => {
      const value = read(field);
      if (value === null) throw new FieldIntegrityError({ table: 'patients', rowId: stored.id, field, keyVersion: stored.dataKeyVersion });
      return value;
    };
    return {
      id: stored.id, mrn: required('mrn'), givenName: required('givenName'), familyName: required('familyName'), birthDate: required('birthDate'),
      sex: required('sex') as PatientRecord['sex'], email: read('email'), phone: read('phone'), address: read('address'),
      createdAt: stored.createdAt, updatedAt: stored.updatedAt,
    };
  }

  /** Opens a stored patient with their own key. */
  async openStored(tx: Tx, tenantId: string, stored: StoredPatient): Promise<PatientRecord> {
    return this.open(await this.patientKey(tx, tenantId, stored.id, stored.dataKeyVersion), tenantId, stored);
  }

  /** The blind indexes for a full record, or for the fields a patch changes. */
  indexes(indexer: BlindIndexer, p: PatientInput): PatientIndexes;
  indexes(indexer: BlindIndexer, p: Partial<PatientInput>, before: PatientRecord): Partial<PatientIndexes>;
  indexes(indexer: BlindIndexer, p: Partial<PatientInput>, before?: PatientRecord): Partial<PatientIndexes> {
    const out: Partial<PatientIndexes> = {};
    if (p.mrn !== undefined) out.mrn = indexer.exact('mrn', canonical.mrn(p.mrn));
    if (p.email !== undefined) out.email = p.email === null ? null : indexer.exact('email', canonical.email(p.email));
    if (p.phone !== undefined) out.phone = p.phone === null ? null : indexer.exact('phone', canonical.phone(p.phone));
    if (p.givenName !== undefined || p.familyName !== undefined) {
      out.nameTokens = indexer.nameTokens(p.givenName ?? before?.givenName ?? '', p.familyName ?? before?.familyName ?? '');
    }
    return out;
  }

  /** Seals a break-the-glass reason under the patient's key: it may name the patient. */
  sealGrantReason(key: KeyHandle, tenantId: string, grantId: string, reason: string): Buffer {
    return this.sealValue(key, tenantId, 'break_glass_grants', grantId, 'reason', reason);
  }

  /** Any identifying value of a patient's other records (studies, series, instances), bound to its place. */
  sealValue(key: KeyHandle, tenantId: string, table: string, rowId: string, field: string, value: string): Buffer {
    return sealField(key, value, this.place(tenantId, table, rowId, field, 1));
  }

  openValue(key: KeyHandle, tenantId: string, table: string, rowId: string, field: string, sealed: Buffer): string {
    return openField(key, sealed, this.place(tenantId, table, rowId, field, 1));
  }

  /** The tenant's quarantine key (infected uploads are kept sealed for Administrators). */
  /** Crypto-shredding: unwrapped data keys of the patient leave the keyring's cache, zeroed. */
  forgetPatientKeys(tenantId: string, patientId: string): void {
    this.keyring.forgetPatient(tenantId, patientId);
  }

  async quarantineKey(tx: Tx, tenantId: string): Promise<KeyHandle> {
    return (await this.activeTenantKey(tx, tenantId, 'quarantine')).handle;
  }
}

/** Whether a decrypted patient matches a name search term: a prefix of the name or of one of its words. */
export function matchesName(patient: Pick<PatientRecord, 'givenName' | 'familyName'>, term: string): boolean {
  const wanted = foldName(term);
  return [patient.givenName, patient.familyName].some((name) => {
    const folded = foldName(name);
    return folded.startsWith(wanted) || folded.split(/[\s'’.-]+/u).some((word) => word.startsWith(wanted));
  });
}

/** Maps a crypto failure to the safe error of the catalog (the caller records the security event). */
export function integrityError(): ClarusError {
  return new ClarusError('CLARUS_ERR_DATA_INTEGRITY');
}
