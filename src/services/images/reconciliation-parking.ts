import type { Readable } from 'node:stream';
import { imageRepository, type InstanceRow } from '../../data/repositories/image.repository.ts';
import { pendingObjectRepository } from '../../data/repositories/pending-object.repository.ts';
import { reconciliationRepository, type ReconciliationRow } from '../../data/repositories/reconciliation.repository.ts';
import type { Tx } from '../../data/unit-of-work.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import type { EncryptedBlobStore } from '../../storage/encrypted-blob-store.ts';
import type { Principal, RequestOrigin, ServiceContext } from '../context.ts';
import type { PatientProtection } from '../patient-protection.ts';
import { tenantKeyLookup } from '../tenant-key-lookup.ts';
import { storedSizeOf, type ValidatedFile } from './validate-upload.ts';

/** The table whose rows the sealed values are bound to (field-cipher associated data). */
const TABLE = 'reconciliation_items';

/** What an upload became when it was parked (a new item, or the same bytes parked before). */
export interface HeldOutcome {
  status: 'reconciliation';
  reconciliationId: string;
  kind: 'dicom';
}

/** A staged upload that passed every check but matched no patient. */
export interface ParkRequest {
  /** The staging object: the upload as received, already sealed under the tenant's quarantine key. */
  stagingId: string;
  /** Held in memory, or (large files) validated as a stream: the staging object is the parked copy either way. */
  file: Extract<ValidatedFile, { kind: 'dicom' }>;
  sha256: string;
  channel: ReconciliationRow['channel'];
}

/**
 * Either the upload is held (`kept`: the staging object is now the parked copy and must stay), or
 * its SOP Instance UID is already a stored instance: the caller applies the usual duplicate rule.
 */
export type ParkResult = { held: HeldOutcome; kept: boolean } | { stored: Pick<InstanceRow, 'id' | 'study_id' | 'series_id' | 'patient_id' | 'content_index'> };

/** The identifying values shown in the reconciliation list, decrypted. */
export interface ParkedValues {
  sopInstanceUid: string;
  studyInstanceUid: string;
  dicomPatientId: string | null;
  patientName: string | null;
  studyDate: string | null;
  studyDescription: string | null;
}

/**
 * The parked half of the reconciliation list (issue 6 item 1): DICOM that no patient claims is kept
 * as the very object the upload was staged into — already scanned, sealed under the tenant's
 * quarantine key, never served — with a row of field ciphertext under the same key. Filing it to a
 * patient re-validates those bytes and stores them under the patient's key (ReconciliationService).
 */
