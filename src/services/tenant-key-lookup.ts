import type { KeyHandle } from '../crypto/keys/key-material.ts';
import type { TenantKeyPurpose } from '../crypto/keys/keyring.ts';
import type { UnitOfWork } from '../data/unit-of-work.ts';
import { PatientKeyMissingError, type PatientProtection } from './patient-protection.ts';

/** Key ids of tenant keys in object headers: `tenant/<tenant>/<purpose>/<version>` (src/crypto/keys/keyring.ts). */
const TENANT_KEY_ID = /^tenant\/([0-9a-f-]{36})\/([a-z-]{1,32})\/(\d{1,9})$/;

/**
 * Opens objects sealed under a tenant key of one purpose (quarantine, export): the version comes
 * from the object's header, so an object outlives a rotation; a key of another tenant or purpose is
 * refused, so an object copied in from elsewhere does not open, whatever its header says.
 */
export function tenantKeyLookup(uow: UnitOfWork, protection: PatientProtection, tenantId: string, purpose: TenantKeyPurpose): (keyId: string) => Promise<KeyHandle> {
  return async (keyId) => {
    const match = TENANT_KEY_ID.exec(keyId);
    if (!match || match[1] !== tenantId || match[2] !== purpose) throw new PatientKeyMissingError();
    return uow.read(tenantId, (tx) => protection.tenantKey(tx, tenantId, purpose, Number(match[3])));
  };
}
