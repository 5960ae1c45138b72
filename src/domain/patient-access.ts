import type { Role } from './roles.ts';

/**
 * Which patients each role reaches, and with which fields (ROLE-2, "minimum necessary" of the HIPAA
 * Privacy Rule, 45 CFR 164.502(b)). `assigned` means the patient's care team, plus break-the-glass
 * grants (ROLE-3). This table is the one that code and tests read.
 */
export type Reach = 'all' | 'assigned';
export type FieldSet = 'full' | 'minimal';

export const patientAccess: Record<Role, { reach: Reach; fields: FieldSet }> = {
  Administrator: { reach: 'all', fields: 'full' },
  Radiologist: { reach: 'all', fields: 'full' },
  Clinician: { reach: 'assigned', fields: 'full' },
  // Technicians match images to patients: name and MRN only (their uploads come with ingest).
  Technician: { reach: 'all', fields: 'minimal' },
  Viewer: { reach: 'assigned', fields: 'full' },
};

/** The fields of each set; a `minimal` answer carries nothing else. */
export const patientFields = {
  minimal: ['id', 'mrn', 'givenName', 'familyName'],
  full: ['id', 'mrn', 'givenName', 'familyName', 'birthDate', 'sex', 'email', 'phone', 'address', 'createdAt', 'updatedAt'],
} as const satisfies Record<FieldSet, readonly string[]>;

/** Patient ids or every patient. */
export type PatientSet = 'all' | readonly string[];

/** What one actor may see: patients with all fields, and patients with minimal fields. */
export interface PatientReach {
  full: PatientSet;
  minimal: PatientSet;
}

function union(a: PatientSet, b: PatientSet): PatientSet {
  if (a === 'all' || b === 'all') return 'all';
  return [...new Set([...a, ...b])];
}

/**
 * The reach of a set of roles, given the patients assigned to the actor (care team and active
 * break-the-glass grants). A service account restricted to some patients passes `restrictTo`.
 */
export function resolvePatientReach(roles: readonly Role[], assigned: readonly string[], restrictTo?: readonly string[] | null): PatientReach {
  let full: PatientSet = [];
  let minimal: PatientSet = [];
  for (const role of roles) {
    const rule = patientAccess[role];
    const reached: PatientSet = rule.reach === 'all' ? 'all' : assigned;
    if (rule.fields === 'full') full = union(full, reached);
    else minimal = union(minimal, reached);
  }
  if (restrictTo) {
    const limit = (set: PatientSet): PatientSet => (set === 'all' ? restrictTo : set.filter((id) => restrictTo.includes(id)));
    full = limit(full);
    minimal = limit(minimal);
  }
  return { full, minimal };
}

export function reaches(set: PatientSet, patientId: string): boolean {
  return set === 'all' || set.includes(patientId);
}
