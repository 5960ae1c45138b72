import type { Me, Role } from './api/types';
import { useMe } from './session/SessionContext';

/**
 * What each role may do, mirroring the server's table (src/domain/roles.ts). The web app uses it only
 * to decide which controls to show; the server checks every request again.
 */
export type Permission =
  | 'users.manage'
  | 'patients.read'
  | 'patients.create'
  | 'patients.update'
  | 'patients.break-glass'
  | 'care-team.read'
  | 'care-team.manage'
  | 'service-accounts.manage'
  | 'tenant-settings.manage'
  | 'audit.read'
  | 'audit.export'
  | 'patients.erase'
  | 'keys.read'
  | 'keys.manage'
  | 'images.read'
  | 'images.upload'
  | 'images.metadata'
  | 'reconciliation.manage'
  | 'images.pixel-review'
  | 'consents.manage'
  | 'research.export'
  | 'deid.configure';

const rolePermissions: Record<Role, readonly Permission[]> = {
  Administrator: [
    'users.manage', 'patients.read', 'patients.create', 'patients.update', 'care-team.read', 'care-team.manage',
    'service-accounts.manage', 'tenant-settings.manage', 'audit.read', 'audit.export', 'patients.erase', 'keys.read', 'keys.manage',
    'images.read', 'images.upload', 'images.metadata', 'images.pixel-review', 'consents.manage', 'research.export', 'reconciliation.manage',
    'deid.configure',
  ],
  Radiologist: ['patients.read', 'care-team.read', 'images.read', 'images.upload', 'images.metadata', 'images.pixel-review', 'research.export'],
  Clinician: ['patients.read', 'patients.break-glass', 'care-team.read', 'images.read', 'consents.manage'],
  Technician: ['patients.read', 'patients.create', 'images.read', 'images.upload', 'reconciliation.manage'],
  Viewer: ['patients.read', 'patients.break-glass', 'images.read'],
};

/**
 * Whether any of the user's roles grants the permission. Clinicians may manage care teams only when
 * the organisation allows it, which the web app does not know: their controls stay hidden.
 */
export function can(me: Me, permission: Permission): boolean {
  return me.user.roles.some((role) => rolePermissions[role].includes(permission));
}

/** `can` for the signed-in user of the current page. */
export function useCan(): (permission: Permission) => boolean {
  const me = useMe();
  return (permission) => can(me, permission);
}
