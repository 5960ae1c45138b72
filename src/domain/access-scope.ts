import type { PatientReach } from './patient-access.ts';

/**
 * What every repository method that touches patient data takes (DESIGN.md "Where security lives" 3):
 * the tenant (also set for row-level security), who acts, and which patients they reach.
 */
export interface AccessScope {
  tenantId: string;
  actorId: string;
  reach: PatientReach;
}
