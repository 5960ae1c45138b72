import type { Role } from './roles.ts';

/**
 * Whose images a set of roles sees (ROLE-2): the patients they reach, except that a Technician who
 * holds no other image-reading role sees only the images they uploaded ("basic viewing of what they
 * uploaded"). Returns true when the view is limited to the caller's own uploads.
 */
export function imagesLimitedToOwnUploads(roles: readonly Role[]): boolean {
  const broader: Role[] = ['Administrator', 'Radiologist', 'Clinician', 'Viewer'];
  return roles.includes('Technician') && !roles.some((role) => broader.includes(role));
}
