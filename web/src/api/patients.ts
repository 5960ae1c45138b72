import { del, get, post, request } from './client';
import type { CareTeamMember, PatientInput, PatientSearch, PatientView } from './patient-types';

const base = '/api/patients';
const one = (id: string): string => `${base}/${encodeURIComponent(id)}`;

/** Registers a patient (Administrator, Technician). */
export function createPatient(input: PatientInput): Promise<PatientView> {
  return post<PatientView>(base, input);
}

/**
 * Patients the user may see matching the criteria (all of them with no criteria). POST, so that
 * names and MRNs never appear in URLs, proxy logs or the browser history.
 */
export async function searchPatients(criteria: PatientSearch): Promise<PatientView[]> {
  return (await post<{ patients: PatientView[] }>(`${base}/search`, criteria)).patients;
}

/** One patient; 404 when it does not exist or is out of the user's reach (the same answer). */
export function getPatient(id: string): Promise<PatientView> {
  return get<PatientView>(one(id));
}

/** Changes some fields of a patient (Administrator). */
export function updatePatient(id: string, patch: Partial<PatientInput>): Promise<PatientView> {
  return request<PatientView>('PATCH', one(id), { body: patch });
}

/** Break-the-glass: opens a patient outside the care team for a limited time; audited. */
export function breakGlass(id: string, reason: string): Promise<PatientView> {
  return post<PatientView>(`${one(id)}/break-glass`, { reason });
}

/** What the server answers once a patient is erased. */
export interface ErasedPatient {
  patientId: string;
  erasedAt: string;
}

/**
 * Erases a patient for good by destroying their data key (crypto-shredding); afterwards the patient
 * answers 404 everywhere (Administrator, step-up). The body carries the server's fixed confirmation.
 */
export function erasePatient(id: string): Promise<ErasedPatient> {
  return post<ErasedPatient>(`${one(id)}/erase`, { confirm: 'erase-permanently' });
}

/** The current care team of a patient. */
export async function listCareTeam(id: string): Promise<CareTeamMember[]> {
  return (await get<{ members: CareTeamMember[] }>(`${one(id)}/care-team`)).members;
}

/** Adds (or re-dates) a care-team member; `endsAt` null means no end. Returns the new team. */
export async function addCareTeamMember(id: string, userId: string, endsAt: string | null): Promise<CareTeamMember[]> {
  return (await post<{ members: CareTeamMember[] }>(`${one(id)}/care-team`, { userId, endsAt })).members;
}

/** Removes a user from a patient's care team. */
export function removeCareTeamMember(id: string, userId: string): Promise<void> {
  return del(`${one(id)}/care-team/${encodeURIComponent(userId)}`);
}
