import { keyRepository } from '../data/repositories/key.repository.ts';
import { patientRepository } from '../data/repositories/patient.repository.ts';
import { ClarusError } from '../domain/error-catalog.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';
import type { PatientProtection } from './patient-protection.ts';
import type { PatientScopeService } from './patient-scope.service.ts';

/**
 * Crypto-shredding (KEY-2, PRIV-2): destroying a patient's data key makes every field and object
 * sealed under it unreadable, while every other patient stays readable. The row stays as a tombstone
 * (id and time of erasure); ciphertext and blind indexes are removed as well. The audit log keeps its
 * entries, which hold ids only. The approval and legal-hold workflow comes with the privacy issue.
 */
export class PatientErasureService {
  constructor(private readonly ctx: ServiceContext, private readonly scopes: PatientScopeService, private readonly protection: PatientProtection) {}

  async erase(principal: Principal, patientId: string, origin: RequestOrigin): Promise<{ patientId: string; erasedAt: Date }> {
    const erasedAt = this.ctx.clock();
    await this.ctx.uow.run(principal.tenantId, async (tx) => {
      const resolved = await this.scopes.resolve(tx, principal);
      if (!(await patientRepository.findVisible(tx, resolved.scope, patientId))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      const destroyed = await keyRepository.destroyPatientKeys(tx, principal.tenantId, patientId, erasedAt);
      await patientRepository.erase(tx, principal.tenantId, patientId, erasedAt);
      // Inside the transaction: no erasure without its durable record.
      await this.ctx.audit.recordFor(principal, origin, { action: 'patient.erase', outcome: 'success', resourceType: 'patient', resourceId: patientId, patientId, details: { keysDestroyed: destroyed } });
    });
    // The committed erasure also empties this process's cache of unwrapped keys at once.
    this.protection.forgetPatientKeys(principal.tenantId, patientId);
    await this.ctx.securityEvents.record({ kind: 'patient.erased', tenantId: principal.tenantId, actorId: principal.userId, subjectId: patientId, ...origin });
    return { patientId, erasedAt };
  }
}
