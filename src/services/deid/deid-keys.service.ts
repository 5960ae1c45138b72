import { TenantPseudonyms } from '../../crypto/pseudonyms.ts';
import type { UnitOfWork } from '../../data/unit-of-work.ts';
import type { PatientProtection } from '../patient-protection.ts';

/**
 * De-identification keys of a tenant (DEID-1, DEID-4): its keyed pseudonyms, UID mapping and date
 * shifts, from the tenant's `pseudonym` key (created on first use like the tenant's other keys).
 * Callers pass the result to the de-identifiers of src/deid; key bytes stay in src/crypto.
 */
export class DeidService {
  constructor(private readonly uow: UnitOfWork, private readonly protection: PatientProtection) {}

  async pseudonymsFor(tenantId: string): Promise<TenantPseudonyms> {
    const key = await this.uow.run(tenantId, (tx) => this.protection.activeTenantKey(tx, tenantId, 'pseudonym'));
    return new TenantPseudonyms(key.handle);
  }
}
