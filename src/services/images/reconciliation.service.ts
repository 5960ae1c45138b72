import { reconciliationRepository, type ReconciliationRow } from '../../data/repositories/reconciliation.repository.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import type { Principal, RequestOrigin, ServiceContext } from '../context.ts';
import { integrityError, isIntegrityFailure } from '../patient-protection.ts';
import type { IngestOutcome, IngestService } from './ingest.service.ts';
import type { ParkedValues, ReconciliationParking } from './reconciliation-parking.ts';

/** One item of the reconciliation list, decrypted for a caller who may manage it. */
export interface ReconciliationItemView extends ParkedValues {
  id: string;
  modality: string | null;
  size: number;
  channel: ReconciliationRow['channel'];
  uploadedBy: string | null;
  createdAt: Date;
}

/**
 * The reconciliation list (issue 6 item 1): unmatched DICOM waits here until it is filed to a patient
 * (`assign`, through the ingest pipeline's own store path) or discarded. Administrators see every
 * item of their tenant; anyone else with the permission (Technicians) only what they sent. Another tenant's items, and
 * items out of sight, are "not found".
 */
export class ReconciliationService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly parking: ReconciliationParking,
    private readonly ingest: Pick<IngestService, 'storeParked'>,
  ) {}

  /**
   * Only Administrators see every item: the list shows identifiers of files no patient claims yet,
   * so another role held alongside Technician (Viewer, Clinician: assigned patients only) must not
   * widen it to the tenant.
   */
  private uploaderScope(principal: Principal): string | null {
    return principal.roles.includes('Administrator') ? null : principal.userId;
  }

  /** The list, newest first; reading it is a PHI read (it shows the file's Patient ID and name), so it is audited. */
  async list(principal: Principal, page: { limit: number; offset: number }, origin: RequestOrigin): Promise<ReconciliationItemView[]> {
    const { tenantId } = principal;
    const items = await this.ctx.uow.read(tenantId, async (tx) => {
      const rows = await reconciliationRepository.list(tx, tenantId, this.uploaderScope(principal), page.limit, page.offset);
      const views: ReconciliationItemView[] = [];
      for (const row of rows) views.push({ ...(await this.open(principal, origin, () => this.parking.values(tx, row), row.id)), ...this.facts(row) });
      return views;
    });
    // AUD-1, fail-closed: no identifiers leave without their record (ids and a count only, AUD-3).
    await this.ctx.audit.recordFor(principal, origin, { action: 'reconciliation.list', outcome: 'success', resourceType: 'reconciliation', details: { count: items.length, offset: page.offset, items: items.map((i) => i.id).join(',') } });
    return items;
  }

  /**
   * Files an item to a patient in the caller's reach: the parked bytes are validated again and stored
   * under the patient's key through the ingest pipeline's store (same study/series rules, duplicate
   * rules and audit as an upload); the item leaves the list in the transaction that indexes the
   * instance, so either both happen or neither. Its parked object is removed afterwards (pending until
   * then, so a crash leaves it to the start-up sweep, ING-7).
   */
  async assign(principal: Principal, itemId: string, patientId: string, origin: RequestOrigin): Promise<IngestOutcome> {
    const { tenantId } = principal;
    const row = await this.ctx.uow.read(tenantId, (tx) => reconciliationRepository.byId(tx, tenantId, itemId, this.uploaderScope(principal)));
    if (!row) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    const record = async (tx: Parameters<ReconciliationParking['release']>[0], instanceId: string, duplicate: boolean) => {
      // Gone meanwhile (a concurrent discard or assign): the whole filing is undone (409).
      if (!(await this.parking.release(tx, tenantId, itemId))) throw new ClarusError('CLARUS_ERR_CONFLICT');
      await this.ctx.audit.recordFor(principal, origin, { action: 'reconciliation.assign', outcome: 'success', resourceType: 'reconciliation', resourceId: itemId, patientId, details: { instanceId, duplicate } });
    };
    const outcome = await this.ingest.storeParked(principal, {
      open: () => this.parking.open(tenantId, itemId), size: Number(row.size), patientId, channel: row.channel,
      onIndexed: (tx, instanceId) => record(tx, instanceId, false),
    }, origin).catch((error: unknown) => {
      if (isIntegrityFailure(error)) throw integrityError();
      throw error;
    });
    // The same instance was already stored for this patient (same bytes): nothing new was indexed, so
    // the item leaves the list on its own.
    if (outcome.status === 'duplicate') await this.ctx.uow.run(tenantId, (tx) => record(tx, outcome.instanceId, true));
    await this.parking.removeObject(tenantId, itemId);
    return outcome;
  }

  /** Discards an item and its parked object (audited; the bytes are gone for good). */
  async discard(principal: Principal, itemId: string, origin: RequestOrigin): Promise<void> {
    const { tenantId } = principal;
    await this.ctx.uow.run(tenantId, async (tx) => {
      const row = await reconciliationRepository.byId(tx, tenantId, itemId, this.uploaderScope(principal));
      if (!row || !(await this.parking.release(tx, tenantId, itemId))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      await this.ctx.audit.recordFor(principal, origin, { action: 'reconciliation.discard', outcome: 'success', resourceType: 'reconciliation', resourceId: itemId, details: { channel: row.channel } });
    });
    await this.parking.removeObject(tenantId, itemId);
  }

  private facts(row: ReconciliationRow): Omit<ReconciliationItemView, keyof ParkedValues> {
    return { id: row.id, modality: row.modality, size: Number(row.size), channel: row.channel, uploadedBy: row.uploaded_by, createdAt: row.created_at };
  }

  /** Decrypts, turning a damaged value into the catalog's integrity error and a High security event. */
  private async open(principal: Principal, origin: RequestOrigin, read: () => Promise<ParkedValues>, id: string): Promise<ParkedValues> {
    try {
      return await read();
    } catch (error) {
      if (!isIntegrityFailure(error)) throw error;
      await this.ctx.securityEvents.record({ kind: 'crypto.decrypt-failed', tenantId: principal.tenantId, actorId: principal.userId, subjectId: id, details: { failure: error.name, during: 'reconciliation' }, ...origin });
      throw integrityError();
    }
  }
}
