import type { Readable } from 'node:stream';
import type { KeyHandle } from '../crypto/keys/key-material.ts';
import type { UnitOfWork } from '../data/unit-of-work.ts';
import type { EncryptedBlobStore, StoredObject } from '../storage/encrypted-blob-store.ts';
import { PatientKeyMissingError, type PatientProtection } from './patient-protection.ts';

/** Key ids written into object headers: `patient/<tenant>/<patient>/<version>` (src/crypto/keys/keyring.ts). */
const KEY_ID = /^patient\/([0-9a-f-]{36})\/([0-9a-f-]{36})\/(\d{1,9})$/;

/**
 * Objects that belong to a patient (images, results, exports), encrypted under a key derived from the
 * patient's data key (KEY-1): erasing the patient (crypto-shredding) makes them unreadable too. Callers
 * check access first; this class only seals and opens.
 */
export class PatientObjects {
  constructor(private readonly uow: UnitOfWork, private readonly protection: PatientProtection, private readonly store: EncryptedBlobStore) {}

  private async patientKey(tenantId: string, patientId: string, version: number): Promise<KeyHandle> {
    return this.uow.read(tenantId, (tx) => this.protection.patientKey(tx, tenantId, patientId, version));
  }

  /** Reads the plaintext stream into an encrypted object named `objectId`. */
  async put(tenantId: string, patientId: string, objectId: string, plaintext: Readable): Promise<StoredObject> {
    return this.store.put(await this.patientKey(tenantId, patientId, 1), objectId, plaintext);
  }

  /**
   * The key an object names in its header, if it is a key of this tenant: an object copied in from
   * another tenant does not open, whatever its header says.
   */
  private lookup(tenantId: string) {
    return async (keyId: string): Promise<KeyHandle> => {
      const match = KEY_ID.exec(keyId);
      if (!match || match[1] !== tenantId) throw new PatientKeyMissingError();
      return this.patientKey(tenantId, match[2] as string, Number(match[3]));
    };
  }

  open(tenantId: string, objectId: string): Promise<Readable> {
    return this.store.open(this.lookup(tenantId), objectId);
  }

  /** Removes an object that was never indexed (a refused or lost race); true when it existed. */
  remove(objectId: string): Promise<boolean> {
    return this.store.delete(objectId);
  }

  readRange(tenantId: string, objectId: string, start: number, endInclusive: number): Promise<Buffer> {
    return this.store.readRange(this.lookup(tenantId), objectId, start, endInclusive);
  }
}
