import { patientRepository, type StoredPatient } from '../data/repositories/patient.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { AccessScope } from '../domain/access-scope.ts';
import { ClarusError } from '../domain/error-catalog.ts';
import type { PatientRecord } from '../domain/patient.ts';
import { canonical, matchesName, type PatientProtection } from './patient-protection.ts';

export interface PatientSearch {
  mrn?: string | undefined;
  name?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  limit: number;
  offset: number;
}

/**
 * How many candidates a name prefix may bring before the search asks for more letters: every candidate
 * is decrypted to check and sort it, and the database cannot sort ciphertext.
 */
export const NAME_CANDIDATE_CAP = 2000;

function byName(a: PatientRecord, b: PatientRecord): number {
  return a.familyName.localeCompare(b.familyName) || a.givenName.localeCompare(b.givenName) || a.id.localeCompare(b.id);
}

/**
 * Search over encrypted patients (KEY-1). The most selective blind index finds candidates (exact
 * MRN, e-mail or phone; else the truncated token of the name prefix); each candidate is decrypted and
 * checked against every criterion, because truncated indexes collide on purpose. Name results are
 * sorted by name; a listing without criteria comes newest first.
 */
export async function searchPatients(tx: Tx, scope: AccessScope, protection: PatientProtection, criteria: PatientSearch): Promise<PatientRecord[]> {
  const open = (rows: StoredPatient[]) => Promise.all(rows.map((row) => protection.openStored(tx, scope.tenantId, row)));
  const { mrn, name, email, phone } = criteria;
  if (mrn === undefined && name === undefined && email === undefined && phone === undefined) {
    return open(await patientRepository.recent(tx, scope, criteria.limit, criteria.offset));
  }
  const indexer = await protection.existingIndexer(tx, scope.tenantId);
  if (!indexer) return [];
  const index = mrn !== undefined ? { mrn: indexer.exact('mrn', canonical.mrn(mrn)) }
    : email !== undefined ? { email: indexer.exact('email', canonical.email(email)) }
      : phone !== undefined ? { phone: indexer.exact('phone', canonical.phone(phone)) }
        : { nameToken: indexer.nameQuery(name ?? '') };
  const candidates = await patientRepository.byIndex(tx, scope, index, NAME_CANDIDATE_CAP + 1);
  if (candidates.length > NAME_CANDIDATE_CAP) throw new ClarusError('CLARUS_ERR_SEARCH_TOO_BROAD');
  const matching = (await open(candidates)).filter((p) =>
    (mrn === undefined || p.mrn === mrn)
    && (email === undefined || (p.email !== null && canonical.email(p.email) === canonical.email(email)))
    && (phone === undefined || p.phone === canonical.phone(phone))
    && (name === undefined || matchesName(p, name)));
  return matching.sort(byName).slice(criteria.offset, criteria.offset + criteria.limit);
}
