import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlindIndexer } from '../../crypto/blind-index.ts';
import type { KeyHandle } from '../../crypto/keys/key-material.ts';
import { imageRepository } from '../../data/repositories/image.repository.ts';
import { patientRepository } from '../../data/repositories/patient.repository.ts';
import { pendingObjectRepository } from '../../data/repositories/pending-object.repository.ts';
import type { Tx } from '../../data/unit-of-work.ts';
import type { AccessScope } from '../../domain/access-scope.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import type { ClamdScanner } from '../../ingest/clamd-client.ts';
import { IngestRefusal } from '../../ingest/ingest-errors.ts';
import type { EncryptedBlobStore } from '../../storage/encrypted-blob-store.ts';
import type { Principal, RequestOrigin, ServiceContext } from '../context.ts';
import type { PatientObjects } from '../patient-objects.ts';
import { canonical, type PatientProtection } from '../patient-protection.ts';
import type { PatientScopeService } from '../patient-scope.service.ts';
import { stageUpload } from './stage-upload.ts';
import { MemoryBudget } from './memory-budget.ts';
import { STREAMING_MIN_BYTES, validateStagedDicom } from './streamed-dicom.ts';
import { readStaged, UploadStaging } from './upload-staging.ts';
import { contentOf, storedSizeOf, validateUpload, type AcceptedFile, type UploadLimits, type ValidatedFile } from './validate-upload.ts';
import { IndexBatch, runAlone, type IndexWork } from './index-batch.ts';
import { describeInstance, type InstanceFacts } from './instance-facts.ts';
import type { HeldOutcome, ReconciliationParking } from './reconciliation-parking.ts';

export type IngestChannel = 'upload' | 'stow' | 'dimse';

export interface IngestRequest {
  source: Readable;
  /** Content-Length, when the client declared one: over the limit answers 413 before reading. */
  declaredSize: number | null;
  contentType: string | undefined;
  /** The patient chosen by the uploader; null lets DICOM be matched by Patient ID ↔ MRN (ING-6). */
  patientId: string | null;
  /** Non-DICOM files may join an existing study of the same patient. */
  studyId?: string | null;
  channel: IngestChannel;
  /** STOW-RS to /studies/{study} (PS3.18 §10.5.1): a DICOM instance of another study is refused. */
  studyInstanceUid?: string | null;
  /**
   * Issue 6 item 1: DICOM without a chosen patient whose Patient ID matches no MRN is held in the
   * reconciliation list (answered as a HeldOutcome) instead of refused with CLARUS_ERR_PATIENT_UNMATCHED.
   * Callers opt in, as they must be able to answer "held".
   */
  holdUnmatched?: boolean;
  /**
   * STOW-RS: the index transaction is shared with other parts of the same request (index-batch.ts).
   * Not with `onIndexed`. Single uploads and DIMSE index alone.
   */
  indexBatch?: IndexBatch | undefined;
  /** Called when only the shared index transaction is left to wait for (STOW-RS frees the part's slot). */
  onIndexWaiting?: (() => void) | undefined;
  /** Runs inside the transaction that indexes a new instance (reconciliation: the parked item goes with it). */
  onIndexed?: ((tx: Tx, instanceId: string) => Promise<void>) | undefined;
}

export interface IngestOutcome {
  status: 'stored' | 'duplicate';
  instanceId: string;
  studyId: string;
  seriesId: string;
  patientId: string;
  kind: AcceptedFile['kind'];
}

export interface IngestSettings extends UploadLimits {
  /** Development and tests only: accept files without a malware scan (a warning is printed at start). */
  allowUnscanned: boolean;
  /** Bytes that files being validated may hold in memory together. */
  memoryBudget: number;
}

/**
 * The one pipeline every image takes — web upload, STOW-RS and DIMSE C-STORE (ING-1..7): size limit
 * while streaming → SHA-256 → clamd INSTREAM in the same pass → type from the bytes → hardened
 * validation → patient match → encrypted object → index, audit entry in one transaction. Any refusal
 * leaves nothing; a crash between object and index leaves an orphan object that the sweep removes.
 */
