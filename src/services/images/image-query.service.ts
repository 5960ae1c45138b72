import type { Readable } from 'node:stream';
import type { KeyHandle } from '../../crypto/keys/key-material.ts';
import { imageRepository, type ImageScope, type InstanceRow, type SeriesRow, type StudyRow } from '../../data/repositories/image.repository.ts';
import { patientRepository } from '../../data/repositories/patient.repository.ts';
import type { Tx } from '../../data/unit-of-work.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import { imagesLimitedToOwnUploads } from '../../domain/image-access.ts';
import { isRole } from '../../domain/roles.ts';
import { reaches } from '../../domain/patient-access.ts';
import type { PatientRecord } from '../../domain/patient.ts';
import { canonical } from '../patient-protection.ts';
import type { Principal, RequestOrigin, ServiceContext } from '../context.ts';
import type { PatientObjects } from '../patient-objects.ts';
import type { PatientProtection } from '../patient-protection.ts';
import type { PatientScopeService } from '../patient-scope.service.ts';

/** A study as the viewer and QIDO-RS see it (decrypted for a caller who may see it). */
export interface StudyView {
  id: string;
  patientId: string;
  studyInstanceUid: string;
  accessionNumber: string | null;
  studyDate: string | null;
  studyTime: string | null;
  description: string | null;
  modalities: string[];
  series: SeriesView[];
  /** The study's patient, with `withPatient` only (QIDO-RS answers with Patient's Name, ID, Birth Date, Sex). */
  patient?: StudyPatient | undefined;
}

/** What DICOMweb says of a study's patient: birth date and sex only to callers with the full field set. */
export interface StudyPatient {
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string | null;
  sex: string | null;
}

export interface SeriesView {
  id: string;
  studyId: string;
  seriesInstanceUid: string;
  modality: string | null;
  seriesNumber: number | null;
  description: string | null;
  instances: InstanceView[];
}

export interface InstanceView {
  id: string;
  seriesId: string;
  studyId: string;
  patientId: string;
  sopInstanceUid: string;
  sopClassUid: string | null;
  transferSyntaxUid: string | null;
  kind: InstanceRow['kind'];
  instanceNumber: number | null;
  rows: number | null;
  columns: number | null;
  frames: number | null;
  bitsAllocated: number | null;
  burnedInAnnotation: string | null;
  size: number;
  createdAt: Date;
}

/** Filters of a study search (QIDO-RS matching is built on these; values are matched exactly or by day). */
export interface StudyFilter {
  patientId?: string | undefined;
  studyInstanceUid?: string | undefined;
  accessionNumber?: string | undefined;
  /** Inclusive YYYYMMDD days; a range is expanded to its days (at most 3,660). */
  studyDates?: string[] | undefined;
  modality?: string | undefined;
  limit: number;
  offset: number;
  /** DICOMweb: the patient whose MRN is this DICOM Patient ID (exact, through the MRN blind index). */
  patientMrn?: string | undefined;
  /** DICOMweb: studies holding this series or this instance (blind indexes). */
  seriesInstanceUid?: string | undefined;
  sopInstanceUid?: string | undefined;
  /** DICOMweb: only studies holding at least one DICOM instance. */
  dicomOnly?: boolean | undefined;
  /** Adds `patient` to each study. */
  withPatient?: boolean | undefined;
  /**
   * A test on decrypted studies, for values without a blind index (wildcards, open date ranges, UID
   * lists): studies in reach are read in batches, and `limit` and `offset` count those that pass.
   */
  match?: ((study: StudyView) => boolean) | undefined;
}

/** A patient's data key (version 1 unless said), read at most once per transaction. */
type KeyMemo = (patientId: string, version?: number) => Promise<KeyHandle>;

/** A query with `match` reads at most this many studies (bounded work per request); batches of MATCH_BATCH. */
export const MATCH_SCAN_LIMIT = 20_000;
const MATCH_BATCH = 500;

/**
 * Reading images (issue 6): studies, series and instances within the caller's reach (the patients
 * they reach; Technicians only their own uploads), decrypted for them, and instance bytes — every
 * search, view and download audited before data leaves (AUD-1).
 */
