import { randomUUID } from 'node:crypto';
import { ClarusError, type FieldProblem } from '../domain/error-catalog.ts';
import { patientFields, reaches, type FieldSet } from '../domain/patient-access.ts';
import { patientRepository } from '../data/repositories/patient.repository.ts';
import type { AccessScope } from '../domain/access-scope.ts';
import type { EncryptedPatientColumn, PatientInput, PatientRecord } from '../domain/patient.ts';
import { tenantRepository } from '../data/repositories/tenant.repository.ts';
import { careTeamRepository } from '../data/repositories/care-team.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';
import type { PatientScopeService, ResolvedScope } from './patient-scope.service.ts';
import { integrityError, isIntegrityFailure, PatientKeyMissingError, type PatientProtection } from './patient-protection.ts';
import { searchPatients, type PatientSearch } from './patient-search.ts';

/** A patient as one actor may see it: only the fields of their set, and why they see it. */
export interface PatientView {
  fields: FieldSet;
  access: { via: 'role' | 'care-team' | 'break-glass'; expiresAt: Date | null };
  patient: Partial<PatientRecord> & Pick<PatientRecord, 'id' | 'mrn' | 'givenName' | 'familyName'>;
}

/** Minimum necessary: copy only the fields of the set (45 CFR 164.502(b)). */
function project(patient: PatientRecord, fields: FieldSet): PatientView['patient'] {
  const out: Record<string, unknown> = {};
  for (const field of patientFields[fields]) out[field] = patient[field];
  return out as PatientView['patient'];
}

/** Patients within a tenant (issue 3), stored encrypted (issue 5): create, read, update, search, break-the-glass. */
export class PatientService {
  constructor(private readonly ctx: ServiceContext, private readonly scopes: PatientScopeService, private readonly protection: PatientProtection) {}

  private view(resolved: ResolvedScope, patient: PatientRecord): PatientView {
    const { reach } = resolved.scope;
    const fields: FieldSet = reaches(reach.full, patient.id) ? 'full' : 'minimal';
    const grant = resolved.grants.find((g) => g.patientId === patient.id);
    // A role that reaches every patient does not need the glass broken; say so only where it mattered.
    const access = reach.full === 'all' ? { via: 'role' as const, expiresAt: null }
      : resolved.careTeam.includes(patient.id) ? { via: 'care-team' as const, expiresAt: null }
        : grant ? { via: 'break-glass' as const, expiresAt: grant.expiresAt }
          : { via: 'role' as const, expiresAt: null };
    return { fields, access, patient: project(patient, fields) };
  }