export class ReconciliationParking {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly protection: PatientProtection,
    private readonly store: EncryptedBlobStore,
  ) {}

  /**
   * Holds an unmatched instance. ING-6 applies as for stored instances: the same SOP Instance UID with
   * the same bytes is idempotent (the earlier item is answered), with other bytes a 409.
   */
  async park(principal: Principal, request: ParkRequest, origin: RequestOrigin): Promise<ParkResult> {
    const { tenantId } = principal;
    const dicom = request.file.dicom;
    return this.ctx.uow.run(tenantId, async (tx) => {
      const indexer = await this.protection.indexer(tx, tenantId);
      const sopIndex = indexer.exact('uid', dicom.sopInstanceUid);
      const contentIndex = indexer.exact('content', request.sha256);
      const stored = await imageRepository.instanceByUid(tx, tenantId, sopIndex);
      if (stored) return { stored };
      const earlier = await reconciliationRepository.bySopUid(tx, tenantId, sopIndex);
      if (earlier) return { held: await this.again(principal, earlier, contentIndex, request.channel, origin), kept: false };
      const key = await this.protection.activeTenantKey(tx, tenantId, 'quarantine');
      const id = request.stagingId;
      const seal = (field: string, value: string | undefined): Buffer | null => (value ? this.protection.sealValue(key.handle, tenantId, TABLE, id, field, value) : null);
      const inserted = await reconciliationRepository.insert(tx, {
        id, tenant_id: tenantId, key_version: key.version, sop_uid_index: sopIndex,
        sop_uid_enc: seal('sopInstanceUid', dicom.sopInstanceUid) as Buffer, study_uid_enc: seal('studyInstanceUid', dicom.studyInstanceUid) as Buffer,
        dicom_patient_id_enc: seal('dicomPatientId', dicom.patientId), patient_name_enc: seal('patientName', dicom.patientName),
        study_date_enc: seal('studyDate', dicom.studyDate), study_description_enc: seal('studyDescription', dicom.studyDescription),
        modality: dicom.modality ?? null, content_index: contentIndex, size: storedSizeOf(request.file), channel: request.channel, uploaded_by: principal.userId,
      });
      if (!inserted) {
        // A concurrent upload of the same SOP Instance UID was parked first (its row is committed).
        const winner = await reconciliationRepository.bySopUid(tx, tenantId, sopIndex);
        if (!winner) throw new ClarusError('CLARUS_ERR_CONFLICT');
        return { held: await this.again(principal, winner, contentIndex, request.channel, origin), kept: false };
      }
      // ING-7: the staging object stops being pending in the transaction that makes it an item.
      await pendingObjectRepository.settle(tx, id);
      await this.ctx.audit.recordFor(principal, origin, { action: 'reconciliation.hold', outcome: 'success', resourceType: 'reconciliation', resourceId: id, details: { channel: request.channel, bytes: storedSizeOf(request.file) } });
      return { held: { status: 'reconciliation', reconciliationId: id, kind: 'dicom' }, kept: true };
    });
  }

  private async again(principal: Principal, earlier: ReconciliationRow, contentIndex: Buffer, channel: string, origin: RequestOrigin): Promise<HeldOutcome> {
    if (!earlier.content_index.equals(contentIndex)) throw new ClarusError('CLARUS_ERR_INSTANCE_CONFLICT');
    await this.ctx.audit.recordFor(principal, origin, { action: 'reconciliation.hold', outcome: 'success', resourceType: 'reconciliation', resourceId: earlier.id, details: { channel, duplicate: true } });
    return { status: 'reconciliation', reconciliationId: earlier.id, kind: 'dicom' };
  }

  /** The decrypted identifying values of an item (for a caller already allowed to see it). */
  async values(tx: Tx, row: ReconciliationRow): Promise<ParkedValues> {
    const key = await this.protection.tenantKey(tx, row.tenant_id, 'quarantine', row.key_version);
    const open = (field: string, sealed: Buffer | null): string | null => (sealed ? this.protection.openValue(key, row.tenant_id, TABLE, row.id, field, sealed) : null);
    return {
      sopInstanceUid: open('sopInstanceUid', row.sop_uid_enc) ?? '', studyInstanceUid: open('studyInstanceUid', row.study_uid_enc) ?? '',
      dicomPatientId: open('dicomPatientId', row.dicom_patient_id_enc), patientName: open('patientName', row.patient_name_enc),
      studyDate: open('studyDate', row.study_date_enc), studyDescription: open('studyDescription', row.study_description_enc),
    };
  }

  /**
   * The parked bytes. The object names its key in its header; only this tenant's quarantine keys
   * open it, so an object copied in from another tenant does not, whatever its header says.
   */
  open(tenantId: string, id: string): Promise<Readable> {
    return this.store.open(tenantKeyLookup(this.ctx.uow, this.protection, tenantId, 'quarantine'), id);
  }

  /**
   * Takes an item off the list inside the caller's transaction; its object becomes pending (ING-7), so
   * that a crash before `removeObject` leaves it to the start-up sweep. False when it was already gone.
   */
  async release(tx: Tx, tenantId: string, id: string): Promise<boolean> {
    if (!(await reconciliationRepository.remove(tx, tenantId, id))) return false;
    await pendingObjectRepository.announce(tx, id, tenantId, this.ctx.clock());
    return true;
  }

  /** Removes a released item's object, then its announcement. */
  async removeObject(tenantId: string, id: string): Promise<void> {
    await this.store.delete(id);
    await this.ctx.uow.run(tenantId, (tx) => pendingObjectRepository.settle(tx, id));
  }
}
