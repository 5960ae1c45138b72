import { ClarusError } from '../domain/error-catalog.ts';
import { careTeamRepository, type CareTeamMember } from '../data/repositories/care-team.repository.ts';
import { patientRepository } from '../data/repositories/patient.repository.ts';
import { tenantRepository } from '../data/repositories/tenant.repository.ts';
import { userRepository } from '../data/repositories/user.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';
import type { PatientScopeService } from './patient-scope.service.ts';

/**
 * Care teams (ROLE-3): who is assigned to a patient, with an optional end date. Administrators
 * manage every team; Clinicians manage the teams they are on, when the tenant allows it.
 */
export class CareTeamService {
  constructor(private readonly ctx: ServiceContext, private readonly scopes: PatientScopeService) {}

  /** The patient must be visible to the actor; otherwise the same 404 as a missing patient. */
  private async requireVisible(tx: Tx, principal: Principal, patientId: string): Promise<{ onTeam: boolean }> {
    const resolved = await this.scopes.resolve(tx, principal);
    if (!(await patientRepository.findVisible(tx, resolved.scope, patientId))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    return { onTeam: resolved.careTeam.includes(patientId) };
  }

  private async requireManager(tx: Tx, principal: Principal, patientId: string, targetUserId: string): Promise<void> {
    const { onTeam } = await this.requireVisible(tx, principal, patientId);
    if (principal.roles.includes('Administrator')) return;
    // A Clinician may manage the team but not their own place on it (no self-extension of access).
    if (targetUserId === principal.userId) throw new ClarusError('CLARUS_ERR_FORBIDDEN');
    const settings = await tenantRepository.settings(tx, principal.tenantId);
    if (!(principal.roles.includes('Clinician') && onTeam && settings?.cliniciansManageCareTeam)) throw new ClarusError('CLARUS_ERR_FORBIDDEN');
  }

  list(principal: Principal, patientId: string): Promise<CareTeamMember[]> {
    return this.ctx.uow.read(principal.tenantId, async (tx) => {
      await this.requireVisible(tx, principal, patientId);
      return careTeamRepository.members(tx, patientId, this.ctx.clock());
    });
  }

  async assign(principal: Principal, patientId: string, userId: string, endsAt: Date | null, origin: RequestOrigin): Promise<CareTeamMember[]> {
    if (endsAt && endsAt <= this.ctx.clock()) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'endsAt', message: 'The end date must be in the future.' }]);
    const members = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      await this.requireManager(tx, principal, patientId, userId);
      const user = await userRepository.findById(tx, userId);
      if (!user || user.status === 'disabled') throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'userId', message: 'No active user of this organisation has this id.' }]);
      await careTeamRepository.assign(tx, { tenantId: principal.tenantId, patientId, userId, endsAt, createdBy: principal.userId });
      await this.ctx.audit.recordFor(principal, origin, { action: 'care-team.assign', outcome: 'success', resourceType: 'user', resourceId: userId, patientId, details: { ends: endsAt ? endsAt.toISOString() : 'never' } });
      return careTeamRepository.members(tx, patientId, this.ctx.clock());
    });
    await this.ctx.securityEvents.record({ kind: 'access.care-team-changed', tenantId: principal.tenantId, actorId: principal.userId, subjectId: patientId, details: { userId, change: 'assigned' }, ...origin });
    return members;
  }

  async remove(principal: Principal, patientId: string, userId: string, origin: RequestOrigin): Promise<void> {
    await this.ctx.uow.run(principal.tenantId, async (tx) => {
      await this.requireManager(tx, principal, patientId, userId);
      if (!(await careTeamRepository.remove(tx, patientId, userId))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      await this.ctx.audit.recordFor(principal, origin, { action: 'care-team.remove', outcome: 'success', resourceType: 'user', resourceId: userId, patientId });
    });
    await this.ctx.securityEvents.record({ kind: 'access.care-team-changed', tenantId: principal.tenantId, actorId: principal.userId, subjectId: patientId, details: { userId, change: 'removed' }, ...origin });
  }
}
