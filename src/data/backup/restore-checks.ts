/**
 * Reads for verifying a restore before it is committed: every live patient key and every live
 * patient of a tenant, a page at a time (keyset paging, bounded memory). The caller sets the tenant
 * context of the transaction; the services open the keys and decrypt the rows.
 */
import type { StoredPatient } from '../repositories/patient.repository.ts';
import type { Tx } from '../unit-of-work.ts';

/** Patient data keys that still hold key material (destroyed ones, after an erasure, have none). */
export async function livePatientKeys(tx: Tx, tenantId: string, after: { patientId: string; version: number } | null, limit: number): Promise<{ patientId: string; version: number }[]> {
  let query = tx.selectFrom('patient_keys').select(['patient_id', 'version']).where('tenant_id', '=', tenantId).where('wrapped_key', 'is not', null);
  if (after) {
    query = query.where((eb) => eb.or([eb('patient_id', '>', after.patientId), eb.and([eb('patient_id', '=', after.patientId), eb('version', '>', after.version)])]));
  }
  const rows = await query.orderBy('patient_id').orderBy('version').limit(limit).execute();
  return rows.map((r) => ({ patientId: r.patient_id, version: r.version }));
}

/** Patients that are not erased, as stored (ciphertext). */
export async function livePatients(tx: Tx, tenantId: string, afterId: string | null, limit: number): Promise<StoredPatient[]> {
  let query = tx.selectFrom('patients')
    .select(['id', 'data_key_version', 'mrn_enc', 'given_name_enc', 'family_name_enc', 'birth_date_enc', 'sex_enc', 'email_enc', 'phone_enc', 'address_enc', 'created_at', 'updated_at'])
    .where('tenant_id', '=', tenantId).where('erased_at', 'is', null);
  if (afterId !== null) query = query.where('id', '>', afterId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    dataKeyVersion: r.data_key_version,
    fields: {
      mrn_enc: r.mrn_enc, given_name_enc: r.given_name_enc, family_name_enc: r.family_name_enc, birth_date_enc: r.birth_date_enc,
      sex_enc: r.sex_enc, email_enc: r.email_enc, phone_enc: r.phone_enc, address_enc: r.address_enc,
    },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/** Every tenant, by id. */
export async function allTenantIds(tx: Tx): Promise<string[]> {
  return (await tx.selectFrom('tenants').select('id').orderBy('id').execute()).map((r) => r.id);
}
