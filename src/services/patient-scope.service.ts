import type { AccessScope } from '../domain/access-scope.ts';
import { resolvePatientReach } from '../domain/patient-access.ts';
import { isRole } from '../domain/roles.ts';
import { careTeamRepository, type BreakGlassGrant } from '../data/repositories/care-team.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { Principal, ServiceContext } from './context.ts';

/** An access scope plus the grants behind it, so that answers can say "opened by break-the-glass". */
export interface ResolvedScope {
  scope: AccessScope;
  /** Patients on the actor's care teams. */
  careTeam: string[];
  grants: BreakGlassGrant[];
}

/**
 * Builds the AccessScope of a principal inside a transaction: its roles, the patients of its care
 * teams, its active break-the-glass grants, and a service account's patient restriction.
 */
export class PatientScopeService {
  constructor(private readonly ctx: ServiceContext) {}

  async resolve(tx: Tx, principal: Principal): Promise<ResolvedScope> {
    const now = this.ctx.clock();
    const roles = principal.roles.filter(isRole);
    const grants = principal.kind === 'user' ? await careTeamRepository.activeGrants(tx, principal.userId, now) : [];
    const careTeam = principal.kind === 'user' ? await careTeamRepository.assignedPatientIds(tx, principal.userId, now) : [];
    const assigned = principal.kind === 'user' ? [...careTeam, ...grants.map((g) => g.patientId)] : (principal.patientRestriction ?? []);
    const reach = resolvePatientReach(roles, assigned, principal.patientRestriction);
    return { scope: { tenantId: principal.tenantId, actorId: principal.userId, reach }, careTeam, grants };
  }
}
