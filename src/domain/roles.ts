/**
 * Roles and permissions as data (ROLE-2). Code and tests both read this table; each capability
 * adds its permissions here. A permission is `<resource>.<action>`.
 */
export const roles = ['Administrator', 'Radiologist', 'Clinician', 'Technician', 'Viewer'] as const;
export type Role = (typeof roles)[number];

export const permissions = [
  'session.self',
  'users.read',
  'users.manage',
  'security-events.read',
  'patients.read',
  'patients.create',
  'patients.update',
  'patients.break-glass',
  'care-team.read',
  'care-team.manage',
  'service-accounts.manage',
  'tenant-settings.manage',
  'audit.read',
  'audit.export',
  'patients.erase',
  'keys.read',
  'keys.manage',
  'images.read',
  'images.upload',
  'images.metadata',
  'quarantine.read',
  // Issue 6: unmatched DICOM waiting in the reconciliation list (filed to a patient or discarded).
  'reconciliation.manage',
  // Issue 7: consent (PRIV-1), pixel review (DEID-2), research exports and de-identification settings (DEID-1).
  'consents.manage',
  'images.pixel-review',
  'research.export',
  'deid.configure',
] as const;
export type Permission = (typeof permissions)[number];

const everyone: Permission[] = ['session.self'];

/** What each role may do; a user with several roles gets the union. */
export const rolePermissions: Record<Role, readonly Permission[]> = {
  Administrator: [
    ...everyone, 'users.read', 'users.manage', 'security-events.read', 'patients.read', 'patients.create', 'patients.update',
    'care-team.read', 'care-team.manage', 'service-accounts.manage', 'tenant-settings.manage', 'audit.read', 'audit.export',
    'patients.erase', 'keys.read', 'keys.manage', 'images.read', 'images.upload', 'images.metadata', 'quarantine.read',
    'reconciliation.manage',
    'consents.manage', 'images.pixel-review', 'research.export', 'deid.configure',
  ],
  Radiologist: [...everyone, 'patients.read', 'care-team.read', 'images.read', 'images.upload', 'images.metadata', 'images.pixel-review', 'research.export'],
  // Care-team changes by Clinicians also need the tenant setting and their own place on the team.
  Clinician: [...everyone, 'patients.read', 'patients.break-glass', 'care-team.read', 'care-team.manage', 'images.read', 'consents.manage'],
  // Technicians upload, and see only the images (and reconciliation items) they uploaded (src/domain/image-access.ts).
  Technician: [...everyone, 'patients.read', 'patients.create', 'images.read', 'images.upload', 'reconciliation.manage'],
  Viewer: [...everyone, 'patients.read', 'patients.break-glass', 'images.read'],
};

/** Service accounts act through an API key: they have no session of their own to manage. */
export function servicePermissionsOf(role: Role): Set<Permission> {
  const granted = permissionsOf([role]);
  granted.delete('session.self');
  granted.delete('patients.break-glass');
  return granted;
}

/** The permissions of a set of roles. */
export function permissionsOf(held: readonly Role[]): Set<Permission> {
  return new Set(held.flatMap((role) => rolePermissions[role]));
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}
