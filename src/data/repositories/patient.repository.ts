import { sql, type Selectable } from 'kysely';
import type { AccessScope } from '../../domain/access-scope.ts';
import type { PatientSet } from '../../domain/patient-access.ts';
import type { Tx } from '../unit-of-work.ts';
import type { PatientsTable } from '../schema.ts';

export interface PatientRecord {
  id: string;
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  sex: PatientsTable['sex'];
  email: string | null;
  phone: string | null;
  address: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type PatientInput = Omit<PatientRecord, 'id' | 'createdAt' | 'updatedAt'>;

const columns = ['id', 'mrn', 'given_name', 'family_name', 'birth_date', 'sex', 'email', 'phone', 'address', 'created_at', 'updated_at'] as const;

function toRecord(r: Pick<Selectable<PatientsTable>, (typeof columns)[number]>): PatientRecord {
  return {
    id: r.id, mrn: r.mrn, givenName: r.given_name, familyName: r.family_name, birthDate: r.birth_date, sex: r.sex,
    email: r.email, phone: r.phone, address: r.address, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/** The patient ids a scope reaches, or 'all'. */
function reachable(scope: AccessScope): PatientSet {
  const { full, minimal } = scope.reach;
  if (full === 'all' || minimal === 'all') return 'all';
  return [...new Set([...full, ...minimal])];
}

/** Escapes LIKE wildcards so that a search term is only ever a literal prefix. */
function likePrefix(term: string): string {
  return `${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The one door to patient data (issue: encryption wraps it later). Every method takes the access
 * scope and filters by the patients it reaches; the tenant is enforced again by row-level security.
 * A patient out of reach and a patient that does not exist give the same answer: undefined.
 */
export const patientRepository = {
  async create(tx: Tx, scope: AccessScope, id: string, p: PatientInput): Promise<'created' | 'mrn-taken'> {
    const result = await tx.insertInto('patients').values({
      id, tenant_id: scope.tenantId, mrn: p.mrn, given_name: p.givenName, family_name: p.familyName, birth_date: p.birthDate,
      sex: p.sex, email: p.email, phone: p.phone, address: p.address, created_by: scope.actorId, updated_at: new Date(),
    }).onConflict((oc) => oc.columns(['tenant_id', 'mrn']).doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1 ? 'created' : 'mrn-taken';
  },

  async findVisible(tx: Tx, scope: AccessScope, id: string): Promise<PatientRecord | undefined> {
    const ids = reachable(scope);
    if (ids !== 'all' && !ids.includes(id)) return undefined;
    const row = await tx.selectFrom('patients').select(columns).where('tenant_id', '=', scope.tenantId).where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  },

  /** Whether the patient exists in the scope's tenant, whoever may see it (break-the-glass only). */
  async existsInTenant(tx: Tx, scope: AccessScope, id: string): Promise<boolean> {
    const row = await tx.selectFrom('patients').select('id').where('tenant_id', '=', scope.tenantId).where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  },

  async search(tx: Tx, scope: AccessScope, criteria: { mrn?: string | undefined; namePrefix?: string | undefined; limit: number; offset: number }): Promise<PatientRecord[]> {
    const ids = reachable(scope);
    if (ids !== 'all' && ids.length === 0) return [];
    let query = tx.selectFrom('patients').select(columns).where('tenant_id', '=', scope.tenantId);
    if (ids !== 'all') query = query.where('id', 'in', ids);
    if (criteria.mrn !== undefined) query = query.where('mrn', '=', criteria.mrn);
    if (criteria.namePrefix !== undefined) {
      const prefix = likePrefix(criteria.namePrefix);
      query = query.where((eb) => eb.or([
        eb(sql`lower(family_name)`, 'like', prefix),
        eb(sql`lower(given_name)`, 'like', prefix),
      ]));
    }
    const rows = await query.orderBy('family_name').orderBy('given_name').orderBy('id').limit(criteria.limit).offset(criteria.offset).execute();
    return rows.map(toRecord);
  },

  async update(tx: Tx, scope: AccessScope, id: string, patch: Partial<PatientInput>): Promise<'updated' | 'not-found' | 'mrn-taken'> {
    const visible = await patientRepository.findVisible(tx, scope, id);
    if (!visible) return 'not-found';
    if (patch.mrn !== undefined && patch.mrn !== visible.mrn) {
      const taken = await tx.selectFrom('patients').select('id').where('tenant_id', '=', scope.tenantId).where('mrn', '=', patch.mrn).executeTakeFirst();
      if (taken) return 'mrn-taken';
    }
    await tx.updateTable('patients').set({
      ...(patch.mrn !== undefined ? { mrn: patch.mrn } : {}),
      ...(patch.givenName !== undefined ? { given_name: patch.givenName } : {}),
      ...(patch.familyName !== undefined ? { family_name: patch.familyName } : {}),
      ...(patch.birthDate !== undefined ? { birth_date: patch.birthDate } : {}),
      ...(patch.sex !== undefined ? { sex: patch.sex } : {}),
      ...(patch.email !== undefined ? { email: patch.email } : {}),
      ...(patch.phone !== undefined ? { phone: patch.phone } : {}),
      ...(patch.address !== undefined ? { address: patch.address } : {}),
      updated_at: new Date(),
    }).where('tenant_id', '=', scope.tenantId).where('id', '=', id).execute();
    return 'updated';
  },
};
