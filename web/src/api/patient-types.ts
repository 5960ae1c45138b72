/** Shapes of the patient, care-team, service-account and tenant-settings answers (issue 3). */
import type { Role } from './types';

/** The values of a patient's administrative sex, as the server accepts them. */
export const SEXES = ['female', 'male', 'other', 'unknown'] as const;
/** One of SEXES. */
export type Sex = (typeof SEXES)[number];

/** A patient as the server shows it to this user: a Technician gets id, MRN and name only. */
export interface Patient {
  id: string;
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate?: string;
  sex?: Sex;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
  createdAt?: string;
  updatedAt?: string;
}

/** Why the user sees this patient: their role, the care team, or a break-the-glass grant. */
export type AccessVia = 'role' | 'care-team' | 'break-glass';

/** One patient as one user may see it. */
export interface PatientView {
  fields: 'full' | 'minimal';
  access: { via: AccessVia; expiresAt: string | null };
  patient: Patient;
}

/** What the create form sends (and, partially, the edit form). */
export interface PatientInput {
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  sex: Sex;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
}

/** Search criteria: exact MRN and/or a name prefix, sent in a POST body (never in the URL). */
export interface PatientSearch {
  mrn?: string;
  name?: string;
  limit?: number;
  offset?: number;
}

/** One member of a patient's care team. */
export interface CareTeamMember {
  userId: string;
  email: string;
  displayName: string | null;
  roles: Role[];
  endsAt: string | null;
}

/** One API key of a service account. */
export interface ApiKeyInfo {
  id: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A service account; `patientIds` null means every patient its role reaches. */
export interface ServiceAccount {
  id: string;
  name: string;
  role: Role;
  patientIds: string[] | null;
  createdAt: string;
  keys: ApiKeyInfo[];
}

/** The answer to creating a service account: the API key, shown once. */
export interface CreatedServiceAccount {
  serviceAccount: Pick<ServiceAccount, 'id' | 'name' | 'role' | 'patientIds'>;
  apiKey: string;
  expiresAt: string;
}

/** The organisation's patient settings. */
export interface TenantSettings {
  mrnPattern: string;
  cliniciansManageCareTeam: boolean;
  breakGlassMinutes: number;
}
