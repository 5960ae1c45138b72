import type { Selectable } from 'kysely';
import type { AccessScope } from '../../domain/access-scope.ts';
import type { PatientSet } from '../../domain/patient-access.ts';
import type { EncryptedPatientColumn } from '../../domain/patient.ts';
import type { Tx } from '../unit-of-work.ts';
import type { PatientsTable } from '../schema.ts';

/** A patient row as stored: ciphertext per field (KEY-1), opened by the services with the patient's key. */
export interface StoredPatient {
  id: string;
  dataKeyVersion: number;
  fields: Partial<Record<EncryptedPatientColumn, Buffer | null>>;
  createdAt: Date;
  updatedAt: Date;
}

/** Keyed blind indexes of a patient (docs/encryption.md). */
export interface PatientIndexes {
  mrn: Buffer;
  email: Buffer | null;
  phone: Buffer | null;
  nameTokens: Buffer[];
}

const encryptedColumns = ['mrn_enc', 'given_name_enc', 'family_name_enc', 'birth_date_enc', 'sex_enc', 'email_enc', 'phone_enc', 'address_enc'] as const satisfies readonly EncryptedPatientColumn[];
const columns = ['id', 'data_key_version', ...encryptedColumns, 'created_at', 'updated_at'] as const;

function toStored(r: Pick<Selectable<PatientsTable>, (typeof columns)[number]>): StoredPatient {
  const fields: StoredPatient['fields'] = {};
  for (const column of encryptedColumns) fields[column] = r[column];
  return { id: r.id, dataKeyVersion: r.data_key_version, fields, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** The patient ids a scope reaches, or 'all'. */
function reachable(scope: AccessScope): PatientSet {
  const { full, minimal } = scope.reach;
  if (full === 'all' || minimal === 'all') return 'all';
  return [...new Set([...full, ...minimal])];
}

/**
 * The one door to patient rows. Every method takes the access scope and filters by the patients it
 * reaches; the tenant is enforced again by row-level security. A patient out of reach, erased, or
 * missing all give the same answer: undefined. Values arrive and leave encrypted.
 */
export const patientRepository = {
  async create(tx: Tx, scope: AccessScope, id: string, fields: Record<EncryptedPatientColumn, Buffer | null>, indexes: PatientIndexes): Promise<'created' | 'mrn-taken'> {
    const result = await tx.insertInto('patients').values({
      id, tenant_id: scope.tenantId, ...fields, mrn_index: indexes.mrn, email_index: indexes.email, phone_index: indexes.phone,
      created_by: scope.actorId, updated_at: new Date(),
    }).onConflict((oc) => oc.columns(['tenant_id', 'mrn_index']).doNothing()).executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) !== 1) return 'mrn-taken';
    await patientRepository.replaceNameTokens(tx, scope.tenantId, id, indexes.nameTokens);
    return 'created';
  },

  async replaceNameTokens(tx: Tx, tenantId: string, id: string, tokens: Buffer[]): Promise<void> {
    await tx.deleteFrom('patient_name_index').where('tenant_id', '=', tenantId).where('patient_id', '=', id).execute();
    if (tokens.length > 0) await tx.insertInto('patient_name_index').values(tokens.map((token) => ({ tenant_id: tenantId, patient_id: id, token }))).execute();
  },

  async findVisible(tx: Tx, scope: AccessScope, id: string): Promise<StoredPatient | undefined> {
    const ids = reachable(scope);
    if (ids !== 'all' && !ids.includes(id)) return undefined;
    const row = await tx.selectFrom('patients').select(columns).where('tenant_id', '=', scope.tenantId).where('id', '=', id).where('erased_at', 'is', null).executeTakeFirst();
    return row && toStored(row);
  },

  /** Whether the patient exists (and is not erased) in the scope's tenant, whoever may see it. */
  async existsInTenant(tx: Tx, scope: AccessScope, id: string): Promise<boolean> {
    const row = await tx.selectFrom('patients').select('id').where('tenant_id', '=', scope.tenantId).where('id', '=', id).where('erased_at', 'is', null).executeTakeFirst();
    return row !== undefined;
  },

  /** Candidates by an exact blind index; the caller decrypts and checks each one (indexes may collide). */
  async byIndex(tx: Tx, scope: AccessScope, index: { mrn?: Buffer | undefined; email?: Buffer | undefined; phone?: Buffer | undefined; nameToken?: Buffer | undefined }, cap: number): Promise<StoredPatient[]> {
    const ids = reachable(scope);
    if (ids !== 'all' && ids.length === 0) return [];
    let query = tx.selectFrom('patients').select(columns).where('patients.tenant_id', '=', scope.tenantId).where('erased_at', 'is', null);
    if (ids !== 'all') query = query.where('patients.id', 'in', ids);
    if (index.mrn) query = query.where('mrn_index', '=', index.mrn);
    if (index.email) query = query.where('email_index', '=', index.email);
    if (index.phone) query = query.where('phone_index', '=', index.phone);
    if (index.nameToken) {
      const token = index.nameToken;
      query = query.where('patients.id', 'in', (eb) => eb.selectFrom('patient_name_index').select('patient_id').where('patient_name_index.tenant_id', '=', scope.tenantId).where('token', '=', token));
    }
    const rows = await query.orderBy('patients.id').limit(cap).execute();
    return rows.map(toStored);
  },

  /** Patients in reach, most recently registered first (names are ciphertext: the database cannot sort them). */
  async recent(tx: Tx, scope: AccessScope, limit: number, offset: number): Promise<StoredPatient[]> {
    const ids = reachable(scope);
    if (ids !== 'all' && ids.length === 0) return [];
    let query = tx.selectFrom('patients').select(columns).where('tenant_id', '=', scope.tenantId).where('erased_at', 'is', null);
    if (ids !== 'all') query = query.where('id', 'in', ids);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(limit).offset(offset).execute();
    return rows.map(toStored);
  },

  async mrnTaken(tx: Tx, tenantId: string, mrnIndex: Buffer, exceptId: string): Promise<boolean> {
    const row = await tx.selectFrom('patients').select('id').where('tenant_id', '=', tenantId).where('mrn_index', '=', mrnIndex).where('id', '!=', exceptId).executeTakeFirst();
    return row !== undefined;
  },

  /** Writes changed ciphertext and indexes; the caller has checked visibility and MRN uniqueness. */
  async update(tx: Tx, scope: AccessScope, id: string, fields: Partial<Record<EncryptedPatientColumn, Buffer | null>>, indexes: Partial<PatientIndexes>): Promise<void> {
    await tx.updateTable('patients').set({
      ...fields,
      ...(indexes.mrn !== undefined ? { mrn_index: indexes.mrn } : {}),
      ...(indexes.email !== undefined ? { email_index: indexes.email } : {}),
      ...(indexes.phone !== undefined ? { phone_index: indexes.phone } : {}),
      updated_at: new Date(),
    }).where('tenant_id', '=', scope.tenantId).where('id', '=', id).where('erased_at', 'is', null).execute();
    if (indexes.nameTokens) await patientRepository.replaceNameTokens(tx, scope.tenantId, id, indexes.nameTokens);
  },

  /**
   * Crypto-shredding leaves a tombstone: the id and when it was erased. Ciphertext and every blind
   * index go too, although without the key the ciphertext could not be read anyway.
   */
  async erase(tx: Tx, tenantId: string, id: string, at: Date): Promise<boolean> {
    const cleared = Object.fromEntries(encryptedColumns.map((c) => [c, null])) as Record<EncryptedPatientColumn, null>;
    const result = await tx.updateTable('patients').set({ ...cleared, mrn_index: null, email_index: null, phone_index: null, erased_at: at, updated_at: at })
      .where('tenant_id', '=', tenantId).where('id', '=', id).where('erased_at', 'is', null).executeTakeFirst();
    await tx.deleteFrom('patient_name_index').where('tenant_id', '=', tenantId).where('patient_id', '=', id).execute();
    return Number(result.numUpdatedRows) === 1;
  },
};