  private async checkMrn(tx: Tx, tenantId: string, mrn: string): Promise<void> {
    const settings = await tenantRepository.settings(tx, tenantId);
    // The pattern was checked against a safe subset when saved (src/domain/mrn-pattern.ts), and the
    // MRN is at most 64 characters: matching is bounded.
    // eslint-disable-next-line security/detect-non-literal-regexp
    const pattern = new RegExp(settings?.mrnPattern ?? '^.+$', 'u');
    if (!pattern.test(mrn)) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'mrn', message: "The MRN does not have this organisation's format." }]);
  }

  /**
   * Stored data that does not decrypt (altered at rest, moved, or a key gone) is a High security event
   * (policy: encryption/decryption errors), and the request fails with a safe error.
   */
  private async guarded<T>(principal: Principal, origin: RequestOrigin, subjectId: string | null, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!isIntegrityFailure(error) && !(error instanceof PatientKeyMissingError)) throw error;
      await this.ctx.securityEvents.record({ kind: 'crypto.decrypt-failed', tenantId: principal.tenantId, actorId: principal.userId, subjectId, details: { failure: error.name }, ...origin });
      throw integrityError();
    }
  }

  private async visible(tx: Tx, scope: AccessScope, id: string): Promise<PatientRecord | undefined> {
    const stored = await patientRepository.findVisible(tx, scope, id);
    return stored && this.protection.openStored(tx, scope.tenantId, stored);
  }

  async create(principal: Principal, input: PatientInput, origin: RequestOrigin): Promise<PatientView> {
    return this.guarded(principal, origin, null, () => this.ctx.uow.run(principal.tenantId, async (tx) => {
      await this.checkMrn(tx, principal.tenantId, input.mrn);
      const resolved = await this.scopes.resolve(tx, principal);
      const id = randomUUID();
      const { tenantId } = principal;
      const indexer = await this.protection.indexer(tx, tenantId);
      const indexes = this.protection.indexes(indexer, input);
      // The row first (the MRN index is unique, and the key row refers to it), then its key.
      const key = await this.protection.newPatientKey(tx, tenantId, id);
      const sealed = this.protection.seal(key.handle, tenantId, id, 1, input) as Record<EncryptedPatientColumn, Buffer | null>;
      if ((await patientRepository.create(tx, resolved.scope, id, sealed, indexes)) === 'mrn-taken') throw new ClarusError('CLARUS_ERR_MRN_TAKEN', [{ path: 'mrn', message: 'This MRN is already used.' } satisfies FieldProblem]);
      await this.protection.savePatientKey(tx, tenantId, id, key);
      const created = await this.visible(tx, { ...resolved.scope, reach: { full: [id], minimal: [] } }, id);
      // The creator sees what their role lets them see of the new patient (a Technician: name and MRN).
      const fields: FieldSet = reaches(resolved.scope.reach.full, id) ? 'full' : 'minimal';
      const result: PatientView = { fields, access: { via: 'role', expiresAt: null }, patient: project(created as PatientRecord, fields) };
      // Inside the transaction: if the entry cannot be made durable, the patient is not created either.
      await this.ctx.audit.recordFor(principal, origin, { action: 'patient.create', outcome: 'success', resourceType: 'patient', resourceId: id, patientId: id });
      return result;
    }));
  }

  async get(principal: Principal, id: string, origin: RequestOrigin): Promise<PatientView> {
    const { view, exists } = await this.guarded(principal, origin, id, () => this.ctx.uow.read(principal.tenantId, async (tx) => {
      const resolved = await this.scopes.resolve(tx, principal);
      const patient = await this.visible(tx, resolved.scope, id);
      // Asked in both cases, so that a hidden patient and a missing one cost the same time.
      const inTenant = await patientRepository.existsInTenant(tx, resolved.scope, id);
      return { view: patient && this.view(resolved, patient), exists: inTenant };
    }));
    if (!view) {
      // A miss is recorded too (probing); an attempt on an existing patient out of reach appears in that
      // patient's accounting of disclosures as a refused access.
      await this.ctx.audit.recordFor(principal, origin, { action: 'patient.read', outcome: exists ? 'denied' : 'failure', resourceType: 'patient', resourceId: id, patientId: exists ? id : null });
      throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    }
    // AUD-1: the disclosure is durable before the data leaves.
    await this.ctx.audit.recordFor(principal, origin, { action: 'patient.read', outcome: 'success', resourceType: 'patient', resourceId: id, patientId: id, details: { fields: view.fields, via: view.access.via } });
    return view;
  }

  /** 404 unless the patient is within the principal's reach (for views about a patient, such as disclosures). */
  async assertVisible(principal: Principal, id: string): Promise<void> {
    const visible = await this.ctx.uow.read(principal.tenantId, async (tx) => {
      const resolved = await this.scopes.resolve(tx, principal);
      return (await patientRepository.findVisible(tx, resolved.scope, id)) !== undefined;
    });
    if (!visible) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
  }

  async search(principal: Principal, criteria: PatientSearch, origin: RequestOrigin): Promise<PatientView[]> {
    const views = await this.guarded(principal, origin, null, () => this.ctx.uow.read(principal.tenantId, async (tx) => {
      const resolved = await this.scopes.resolve(tx, principal);
      const found = await searchPatients(tx, resolved.scope, this.protection, criteria);
      return found.map((patient) => this.view(resolved, patient));
    }));
    // The criteria's field names, never their values (AUD-3); one entry per disclosed patient.
    const searched = (['mrn', 'name', 'email', 'phone'] as const).filter((k) => criteria[k] !== undefined).join(',') || 'none';
    const entries = views.length > 0
      ? views.map((v) => ({ action: 'patient.search' as const, outcome: 'success' as const, resourceType: 'patient', resourceId: v.patient.id, patientId: v.patient.id, details: { criteria: searched, fields: v.fields } }))
      : [{ action: 'patient.search' as const, outcome: 'success' as const, details: { criteria: searched, results: 0 } }];
    await Promise.all(entries.map((facts) => this.ctx.audit.recordFor(principal, origin, facts)));
    return views;
  }

  async update(principal: Principal, id: string, patch: Partial<PatientInput>, origin: RequestOrigin): Promise<PatientView> {
    return this.guarded(principal, origin, id, () => this.ctx.uow.run(principal.tenantId, async (tx) => {
      if (patch.mrn !== undefined) await this.checkMrn(tx, principal.tenantId, patch.mrn);
      const resolved = await this.scopes.resolve(tx, principal);
      const stored = await patientRepository.findVisible(tx, resolved.scope, id);
      if (!stored) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      const key = await this.protection.patientKey(tx, principal.tenantId, id, stored.dataKeyVersion);
      const before = this.protection.open(key, principal.tenantId, stored);
      const indexes = this.protection.indexes(await this.protection.indexer(tx, principal.tenantId), patch, before);
      if (indexes.mrn && patch.mrn !== before.mrn && (await patientRepository.mrnTaken(tx, principal.tenantId, indexes.mrn, id))) {
        throw new ClarusError('CLARUS_ERR_MRN_TAKEN', [{ path: 'mrn', message: 'This MRN is already used.' }]);
      }
      await patientRepository.update(tx, resolved.scope, id, this.protection.seal(key, principal.tenantId, id, stored.dataKeyVersion, patch), indexes);
      const patient = await this.visible(tx, resolved.scope, id);
      await this.ctx.audit.recordFor(principal, origin, { action: 'patient.update', outcome: 'success', resourceType: 'patient', resourceId: id, patientId: id, details: { fields: Object.keys(patch).sort().join(',') } });
      return this.view(resolved, patient as PatientRecord);
    }));
  }

  /**
   * ROLE-3 break-the-glass: a stated reason opens a patient outside the care team for a limited time
   * (tenant setting, default 60 minutes), and records a High security event (the reason stays in the
   * grant, never in the event: it may name the patient).
   */
  async breakGlass(principal: Principal, id: string, reason: string, origin: RequestOrigin): Promise<PatientView> {
    const outcome = await this.guarded(principal, origin, id, () => this.ctx.uow.run(principal.tenantId, async (tx) => {
      const resolved = await this.scopes.resolve(tx, principal);
      if (!(await patientRepository.existsInTenant(tx, resolved.scope, id))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      // Already in reach with every field: there is no glass to break, and nothing to alert on.
      if (reaches(resolved.scope.reach.full, id) && !resolved.grants.some((g) => g.patientId === id)) {
        return { view: this.view(resolved, (await this.visible(tx, resolved.scope, id)) as PatientRecord), granted: false };
      }
      const settings = await tenantRepository.settings(tx, principal.tenantId);
      const expiresAt = new Date(this.ctx.clock().getTime() + (settings?.breakGlassMinutes ?? 60) * 60_000);
      const everyone: AccessScope = { ...resolved.scope, reach: { full: [id], minimal: [] } };
      const stored = await patientRepository.findVisible(tx, everyone, id);
      if (!stored) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      const key = await this.protection.patientKey(tx, principal.tenantId, id, stored.dataKeyVersion);
      const grantId = randomUUID();
      // The reason may name the patient: it is sealed under their key, and shredded with it.
      const reasonSealed = this.protection.sealGrantReason(key, principal.tenantId, grantId, reason);
      await careTeamRepository.addGrant(tx, { id: grantId, tenantId: principal.tenantId, patientId: id, userId: principal.userId, reasonSealed, expiresAt });
      const after = await this.scopes.resolve(tx, principal);
      const patient = await this.visible(tx, after.scope, id);
      await this.ctx.audit.recordFor(principal, origin, { action: 'patient.break-glass', outcome: 'success', resourceType: 'patient', resourceId: id, patientId: id, details: { minutes: settings?.breakGlassMinutes ?? 60 } });
      return { view: this.view(after, patient as PatientRecord), granted: true };
    }));
    if (!outcome.granted) return outcome.view;
    const view = outcome.view;
    await this.ctx.securityEvents.record({ kind: 'access.break-glass', tenantId: principal.tenantId, actorId: principal.userId, subjectId: id, details: { expiresAt: view.access.expiresAt?.toISOString() ?? '' }, ...origin });
    return view;
  }
}