export class ImageQueryService {
  /** Views handed out by `instancesByUid`, with who got them and the key that opened them (see `recent`). */
  private readonly handedOut = new WeakMap<InstanceView, { principal: Principal; key: KeyHandle }>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly scopes: PatientScopeService,
    private readonly protection: PatientProtection,
    private readonly objects: PatientObjects,
  ) {}

  async scopeOf(tx: Tx, principal: Principal): Promise<ImageScope> {
    const resolved = await this.scopes.resolve(tx, principal);
    return { ...resolved.scope, uploadedBy: imagesLimitedToOwnUploads(principal.roles.filter(isRole)) ? principal.userId : null };
  }

  /** Studies (with series and instances) matching the filter, newest first. */
  async studies(principal: Principal, filter: StudyFilter, origin: RequestOrigin): Promise<StudyView[]> {
    return (await this.searchStudies(principal, filter, origin)).studies;
  }

  /** Like `studies`; `complete` is false when a `match` query stopped at MATCH_SCAN_LIMIT studies. */
  async searchStudies(principal: Principal, filter: StudyFilter, origin: RequestOrigin): Promise<{ studies: StudyView[]; complete: boolean }> {
    let complete = true;
    const views = await this.ctx.uow.read(principal.tenantId, async (tx) => {
      const scope = await this.scopeOf(tx, principal);
      if (filter.patientId && !(await patientRepository.findVisible(tx, scope, filter.patientId))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      const indexer = await this.protection.existingIndexer(tx, principal.tenantId);
      if (!indexer) return [];
      const keyOf = this.keyMemo(tx, principal.tenantId);
      // Patients already opened within reach (the MRN match): addPatients need not read them again.
      const opened = new Map<string, PatientRecord>();
      let patientId = filter.patientId;
      if (filter.patientMrn !== undefined) {
        // The index only narrows: candidates are decrypted and compared, as in the patient search.
        const candidates = await patientRepository.byIndex(tx, scope, { mrn: indexer.exact('mrn', canonical.mrn(filter.patientMrn)) }, 2);
        for (const c of candidates) opened.set(c.id, this.protection.open(await keyOf(c.id, c.dataKeyVersion), principal.tenantId, c));
        const found = [...opened.values()].find((p) => p.mrn === filter.patientMrn);
        if (!found || (patientId !== undefined && patientId !== found.id)) return [];
        patientId = found.id;
      }
      const query = {
        patientId, modality: filter.modality,
        studyUidIndex: filter.studyInstanceUid ? indexer.exact('uid', filter.studyInstanceUid) : undefined,
        accessionIndex: filter.accessionNumber ? indexer.exact('accession', filter.accessionNumber) : undefined,
        dateIndexes: filter.studyDates?.map((day) => indexer.exact('study-date', day)),
        seriesUidIndex: filter.seriesInstanceUid ? indexer.exact('uid', filter.seriesInstanceUid) : undefined,
        sopUidIndex: filter.sopInstanceUid ? indexer.exact('uid', filter.sopInstanceUid) : undefined,
        dicomOnly: filter.dicomOnly,
      };
      const read = async (limit: number, offset: number) => {
        const found = await this.assemble(tx, scope, await imageRepository.studies(tx, scope, { ...query, limit, offset }), keyOf);
        if (filter.withPatient) await this.addPatients(tx, scope, found, keyOf, opened);
        return found;
      };
      if (!filter.match) return read(filter.limit, filter.offset);
      const wanted = filter.offset + filter.limit;
      const passed: StudyView[] = [];
      for (let scanned = 0; passed.length < wanted;) {
        if (scanned >= MATCH_SCAN_LIMIT) {
          complete = false;
          break;
        }
        const batch = await read(MATCH_BATCH, scanned);
        passed.push(...batch.filter(filter.match));
        scanned += batch.length;
        if (batch.length < MATCH_BATCH) break;
      }
      return passed.slice(filter.offset, wanted);
    });
    const entries = views.length > 0
      ? views.map((v) => ({ action: 'image.search' as const, outcome: 'success' as const, resourceType: 'study', resourceId: v.id, patientId: v.patientId }))
      : [{ action: 'image.search' as const, outcome: 'success' as const, details: { results: 0 } }];
    await Promise.all(entries.map((facts) => this.ctx.audit.recordFor(principal, origin, facts)));
    return { studies: views, complete };
  }

  /** Minimum necessary (45 CFR 164.502(b)): birth date and sex only where the caller has the full field set. */
  private async addPatients(tx: Tx, scope: ImageScope, studies: StudyView[], keyOf: KeyMemo, opened: ReadonlyMap<string, PatientRecord>): Promise<void> {
    const patients = new Map<string, StudyPatient | undefined>();
    for (const id of new Set(studies.map((s) => s.patientId))) {
      let record = opened.get(id);
      if (!record) {
        const stored = await patientRepository.findVisible(tx, scope, id);
        record = stored && this.protection.open(await keyOf(stored.id, stored.dataKeyVersion), scope.tenantId, stored);
      }
      const full = reaches(scope.reach.full, id);
      patients.set(id, record && { mrn: record.mrn, givenName: record.givenName, familyName: record.familyName, birthDate: full ? record.birthDate : null, sex: full ? record.sex : null });
    }
    for (const study of studies) study.patient = patients.get(study.patientId);
  }

  /**
   * DICOMweb WADO-RS (PS3.18 §10.4): the instances that a study, series or instance URL names,
   * within reach, in series and instance order. Not audited here: each instance is audited when opened.
   */
  async instancesByUid(principal: Principal, uids: { study: string; series?: string | undefined; instance?: string | undefined }): Promise<InstanceView[]> {
    return this.ctx.uow.read(principal.tenantId, async (tx) => {
      const { tenantId } = principal;
      const scope = await this.scopeOf(tx, principal);
      const indexer = await this.protection.existingIndexer(tx, tenantId);
      if (!indexer) return [];
      if (uids.instance !== undefined) {
        // One instance: found by its own index, within reach, in the study and series that its URL names.
        const row = await imageRepository.instanceAt(tx, scope, {
          sopUidIndex: indexer.exact('uid', uids.instance), studyUidIndex: indexer.exact('uid', uids.study),
          seriesUidIndex: uids.series === undefined ? undefined : indexer.exact('uid', uids.series),
        });
        if (!row) return [];
        const key = await this.protection.patientKey(tx, tenantId, row.patient_id, 1);
        const view = this.instanceView(key, tenantId, row);
        return view.sopInstanceUid === uids.instance ? [this.resolved(principal, view, key)] : [];
      }
      const rows = await imageRepository.studies(tx, scope, {
        studyUidIndex: indexer.exact('uid', uids.study), seriesUidIndex: uids.series === undefined ? undefined : indexer.exact('uid', uids.series), limit: 1, offset: 0,
      });
      const keyOf = this.keyMemo(tx, tenantId);
      const [study] = await this.assemble(tx, scope, rows, keyOf);
      if (study?.studyInstanceUid !== uids.study) return [];
      const key = await keyOf(study.patientId);
      return study.series.filter((s) => uids.series === undefined || s.seriesInstanceUid === uids.series).flatMap((s) => s.instances.map((i) => this.resolved(principal, i, key)));
    });
  }

  /** Remembers, for `open`, that this principal was just given this view, and the key that opened it. */
  private resolved(principal: Principal, view: InstanceView, key: KeyHandle): InstanceView {
    this.handedOut.set(view, { principal, key });
    return view;
  }

  /**
   * Patient data keys for one transaction, each read once (a study search opens the matched patient,
   * their studies and their record with the same key: one key row read instead of three).
   */
  private keyMemo(tx: Tx, tenantId: string): KeyMemo {
    const keys = new Map<string, Promise<KeyHandle>>();
    return (patientId, version = 1) => {
      const id = `${patientId}/${version}`;
      let key = keys.get(id);
      if (!key) {
        key = this.protection.patientKey(tx, tenantId, patientId, version);
        keys.set(id, key);
      }
      return key;
    };
  }

  private async assemble(tx: Tx, scope: ImageScope, studies: StudyRow[], keyOf: KeyMemo): Promise<StudyView[]> {
    const series = await imageRepository.seriesOfStudies(tx, scope.tenantId, studies.map((s) => s.id));
    const instances = await imageRepository.instancesOfSeries(tx, scope, series.map((s) => s.id));
    const out: StudyView[] = [];
    for (const study of studies) {
      const key = await keyOf(study.patient_id);
      const open = (field: string, sealed: Buffer | null) => (sealed ? this.protection.openValue(key, scope.tenantId, 'studies', study.id, field, sealed) : null);
      out.push({
        id: study.id, patientId: study.patient_id, studyInstanceUid: open('studyInstanceUid', study.study_uid_enc) as string,
        accessionNumber: open('accessionNumber', study.accession_enc), studyDate: open('studyDate', study.study_date_enc),
        studyTime: open('studyTime', study.study_time_enc), description: open('studyDescription', study.description_enc), modalities: study.modalities,
        series: series.filter((s) => s.study_id === study.id).map((s) => this.seriesView(key, scope.tenantId, s, instances.filter((i) => i.series_id === s.id)))
          .filter((s) => s.instances.length > 0),
      });
    }
    return out;
  }

  private seriesView(key: KeyHandle, tenantId: string, s: SeriesRow, instances: InstanceRow[]): SeriesView {
    return {
      id: s.id, studyId: s.study_id, modality: s.modality, seriesNumber: s.series_number,
      seriesInstanceUid: this.protection.openValue(key, tenantId, 'series', s.id, 'seriesInstanceUid', s.series_uid_enc),
      description: s.description_enc ? this.protection.openValue(key, tenantId, 'series', s.id, 'seriesDescription', s.description_enc) : null,
      instances: instances.map((i) => this.instanceView(key, tenantId, i)),
    };
  }

  private instanceView(key: KeyHandle, tenantId: string, i: InstanceRow): InstanceView {
    const protection = this.protection;
    let sopInstanceUid: string | undefined;
    return {
      id: i.id, seriesId: i.series_id, studyId: i.study_id, patientId: i.patient_id,
      // Opened when first read: a study-level search assembles every instance of the studies it
      // answers (for counts and kinds) but shows none of their UIDs — 50 field decryptions per CT
      // study that nobody looked at. An accessor in a literal is enumerable: JSON and spreads see it.
      get sopInstanceUid(): string {
        sopInstanceUid ??= protection.openValue(key, tenantId, 'instances', i.id, 'sopInstanceUid', i.sop_uid_enc);
        return sopInstanceUid;
      },
      sopClassUid: i.sop_class_uid, transferSyntaxUid: i.transfer_syntax_uid, kind: i.kind, instanceNumber: i.instance_number,
      rows: i.rows, columns: i.columns, frames: i.frames, bitsAllocated: i.bits_allocated, burnedInAnnotation: i.burned_in_annotation,
      size: Number(i.size), createdAt: i.created_at,
    };
  }

  /**
   * A view that `instancesByUid` gave this same principal (WADO-RS resolves a URL's instances, then
   * opens each): reach and key were read moments ago in this request, so they are not read again.
   * Anything else — an id, or a view from elsewhere — is looked up and checked afresh.
   */
  private recent(principal: Principal, view: InstanceView): { instance: InstanceView; key: KeyHandle } | undefined {
    const given = this.handedOut.get(view);
    return given?.principal === principal ? { instance: view, key: given.key } : undefined;
  }

  /** One instance's description, if the caller reaches it; else the same 404 as a missing one. */
  async instance(principal: Principal, instanceId: string): Promise<InstanceView> {
    return this.ctx.uow.read(principal.tenantId, async (tx) => {
      const scope = await this.scopeOf(tx, principal);
      const row = await imageRepository.instance(tx, scope, instanceId);
      if (!row) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      return this.instanceView(await this.protection.patientKey(tx, principal.tenantId, row.patient_id, 1), principal.tenantId, row);
    });
  }

  /**
   * The stored bytes of an instance (DICOM with its preamble zeroed, NIfTI as sent, PNG/JPEG without
   * metadata). The view or download is recorded, durably, before the stream is returned. `which` is
   * an instance id, or a view that `instancesByUid` gave the same principal (see `recent`).
   */
  async open(principal: Principal, which: string | InstanceView, purpose: 'view' | 'download', origin: RequestOrigin): Promise<{ instance: InstanceView; stream: Readable }> {
    const instanceId = typeof which === 'string' ? which : which.id;
    const { instance, key } = (typeof which !== 'string' && this.recent(principal, which)) || await this.ctx.uow.read(principal.tenantId, async (tx) => {
      // The row, the reach check and the patient's key in one transaction; the object is then opened
      // with that key (a retrieval used to read the key again in a transaction of its own).
      const scope = await this.scopeOf(tx, principal);
      const row = await imageRepository.instance(tx, scope, instanceId);
      if (!row) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      const patientKey = await this.protection.patientKey(tx, principal.tenantId, row.patient_id, 1);
      return { instance: this.instanceView(patientKey, principal.tenantId, row), key: patientKey };
    });
    await this.ctx.audit.recordFor(principal, origin, { action: purpose === 'view' ? 'image.view' : 'image.download', outcome: 'success', resourceType: 'instance', resourceId: instanceId, patientId: instance.patientId });
    return { instance, stream: await this.objects.open(principal.tenantId, instanceId, key) };
  }
}