export class IngestService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly scopes: PatientScopeService,
    private readonly protection: PatientProtection,
    private readonly objects: PatientObjects,
    private readonly quarantineStore: EncryptedBlobStore,
    private readonly scanner: ClamdScanner | null,
    private readonly settings: IngestSettings,
    /** Unmatched DICOM waits here instead of being refused (issue 6 item 1); null refuses it (422). */
    private readonly parking: ReconciliationParking | null = null,
  ) {
    this.memory = new MemoryBudget(settings.memoryBudget);
  }

  private readonly memory: MemoryBudget;
  /** Per index transaction: the study and series rows it has seen, by blind index (placeInStudy). */
  private readonly placedInTx = new WeakMap<Tx, Map<string, { id: string; patient_id: string; modalities: string[] } | { id: string; study_id: string }>>();

  /** A group commit for the index transactions of one request's instances (STOW-RS: `IngestRequest.indexBatch`). */
  indexBatch(principal: Principal): IndexBatch {
    return new IndexBatch(this.ctx.uow, principal.tenantId);
  }

  ingest(principal: Principal, request: IngestRequest & { holdUnmatched: true }, origin: RequestOrigin): Promise<IngestOutcome | HeldOutcome>;
  ingest(principal: Principal, request: IngestRequest, origin: RequestOrigin): Promise<IngestOutcome>;
  async ingest(principal: Principal, request: IngestRequest, origin: RequestOrigin): Promise<IngestOutcome | HeldOutcome> {
    try {
      if (request.declaredSize !== null && request.declaredSize > this.settings.maxBytes) throw new IngestRefusal('TOO_LARGE', 'declared size over the limit');
      if (!this.scanner && !this.settings.allowUnscanned) throw new IngestRefusal('SCANNER_UNAVAILABLE', 'no CLAMD_URL');
      return await this.stageAndStore(principal, request, origin);
    } catch (error) {
      // The body is not read further; the HTTP layer closes the connection after answering.
      request.source.pause();
      if (!(error instanceof IngestRefusal)) throw error;
      if (error.code === 'TOO_LARGE') {
        await this.ctx.securityEvents.record({ kind: 'ingest.oversize', tenantId: principal.tenantId, actorId: principal.userId, details: { channel: request.channel }, ...origin });
      } else if (error.code !== 'INFECTED' && error.code !== 'SCANNER_UNAVAILABLE') {
        await this.ctx.securityEvents.record({ kind: 'ingest.refused', tenantId: principal.tenantId, actorId: principal.userId, details: { channel: request.channel, code: error.code }, ...origin });
      }
      throw new ClarusError(`CLARUS_ERR_FILE_${error.code}`);
    }
  }

  /**
   * The upload is staged (upload-staging.ts: held in memory when small, else streamed into a staging
   * object sealed under the tenant's quarantine key) while it is counted, hashed and scanned.
   * Infected: the staging object is the quarantined copy. Clean: it is validated within the memory
   * budget (large DICOM as a stream from the staging object: `validate`), stored under the patient's
   * key, and the staging copy goes.
   */
  private async stageAndStore(principal: Principal, request: IngestRequest, origin: RequestOrigin): Promise<IngestOutcome | HeldOutcome> {
    const { tenantId } = principal;
    const stagingId = randomUUID();
    const staging = new UploadStaging(stagingId, {
      announce: () => this.ctx.uow.run(tenantId, async (tx) => {
        await pendingObjectRepository.announce(tx, stagingId, tenantId, this.ctx.clock());
        return this.protection.quarantineKey(tx, tenantId);
      }),
      discard: () => this.discard(tenantId, stagingId),
      store: this.quarantineStore,
      memory: this.memory,
    });
    let keep = false;
    try {
      const staged = await stageUpload(request.source, this.settings.maxBytes, this.scanner, (plaintext) => staging.receive(plaintext));
      if (staged.verdict && !staged.verdict.clean) {
        await staging.persist();
        await this.quarantine(principal, stagingId, staged.size, staged.verdict.signature, request.channel, origin);
        keep = true;
        throw new IngestRefusal('INFECTED');
      }
      const { file, release } = await this.validate(staging, staged, request.contentType);
      try {
        try {
          return await this.store(principal, request, file, staged.sha256, origin);
        } catch (error) {
          // Only DICOM sent without a chosen patient whose Patient ID matches no MRN waits for
          // reconciliation; a mismatch with a chosen patient or another patient's study stays refused.
          if (!this.parking || request.holdUnmatched !== true || file.kind !== 'dicom' || request.patientId !== null || !(error instanceof ClarusError) || error.code !== 'CLARUS_ERR_PATIENT_UNMATCHED') throw error;
          await staging.persist(); // the parked copy is the staging object, as received
          const parked = await this.parking.park(principal, { stagingId, file, sha256: staged.sha256, channel: request.channel }, origin);
          if ('stored' in parked) return await this.duplicate(principal, parked.stored, await this.contentIndex(tenantId, staged.sha256), file.kind, origin);
          keep = parked.kept;
          return parked.held;
        }
      } finally {
        release();
      }
    } finally {
      if (keep) staging.keep();
      else await staging.discard().catch(() => undefined);
    }
  }

  /**
   * A staged object over STREAMING_MIN_BYTES that is DICOM is validated as a stream and later stored
   * from the staging object again (streamed-dicom.ts): only its data set without the Pixel Data value
   * is held, so memory stays flat however large the file. Everything else, and DICOM that cannot be
   * streamed (Deflated, PS3.5 §A.5; a data set without Pixel Data over 16 MiB) when the memory budget
   * can hold it, is read back whole and validated in memory as before. `release` gives the memory back.
   */
  private async validate(staging: UploadStaging, staged: { size: number; sha256: string }, contentType: string | undefined): Promise<{ file: ValidatedFile; release: () => void }> {
    if (staging.staged && staged.size > STREAMING_MIN_BYTES) {
      const streamed = await this.validateStreamed(() => staging.open(), staged.size, contentType);
      if (streamed !== undefined) {
        // The pass that validated is the upload that was scanned and hashed, byte for byte.
        if (streamed.sha256 !== staged.sha256) throw new IngestRefusal('MALFORMED', 'the staged object differs from what was received');
        return { file: streamed.file, release: () => undefined };
      }
    }
    const { bytes, release } = await staging.read(staged.size);
    try {
      return { file: await validateUpload(bytes, contentType, this.settings), release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Streaming validation of a large object; undefined when it must be validated whole (not DICOM, or not streamable). */
  private async validateStreamed(open: () => Promise<Readable>, size: number, contentType: string | undefined): Promise<{ file: ValidatedFile; sha256: string } | undefined> {
    const streamed = await validateStagedDicom(open, size, contentType, this.memory);
    if (streamed.status === 'accepted') return streamed;
    if (streamed.status === 'unstreamable' && size > this.settings.memoryBudget) {
      // Whole-file validation would need more than the whole budget: refused rather than waiting for it.
      throw new IngestRefusal('TOO_LARGE', `DICOM that cannot be validated as a stream (${streamed.reason}) over the ingest memory budget`);
    }
    return undefined;
  }

  private async contentIndex(tenantId: string, sha256: string): Promise<Buffer> {
    return this.ctx.uow.read(tenantId, async (tx) => (await this.protection.indexer(tx, tenantId)).exact('content', sha256));
  }

  /**
   * Reconciliation (issue 6 item 1): a parked DICOM instance, filed to the chosen patient through the
   * same path as an upload — validated again, sealed under the patient's key, indexed, audited. It was
   * scanned when it arrived. `onIndexed` runs in the indexing transaction (the item goes with it).
   */
  async storeParked(principal: Principal, parked: { open: () => Promise<Readable>; size: number; patientId: string; channel: IngestChannel; onIndexed: NonNullable<IngestRequest['onIndexed']> }, origin: RequestOrigin): Promise<IngestOutcome> {
    const request: IngestRequest = { source: Readable.from([]), declaredSize: null, contentType: 'application/dicom', patientId: parked.patientId, channel: parked.channel, onIndexed: parked.onIndexed };
    try {
      // A large parked file is filed as a large upload is stored: validated and sealed as streams.
      const streamed = parked.size > STREAMING_MIN_BYTES ? await this.validateStreamed(parked.open, parked.size, 'application/dicom') : undefined;
      if (streamed !== undefined) return await this.store(principal, request, streamed.file, streamed.sha256, origin);
    } catch (error) {
      if (error instanceof IngestRefusal) throw new ClarusError(`CLARUS_ERR_FILE_${error.code}`);
      throw error;
    }
    const release = await this.memory.acquire(parked.size);
    try {
      const bytes = await readStaged(await parked.open(), parked.size);
      // The content hash is of the bytes as received (the preamble not yet zeroed), as for any upload.
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const file = await validateUpload(bytes, 'application/dicom', this.settings);
      return await this.store(principal, request, file, sha256, origin);
    } catch (error) {
      if (error instanceof IngestRefusal) throw new ClarusError(`CLARUS_ERR_FILE_${error.code}`);
      throw error;
    } finally {
      release();
    }
  }

  /** ING-3: the staged object stays, sealed under the tenant's quarantine key, for Administrators. */
  private async quarantine(principal: Principal, id: string, size: number, signature: string, channel: IngestChannel, origin: RequestOrigin): Promise<void> {
    await this.ctx.uow.run(principal.tenantId, async (tx) => {
      await pendingObjectRepository.settle(tx, id);
      await imageRepository.insertQuarantine(tx, { id, tenantId: principal.tenantId, uploadedBy: principal.userId, signature: signature.slice(0, 200), size, source: channel });
      await this.ctx.audit.recordFor(principal, origin, { action: 'image.quarantine', outcome: 'denied', resourceType: 'quarantine', resourceId: id, details: { channel, size } });
    });
    await this.ctx.securityEvents.record({ kind: 'ingest.malware', tenantId: principal.tenantId, actorId: principal.userId, subjectId: id, details: { channel, signature: signature.slice(0, 100) }, ...origin });
  }

  private async store(principal: Principal, request: IngestRequest, file: ValidatedFile, sha256: string, origin: RequestOrigin): Promise<IngestOutcome> {
    const { tenantId } = principal;
    const facts = describeInstance(file);
    if (request.studyInstanceUid && (file.kind !== 'dicom' || facts.studyInstanceUid !== request.studyInstanceUid)) throw new ClarusError('CLARUS_ERR_STUDY_MISMATCH');
    const instanceId = randomUUID();
    // Where it goes, and whether it is already here, in one transaction with the announcement of the
    // new object (ING-7: announced before it is written, so that a crash before the index commits
    // leaves a row for the sweep). A duplicate writes nothing: its transaction only read.
    const plan = await this.ctx.uow.run(tenantId, async (tx) => {
      const resolved = await this.scopes.resolve(tx, principal);
      const indexer = await this.protection.indexer(tx, tenantId).catch(() => undefined);
      if (!indexer) throw new ClarusError(request.patientId ? 'CLARUS_ERR_NOT_FOUND' : 'CLARUS_ERR_PATIENT_UNMATCHED');
      const patientId = await this.resolvePatient(tx, resolved.scope, indexer, request, facts);
      const existing = await imageRepository.instanceByUid(tx, tenantId, indexer.exact('uid', facts.sopInstanceUid));
      const contentIndex = indexer.exact('content', sha256);
      if (existing) return { patientId, existing, contentIndex, indexer, key: undefined };
      const key = await this.protection.patientKey(tx, tenantId, patientId, 1);
      await pendingObjectRepository.announce(tx, instanceId, tenantId, this.ctx.clock());
      return { patientId, existing, contentIndex, indexer, key };
    });
    if (plan.existing) return this.duplicate(principal, plan.existing, plan.contentIndex, file.kind, origin);
    try {
      // Held files go from their buffer; streamed DICOM from its staged object again, preamble zeroed.
      const size = storedSizeOf(file);
      await this.objects.putWithKey(plan.key, instanceId, await contentOf(file));
      const index: IndexWork<{ studyId: string; seriesId: string } | undefined> = async (tx, steps) => {
        steps.settle(instanceId);
        // Read again inside the index transaction: a patient erased meanwhile (key destroyed) gets no
        // new rows. The unwrap is the keyring's cached one; the blind-index key never rotates.
        const key = await this.protection.patientKey(tx, tenantId, plan.patientId, 1);
        const { indexer } = plan;
        const where = await this.placeInStudy(tx, key, indexer, tenantId, plan.patientId, facts, request.studyId ?? null);
        const inserted = await imageRepository.insertInstance(tx, {
          id: instanceId, tenant_id: tenantId, patient_id: plan.patientId, study_id: where.studyId, series_id: where.seriesId,
          sop_uid_index: indexer.exact('uid', facts.sopInstanceUid),
          sop_uid_enc: this.protection.sealValue(key, tenantId, 'instances', instanceId, 'sopInstanceUid', facts.sopInstanceUid),
          sop_class_uid: facts.sopClassUid, transfer_syntax_uid: facts.transferSyntaxUid, kind: file.kind,
          instance_number: facts.instanceNumber, rows: facts.rows, columns: facts.columns, frames: facts.frames, bits_allocated: facts.bitsAllocated,
          burned_in_annotation: facts.burnedInAnnotation, content_index: plan.contentIndex, size,
          stored_size: size, uploaded_by: principal.userId,
        });
        if (!inserted) return undefined;
        // Inside the transaction (AUD-1, fail-closed): no acknowledged upload without its record.
        // Before the upload's audit entry: a refusal here (the item went meanwhile) leaves no entry behind.
        await request.onIndexed?.(tx, instanceId);
        // Appended after the rows (of every part of a batch) and durable before the commit.
        steps.audit(() => this.ctx.audit.recordFor(principal, origin, { action: 'image.upload', outcome: 'success', resourceType: 'instance', resourceId: instanceId, patientId: plan.patientId, details: { channel: request.channel, kind: file.kind, bytes: size } }));
        return where;
      };
      let indexed: Awaited<ReturnType<typeof index>>;
      // STOW-RS: with other parts of the request (IndexBatch: several per transaction, one audit append); otherwise alone.
      if (request.indexBatch && !request.onIndexed) {
        const queued = request.indexBatch.add(index);
        request.onIndexWaiting?.();
        indexed = await queued;
      } else {
        indexed = await runAlone(this.ctx.uow, tenantId, index);
      }
      if (!indexed) {
        // A concurrent upload of the same SOP Instance UID won: ours is a duplicate or a conflict.
        await this.discard(tenantId, instanceId);
        const existing = await this.ctx.uow.read(tenantId, async (tx) => imageRepository.instanceByUid(tx, tenantId, (await this.protection.indexer(tx, tenantId)).exact('uid', facts.sopInstanceUid)));
        if (!existing) throw new ClarusError('CLARUS_ERR_CONFLICT');
        return this.duplicate(principal, existing, plan.contentIndex, file.kind, origin);
      }
      return { status: 'stored', instanceId, studyId: indexed.studyId, seriesId: indexed.seriesId, patientId: plan.patientId, kind: file.kind };
    } catch (error) {
      await this.discard(tenantId, instanceId).catch(() => undefined);
      throw error;
    }
  }

  /** Removes an object that will not be indexed, then its announcement. */
  private async discard(tenantId: string, objectId: string): Promise<void> {
    await this.objects.remove(objectId);
    await this.ctx.uow.run(tenantId, (tx) => pendingObjectRepository.settle(tx, objectId));
  }

  /** ING-6: the same SOP Instance UID with the same bytes is idempotent; with other bytes, a 409. */
  private async duplicate(principal: Principal, existing: { id: string; study_id: string; series_id: string; patient_id: string; content_index: Buffer }, contentIndex: Buffer, kind: AcceptedFile['kind'], origin: RequestOrigin): Promise<IngestOutcome> {
    if (!existing.content_index.equals(contentIndex)) throw new ClarusError('CLARUS_ERR_INSTANCE_CONFLICT');
    await this.ctx.audit.recordFor(principal, origin, { action: 'image.upload', outcome: 'success', resourceType: 'instance', resourceId: existing.id, patientId: existing.patient_id, details: { duplicate: true } });
    return { status: 'duplicate', instanceId: existing.id, studyId: existing.study_id, seriesId: existing.series_id, patientId: existing.patient_id, kind };
  }

  /**
   * The chosen patient must be in the uploader's reach; a DICOM Patient ID that is another patient's
   * MRN is refused (a misfiled image is a patient-safety risk). Without a choice, the Patient ID must
   * match an MRN of the tenant within reach.
   */
  private async resolvePatient(tx: Tx, scope: AccessScope, indexer: BlindIndexer, request: IngestRequest, facts: InstanceFacts): Promise<string> {
    let matched: string | undefined;
    if (facts.patientId) {
      const [candidate] = await patientRepository.byIndex(tx, scope, { mrn: indexer.exact('mrn', canonical.mrn(facts.patientId)) }, 2);
      if (candidate) {
        const record = await this.protection.openStored(tx, scope.tenantId, candidate);
        if (record.mrn === facts.patientId) matched = record.id;
      }
    }
    const study = await imageRepository.studyByUid(tx, scope.tenantId, indexer.exact('uid', facts.studyInstanceUid));
    if (request.patientId) {
      if (!(await patientRepository.findVisible(tx, scope, request.patientId))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      if ((matched && matched !== request.patientId) || (study && study.patient_id !== request.patientId)) throw new ClarusError('CLARUS_ERR_PATIENT_MISMATCH');
      return request.patientId;
    }
    if (study && matched && study.patient_id !== matched) throw new ClarusError('CLARUS_ERR_PATIENT_MISMATCH');
    if (!matched) throw new ClarusError('CLARUS_ERR_PATIENT_UNMATCHED');
    return matched;
  }

  /** Finds or creates the study and the series of an instance, sealing their identifying values. */
  private async placeInStudy(tx: Tx, key: KeyHandle, indexer: BlindIndexer, tenantId: string, patientId: string, facts: InstanceFacts, chosenStudy: string | null): Promise<{ studyId: string; seriesId: string }> {
    const now = this.ctx.clock();
    // The studies and series this transaction already placed instances in (a STOW-RS batch: the
    // instances of one study and series follow each other): rows seen in this transaction stay valid
    // in it, so they are not read again.
    let placed = this.placedInTx.get(tx);
    if (!placed) {
      placed = new Map();
      this.placedInTx.set(tx, placed);
    }
    const byUid = !(chosenStudy && facts.generatedUids);
    const studyIndex = indexer.exact('uid', facts.studyInstanceUid);
    const studyKey = `study:${studyIndex.toString('hex')}`;
    const seriesIndex = indexer.exact('uid', facts.seriesInstanceUid);
    const seriesKey = `series:${seriesIndex.toString('hex')}`;
    const known = byUid ? placed.get(studyKey) as { id: string; patient_id: string; modalities: string[] } | undefined : undefined;
    if (known && known.patient_id === patientId) {
      if (facts.modality && !known.modalities.includes(facts.modality)) {
        await imageRepository.addModality(tx, tenantId, known.id, facts.modality, now);
        known.modalities = [...known.modalities, facts.modality];
      }
      const knownSeries = placed.get(seriesKey) as { id: string; study_id: string } | undefined;
      if (knownSeries && knownSeries.study_id === known.id) return { studyId: known.id, seriesId: knownSeries.id };
    }
    let study = !byUid
      ? await tx.selectFrom('studies').selectAll().where('tenant_id', '=', tenantId).where('id', '=', chosenStudy).where('patient_id', '=', patientId).executeTakeFirst()
      : await imageRepository.studyByUid(tx, tenantId, studyIndex);
    if (chosenStudy && facts.generatedUids && !study) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    if (!study) {
      const id = randomUUID();
      const seal = (field: string, value: string | undefined) => (value ? this.protection.sealValue(key, tenantId, 'studies', id, field, value) : null);
      await imageRepository.insertStudy(tx, {
        id, tenant_id: tenantId, patient_id: patientId,
        study_uid_index: indexer.exact('uid', facts.studyInstanceUid), study_uid_enc: seal('studyInstanceUid', facts.studyInstanceUid) as Buffer,
        accession_index: facts.accessionNumber ? indexer.exact('accession', facts.accessionNumber) : null, accession_enc: seal('accessionNumber', facts.accessionNumber),
        study_date_index: facts.studyDate ? indexer.exact('study-date', facts.studyDate) : null, study_date_enc: seal('studyDate', facts.studyDate),
        study_time_enc: seal('studyTime', facts.studyTime), description_enc: seal('studyDescription', facts.studyDescription),
        referring_physician_enc: null, modalities: facts.modality ? [facts.modality] : [], updated_at: now,
      });
      // A concurrent upload of the same new study may have inserted it first: use whichever row exists.
      study = await imageRepository.studyByUid(tx, tenantId, indexer.exact('uid', facts.studyInstanceUid));
      if (study && study.patient_id !== patientId) throw new ClarusError('CLARUS_ERR_PATIENT_MISMATCH');
    } else if (study.patient_id !== patientId) {
      throw new ClarusError('CLARUS_ERR_PATIENT_MISMATCH');
    }
    const { id: studyId, modalities } = study as { id: string; modalities: string[] };
    // Modalities only grow: one already in the row as read needs no update. Otherwise addModality locks
    // the study row (FOR UPDATE) until commit — and the commit waits for the audit entry — which made
    // the instances of one study, arriving together, take turns.
    if (facts.modality && !modalities.includes(facts.modality)) await imageRepository.addModality(tx, tenantId, studyId, facts.modality, now);
    if (byUid) placed.set(studyKey, { id: studyId, patient_id: patientId, modalities: facts.modality && !modalities.includes(facts.modality) ? [...modalities, facts.modality] : modalities });
    const series = await imageRepository.seriesByUid(tx, tenantId, seriesIndex);
    if (series) {
      if (series.study_id !== studyId) throw new ClarusError('CLARUS_ERR_PATIENT_MISMATCH');
      placed.set(seriesKey, { id: series.id, study_id: studyId });
      return { studyId, seriesId: series.id };
    }
    const newSeriesId = randomUUID();
    await imageRepository.insertSeries(tx, {
      id: newSeriesId, tenant_id: tenantId, study_id: studyId, series_uid_index: seriesIndex,
      series_uid_enc: this.protection.sealValue(key, tenantId, 'series', newSeriesId, 'seriesInstanceUid', facts.seriesInstanceUid),
      modality: facts.modality ?? null, series_number: facts.seriesNumber,
      description_enc: facts.seriesDescription ? this.protection.sealValue(key, tenantId, 'series', newSeriesId, 'seriesDescription', facts.seriesDescription) : null,
    });
    // A concurrent upload of the same new series may have inserted it first: use whichever row exists.
    const inserted = await imageRepository.seriesByUid(tx, tenantId, seriesIndex);
    if (!inserted || inserted.study_id !== studyId) throw new ClarusError('CLARUS_ERR_PATIENT_MISMATCH');
    placed.set(seriesKey, { id: inserted.id, study_id: studyId });
    return { studyId, seriesId: inserted.id };
  }
}
