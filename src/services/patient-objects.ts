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
   * Like `put`, with the patient's data key that the caller opened in a transaction of its own (the
   * ingest pipeline reads it with its plan: one transaction less per stored image).
   */
  async putWithKey(key: KeyHandle, objectId: string, plaintext: Readable): Promise<StoredObject> {
    return this.store.put(key, objectId, plaintext);
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

  /**
   * The plaintext of an object. `opened`: the patient's key when the caller already read it (with the
   * object's index row); used only if the header names exactly that key, any other goes through the
   * tenant-checked lookup.
   */
  open(tenantId: string, objectId: string, opened?: KeyHandle): Promise<Readable> {
    const lookup = this.lookup(tenantId);
    return this.store.open(opened ? (keyId) => (keyId === opened.id ? Promise.resolve(opened) : lookup(keyId)) : lookup, objectId);
  }

  /** Removes an object that was never indexed (a refused or lost race); true when it existed. */
  remove(objectId: string): Promise<boolean> {
    return this.store.delete(objectId);
  }

  readRange(tenantId: string, objectId: string, start: number, endInclusive: number): Promise<Buffer> {
    return this.store.readRange(this.lookup(tenantId), objectId, start, endInclusive);
  }
}
