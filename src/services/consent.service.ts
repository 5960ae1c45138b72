import { randomUUID } from 'node:crypto';
import { consentRepository } from '../data/repositories/consent.repository.ts';
import { patientRepository } from '../data/repositories/patient.repository.ts';
import { userRepository } from '../data/repositories/user.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import { consentPurposes, type ConsentDecision, type ConsentPurpose, type ConsentStatus } from '../domain/consent.ts';
import { ClarusError } from '../domain/error-catalog.ts';
import { reaches } from '../domain/patient-access.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';
import type { PatientScopeService } from './patient-scope.service.ts';

export interface ConsentView {
  purpose: ConsentPurpose;
  status: ConsentStatus;
  recordedAt: Date | null;
  recordedBy: { id: string; displayName: string | null } | null;
}

/**
 * Consent per patient and purpose (PRIV-1): recorded by staff who see the patient's full record, read by the
 * research export and the AI input path, which refuse anything but a current grant.
 */
export class ConsentService {
  constructor(private readonly ctx: ServiceContext, private readonly scopes: PatientScopeService) {}

  /**
   * Consent is part of the full record: callers who see a patient with minimal fields only (ROLE-2)
   * neither read nor record it — the same 404 as for a patient out of reach.
   */
  private async assertReach(tx: Tx, principal: Principal, patientId: string): Promise<void> {
    const resolved = await this.scopes.resolve(tx, principal);
    if (!reaches(resolved.scope.reach.full, patientId) || !(await patientRepository.findVisible(tx, resolved.scope, patientId))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
  }

  private async views(tx: Tx, tenantId: string, patientId: string): Promise<ConsentView[]> {
    const rows = await consentRepository.current(tx, tenantId, [patientId]);
    const names = new Map<string, string | null>();
    for (const row of rows) {
      if (row.recordedBy !== null && !names.has(row.recordedBy)) names.set(row.recordedBy, (await userRepository.findById(tx, row.recordedBy))?.displayName ?? null);
    }
    return consentPurposes.map((purpose) => {
      const row = rows.find((r) => r.purpose === purpose);
      if (!row) return { purpose, status: 'unknown', recordedAt: null, recordedBy: null };
      return { purpose, status: row.status, recordedAt: row.recordedAt, recordedBy: row.recordedBy === null ? null : { id: row.recordedBy, displayName: names.get(row.recordedBy) ?? null } };
    });
  }

  async list(principal: Principal, patientId: string): Promise<ConsentView[]> {
    return this.ctx.uow.read(principal.tenantId, async (tx) => {
      await this.assertReach(tx, principal, patientId);
      return this.views(tx, principal.tenantId, patientId);
    });
  }

  async record(principal: Principal, patientId: string, purpose: ConsentPurpose, status: ConsentDecision, origin: RequestOrigin): Promise<ConsentView[]> {
    return this.ctx.uow.run(principal.tenantId, async (tx) => {
      await this.assertReach(tx, principal, patientId);
      await consentRepository.record(tx, { id: randomUUID(), tenantId: principal.tenantId, patientId, purpose, status, recordedBy: principal.userId, recordedAt: this.ctx.clock() });
      await this.ctx.audit.recordFor(principal, origin, { action: 'consent.record', outcome: 'success', resourceType: 'patient', resourceId: patientId, patientId, details: { purpose, status } });
      return this.views(tx, principal.tenantId, patientId);
    });
  }

  /** The current status of `purpose` for each patient (unknown when none was recorded). */
  async statusOf(tx: Tx, tenantId: string, patientIds: readonly string[], purpose: ConsentPurpose): Promise<Map<string, ConsentStatus>> {
    const rows = await consentRepository.current(tx, tenantId, patientIds);
    const status = new Map<string, ConsentStatus>(patientIds.map((id) => [id, 'unknown']));
    for (const row of rows) if (row.purpose === purpose) status.set(row.patientId, row.status);
    return status;
  }
}
