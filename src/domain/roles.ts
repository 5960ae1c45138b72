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
] as const;
export type Permission = (typeof permissions)[number];

const everyone: Permission[] = ['session.self'];

/** What each role may do; a user with several roles gets the union. */
export const rolePermissions: Record<Role, readonly Permission[]> = {
  Administrator: [...everyone, 'users.read', 'users.manage', 'security-events.read'],
  Radiologist: [...everyone],
  Clinician: [...everyone],
  Technician: [...everyone],
  Viewer: [...everyone],
};

/** The permissions of a set of roles. */
export function permissionsOf(held: readonly Role[]): Set<Permission> {
  return new Set(held.flatMap((role) => rolePermissions[role]));
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}
