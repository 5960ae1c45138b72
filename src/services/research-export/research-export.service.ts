import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { KeyHandle } from '../../crypto/keys/key-material.ts';
import type { TenantPseudonyms } from '../../crypto/pseudonyms.ts';
import { imageRepository, type InstanceRow, type StudyRow } from '../../data/repositories/image.repository.ts';
import { patientRepository } from '../../data/repositories/patient.repository.ts';
import { researchExportRepository, type ResearchExportRow } from '../../data/repositories/research-export.repository.ts';
import { tenantRepository } from '../../data/repositories/tenant.repository.ts';
import { userRepository } from '../../data/repositories/user.repository.ts';
import type { Tx } from '../../data/unit-of-work.ts';
import { deidOptions, DEID_OPTION_NAMES } from '../../deid/deid-options.ts';
import { readPixelTextFacts } from '../../deid/dicom-deidentify.ts';
import { findMaskRule } from '../../deid/pixel-text-risk.ts';
import { PROFILE_EDITION } from '../../deid/generated/profile-table.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import { isRole, permissionsOf } from '../../domain/roles.ts';
import { safeHarborPatient, safeHarborRefusedOptions, type SafeHarborPatient } from '../../domain/safe-harbor.ts';
import type { EncryptedBlobStore } from '../../storage/encrypted-blob-store.ts';
import type { ConsentService } from '../consent.service.ts';
import type { Principal, RequestOrigin, ServiceContext } from '../context.ts';
import type { DeidentifiedCopies } from '../deid/deidentified-copies.ts';
import type { DeidService } from '../deid/deid-keys.service.ts';
import type { DeidSettingsService } from '../deid/deid-settings.service.ts';
import type { ImageQueryService } from '../images/image-query.service.ts';
import type { PatientProtection } from '../patient-protection.ts';
import { tenantKeyLookup } from '../tenant-key-lookup.ts';
import { planExport, type ExportPlan, type ExportRequest, type HeldInstance } from './export-plan.ts';
import { ZIP_MAX_BYTES, ZIP_MAX_ENTRIES, ZipWriter } from './zip-writer.ts';

export type { ExportRequest } from './export-plan.ts';

export interface ResearchExportView {
  id: string;
  /** The user who asked for it: the only one who may download it. */
  requestedBy: string;
  state: ResearchExportRow['state'];
  purpose: string;
  options: string[];
  studyCount: number;
  progress: { done: number; total: number };
  withheld: number;
  size: number | null;
  createdAt: Date;
  finishedAt: Date | null;
  expiresAt: Date;
  error: string | null;
}

export interface PreflightView {
  ready: boolean;
  files: number;
  bytes: number;
  studies: { studyId: string; patientId: string; consent: string; instances: number; held: HeldInstance[] }[];
}

export interface ResearchExportSettings {
  /** Hours an archive is kept before it is destroyed, downloaded or not. */
  ttlHours: number;
  /** Seconds without a heartbeat after which another worker takes a running export over. */
  staleSeconds: number;
}

/** Archives may not fill a classic ZIP: one entry is the manifest, and headers and manifest need room. */
const MAX_FILES = ZIP_MAX_ENTRIES - 1;
const MAX_BYTES = Math.floor(ZIP_MAX_BYTES * 0.9);

function view(row: ResearchExportRow): ResearchExportView {
  return {
    id: row.id, requestedBy: row.requested_by, state: row.state, purpose: row.purpose, options: row.options, studyCount: row.study_ids.length,
    progress: { done: row.done, total: row.total }, withheld: row.withheld, size: row.size === null ? null : Number(row.size),
    createdAt: row.created_at, finishedAt: row.finished_at, expiresAt: row.expires_at, error: row.error,
  };
}

interface ManifestFile {
  path: string;
  kind: InstanceRow['kind'];
  sha256: string;
  bytes: number;
  deidentification: string;
}

/**
 * Research exports (issue 7; DEID-1..4, PRIV-1, AUD-1): a Radiologist or Administrator asks for
 * studies, options and a purpose; consent and pixel holds are checked; the export runs as a durable
 * job (research_exports) that writes a ZIP of de-identified files and a Safe Harbor manifest into
 * an object sealed under the tenant's `export` key, which only the requester can download, until it
 * expires. Nothing identified is ever written: each file is de-identified in memory.
 */
export class ResearchExportService {
  private wake: () => void = () => undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly images: ImageQueryService,
    private readonly protection: PatientProtection,
    private readonly consents: ConsentService,
    private readonly deidKeys: DeidService,
    private readonly deidSettings: DeidSettingsService,
    private readonly copies: DeidentifiedCopies,
    private readonly archives: EncryptedBlobStore,
    private readonly settings: ResearchExportSettings,
  ) {}

  /** The job loop registers how to be woken when an export is queued in this process. */
  onQueued(wake: () => void): void {
    this.wake = wake;
  }

  options(): { name: string; meaning: string; allowed: boolean; why: string | null }[] {
    return DEID_OPTION_NAMES.map((name) => ({
      name, meaning: deidOptions[name].meaning, allowed: !Object.hasOwn(safeHarborRefusedOptions, name), why: safeHarborRefusedOptions[name] ?? null,
    }));
  }

  private async plan(principal: Principal, request: ExportRequest): Promise<ExportPlan> {
    const plan = await this.ctx.uow.read(principal.tenantId, async (tx) => planExport(tx, await this.images.scopeOf(tx, principal), request, this.consents, this.deidSettings));
    await this.releaseMasked(principal.tenantId, plan);
    return plan;
  }

  /** Held DICOM instances that a configured mask rule covers are not waiting for anyone (DEID-2). */
  private async releaseMasked(tenantId: string, plan: ExportPlan): Promise<void> {
    if ((plan.settings.pixelPolicy.masks ?? []).length === 0) return;
    for (const planned of plan.studies) {
      const keep: HeldInstance[] = [];
      for (const held of planned.held) {
        const row = planned.instances.find((i) => i.id === held.instanceId);
        if (row?.kind === 'dicom') {
          const facts = readPixelTextFacts(await this.readObject(tenantId, row));
          if (facts && findMaskRule(facts, plan.settings.pixelPolicy)) continue;
        }
        keep.push(held);
      }
      planned.held = keep;
    }
  }

  private readObject(tenantId: string, row: InstanceRow): Promise<Buffer> {
    return this.copies.read(tenantId, row);
  }

  /** The original study and series UIDs (sealed under the patient's key), to name the archive's folders by their replacements. */
  private async studyUids(tx: Tx, tenantId: string, study: StudyRow): Promise<{ study: string; series: Map<string, string>; key: KeyHandle }> {
    const key = await this.protection.patientKey(tx, tenantId, study.patient_id, 1);
    const series = await imageRepository.seriesOfStudies(tx, tenantId, [study.id]);
    return {
      key,
      study: this.protection.openValue(key, tenantId, 'studies', study.id, 'studyInstanceUid', study.study_uid_enc),
      series: new Map(series.map((s) => [s.id, this.protection.openValue(key, tenantId, 'series', s.id, 'seriesInstanceUid', s.series_uid_enc)])),
    };
  }

  async preflight(principal: Principal, request: ExportRequest): Promise<PreflightView> {
    const plan = await this.plan(principal, request);
    const tooLarge = plan.files > MAX_FILES || plan.bytes > MAX_BYTES;
    return {
      ready: !tooLarge && plan.files > 0 && plan.studies.every((s) => s.consent === 'granted' && s.held.length === 0),
      files: plan.files, bytes: plan.bytes,
      studies: plan.studies.map((s) => ({ studyId: s.study.id, patientId: s.study.patient_id, consent: s.consent, instances: s.instances.length, held: s.held })),
    };
  }

  async request(principal: Principal, request: ExportRequest, origin: RequestOrigin): Promise<ResearchExportView> {
    const plan = await this.plan(principal, request);
    if (plan.files > MAX_FILES || plan.bytes > MAX_BYTES) throw new ClarusError('CLARUS_ERR_EXPORT_TOO_LARGE');
    if (plan.files === 0) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'studyIds', message: 'the studies hold no images' }]);
    const missing = plan.studies.filter((s) => s.consent !== 'granted');
    if (missing.length > 0) throw new ClarusError('CLARUS_ERR_CONSENT_MISSING', missing.map((s) => ({ path: `studyIds.${request.studyIds.indexOf(s.study.id)}`, message: `research consent is ${s.consent}` })));
    const held = plan.studies.reduce((n, s) => n + s.held.length, 0);
    if (held > 0) throw new ClarusError('CLARUS_ERR_PIXEL_REVIEW_PENDING', [{ path: 'studyIds', message: `${held} image(s) wait for a pixel review` }]);
    const id = randomUUID();
    const now = this.ctx.clock();
    const row = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      await researchExportRepository.create(tx, {
        id, tenantId: principal.tenantId, requestedBy: principal.userId, purpose: request.purpose.trim(), options: plan.options,
        studyIds: plan.studies.map((s) => s.study.id), total: plan.files, createdAt: now, expiresAt: new Date(now.getTime() + this.settings.ttlHours * 3_600_000),
      });
      // The purpose is free text: the audit entry keeps counts and options only (AUD-3).
      await this.ctx.audit.recordFor(principal, origin, { action: 'research-export.request', outcome: 'success', resourceType: 'research-export', resourceId: id, details: { studies: plan.studies.length, files: plan.files, options: plan.options.join(',') } });
      return researchExportRepository.get(tx, principal.tenantId, id);
    });
    this.wake();
    return view(row as ResearchExportRow);
  }

  private ownerFilter(principal: Principal): string | null {
    return principal.roles.includes('Administrator') ? null : principal.userId;
  }

  async list(principal: Principal): Promise<ResearchExportView[]> {
    const rows = await this.ctx.uow.read(principal.tenantId, (tx) => researchExportRepository.list(tx, principal.tenantId, this.ownerFilter(principal), 100));
    return rows.map(view);
  }

  private async visible(tx: Tx, principal: Principal, id: string): Promise<ResearchExportRow> {
    const row = await researchExportRepository.get(tx, principal.tenantId, id);
    const owner = this.ownerFilter(principal);
    if (!row || (owner !== null && row.requested_by !== owner)) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    return row;
  }

  async get(principal: Principal, id: string): Promise<ResearchExportView> {
    return view(await this.ctx.uow.read(principal.tenantId, (tx) => this.visible(tx, principal, id)));
  }

  private exportKeyLookup(tenantId: string) {
    return tenantKeyLookup(this.ctx.uow, this.protection, tenantId, 'export');
  }

  /** The requester's ready export, or the reason it cannot be downloaded. */
  private async downloadable(tx: Tx, principal: Principal, id: string): Promise<ResearchExportRow & { archive_id: string }> {
    const found = await researchExportRepository.get(tx, principal.tenantId, id);
    if (!found || found.requested_by !== principal.userId) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    if ((found.state !== 'ready' && found.state !== 'downloaded') || found.archive_id === null) throw new ClarusError('CLARUS_ERR_EXPORT_NOT_READY');
    return { ...found, archive_id: found.archive_id };
  }

  /**
   * Checks, before the browser fetches the file, that the download will be allowed (AUTH-7: the
   * route asks for a fresh second factor, which a plain link cannot supply by itself).
   */
  async checkDownload(principal: Principal, id: string): Promise<void> {
    await this.ctx.uow.read(principal.tenantId, (tx) => this.downloadable(tx, principal, id));
  }

  /** Only the requester downloads (a disclosure is theirs to account for); audited before any byte leaves. */
  async download(principal: Principal, id: string, origin: RequestOrigin): Promise<{ stream: Readable; size: number }> {
    const row = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      const found = await this.downloadable(tx, principal, id);
      await researchExportRepository.setState(tx, principal.tenantId, id, ['ready'], 'downloaded');
      await this.ctx.audit.recordFor(principal, origin, { action: 'research-export.download', outcome: 'success', resourceType: 'research-export', resourceId: id, details: { bytes: Number(found.size ?? 0) } });
      return found;
    });
    return { stream: await this.archives.open(this.exportKeyLookup(principal.tenantId), row.archive_id), size: Number(row.size ?? 0) };
  }

  async remove(principal: Principal, id: string, origin: RequestOrigin): Promise<void> {
    const row = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      const found = await this.visible(tx, principal, id);
      await researchExportRepository.setState(tx, principal.tenantId, id, ['queued', 'running', 'ready', 'downloaded', 'failed'], 'expired');
      await this.ctx.audit.recordFor(principal, origin, { action: 'research-export.delete', outcome: 'success', resourceType: 'research-export', resourceId: id });
      return found;
    });
    // A run still going notices at its next progress update (its claim no longer matches) and deletes its own partial archive.
    if (row.archive_id !== null) await this.archives.delete(row.archive_id);
  }

  /** Destroys archives past their time; returns how many. */
  async expire(): Promise<number> {
    const now = this.ctx.clock();
    let expired = 0;
    for (const tenant of await this.ctx.uow.read(null, (tx) => tenantRepository.list(tx))) {
      const due = await this.ctx.uow.read(tenant.id, (tx) => researchExportRepository.expired(tx, tenant.id, now));
      for (const { id, archiveId } of due) {
        await this.ctx.uow.run(tenant.id, (tx) => researchExportRepository.setState(tx, tenant.id, id, ['ready', 'downloaded', 'failed', 'queued'], 'expired'));
        if (archiveId !== null) await this.archives.delete(archiveId);
        expired += 1;
      }
    }
    return expired;
  }

  /** Runs queued exports of every tenant until none is left; returns how many ran. */
  async runPending(): Promise<number> {
    let ran = 0;
    for (const tenant of await this.ctx.uow.read(null, (tx) => tenantRepository.list(tx))) {
      for (;;) {
        const now = this.ctx.clock();
        const claimed = await this.ctx.uow.run(tenant.id, (tx) => researchExportRepository.claimNext(tx, tenant.id, now, new Date(now.getTime() - this.settings.staleSeconds * 1000), randomUUID()));
        if (!claimed) break;
        // A run taken over from a silent worker starts again from nothing: that run's archive goes.
        if (claimed.previousArchive !== null) await this.archives.delete(claimed.previousArchive);
        await this.run(claimed.row);
        ran += 1;
      }
    }
    return ran;
  }

  /** The requester as the export's actor: their current roles, permission and reach apply when it runs. */
  private async requester(tx: Tx, row: ResearchExportRow): Promise<Principal | undefined> {
    const user = await userRepository.findById(tx, row.requested_by);
    if (!user || user.status !== 'active' || !permissionsOf(user.roles.filter(isRole)).has('research.export')) return undefined;
    return { kind: 'user', tenantId: row.tenant_id, userId: user.id, sessionId: '', stage: 'full', roles: user.roles, stepUpAt: null, patientRestriction: null };
  }

  private async run(row: ResearchExportRow): Promise<void> {
    const tenantId = row.tenant_id;
    const startedAt = row.started_at as Date;
    const archiveId = row.archive_id as string;
    const fail = async (error: string) => {
      await this.ctx.uow.run(tenantId, (tx) => researchExportRepository.finish(tx, tenantId, row.id, startedAt, { state: 'failed', size: null, error, done: 0, withheld: 0, now: this.ctx.clock() }));
    };
    // Alive while planning and flushing too, not only between files (another worker takes over after staleSeconds of silence).
    const heartbeat = setInterval(() => {
      this.ctx.uow.run(tenantId, (tx) => researchExportRepository.heartbeat(tx, tenantId, row.id, startedAt, this.ctx.clock())).catch(() => undefined);
    }, Math.max(1000, (this.settings.staleSeconds * 1000) / 8));
    heartbeat.unref();
    try {
      await this.runClaimed(row, tenantId, startedAt, archiveId, fail);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async runClaimed(row: ResearchExportRow, tenantId: string, startedAt: Date, archiveId: string, fail: (error: string) => Promise<void>): Promise<void> {
    const principal = await this.ctx.uow.read(tenantId, (tx) => this.requester(tx, row));
    if (!principal) return fail('the requester is no longer active or may no longer export');
    let plan: ExportPlan;
    try {
      plan = await this.plan(principal, { studyIds: row.study_ids, purpose: row.purpose, options: row.options });
    } catch (error) {
      return fail(error instanceof ClarusError && error.code === 'CLARUS_ERR_NOT_FOUND' ? 'some studies are no longer reachable by the requester' : 'the export could not be planned');
    }
    // Consent may have been withdrawn since the request (PRIV-1): the export stops.
    if (plan.studies.some((s) => s.consent !== 'granted')) return fail('research consent was withdrawn or refused for a patient of this export');
    const origin: RequestOrigin = { sourceAddress: null, requestId: `export/${row.id}` };
    const output = new PassThrough();
    let aborted = false;
    const stored = (async () => {
      const key = await this.ctx.uow.run(tenantId, (tx) => this.protection.activeTenantKey(tx, tenantId, 'export'));
      return this.archives.put(key.handle, archiveId, output);
    })();
    stored.catch(() => undefined);
    try {
      const written = await this.writeArchive(row, principal, plan, output, () => aborted);
      const object = await stored;
      const finished = await this.ctx.uow.run(tenantId, async (tx) => {
        const ok = await researchExportRepository.finish(tx, tenantId, row.id, startedAt, { state: 'ready', size: object.size, error: null, done: written.done, withheld: written.withheld, now: this.ctx.clock() });
        if (!ok) return false;
        // A disclosure per patient (AUD-1; the accounting of disclosures reads these entries).
        for (const [patientId, files] of written.perPatient) {
          await this.ctx.audit.recordFor(principal, origin, { action: 'research-export.complete', outcome: 'success', resourceType: 'research-export', resourceId: row.id, patientId, details: { files } });
        }
        return true;
      });
      // Deleted or taken over meanwhile: this run's archive is nobody's.
      if (!finished) await this.archives.delete(archiveId);
    } catch (error) {
      aborted = true;
      output.destroy();
      await stored.catch(() => undefined);
      await this.archives.delete(archiveId);
      await fail(error instanceof ExportAborted ? 'the export was cancelled' : 'the export failed; nothing was kept');
      if (!(error instanceof ExportAborted)) throw error;
    }
  }

  private async writeArchive(row: ResearchExportRow, principal: Principal, plan: ExportPlan, output: PassThrough, aborted: () => boolean): Promise<{ done: number; withheld: number; perPatient: Map<string, number> }> {
    const tenantId = row.tenant_id;
    const startedAt = row.started_at as Date;
    const keys: TenantPseudonyms = await this.deidKeys.pseudonymsFor(tenantId);
    const zip = new ZipWriter(output, this.ctx.clock());
    const patients = new Map<string, { pseudonym: string; record: SafeHarborPatient; identity: string }>();
    const files: ManifestFile[] = [];
    const withheldByCode = new Map<string, number>();
    const perPatient = new Map<string, number>();
    let done = 0;
    let withheld = 0;
    let lastBeat = Date.now();
    for (const planned of plan.studies) {
      const patientId = planned.study.patient_id;
      const identity = await this.ctx.uow.read(tenantId, async (tx) => {
        const known = patients.get(patientId);
        if (known) return known;
        const scope = await this.images.scopeOf(tx, principal);
        const stored = await patientRepository.findVisible(tx, scope, patientId);
        if (!stored) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
        const record = await this.protection.openStored(tx, tenantId, stored);
        const pseudonym = keys.patientPseudonym(record.mrn);
        const entry = { pseudonym, identity: record.mrn, record: safeHarborPatient(pseudonym, record.sex, record.birthDate, this.ctx.clock()) };
        patients.set(patientId, entry);
        return entry;
      });
      const uids = await this.ctx.uow.read(tenantId, (tx) => this.studyUids(tx, tenantId, planned.study));
      for (const instance of planned.instances) {
        if (aborted()) throw new ExportAborted();
        const copy = await this.copies.copy(instance, { tenantId, patientIdentity: identity.identity, options: plan.options, settings: plan.settings, reviews: plan.reviews, safeHarbor: true, patientKey: uids.key }, keys);
        if (copy.ok) {
          const study = keys.uid(uids.study);
          const series = keys.uid(uids.series.get(instance.series_id) ?? `series/${instance.series_id}`);
          const name = copy.sopInstanceUid ?? `${instance.kind}-${keys.token('export-file', instance.id, 16)}`;
          const path = `${identity.pseudonym}/${study}/${series}/${name}${copy.extension}`;
          await zip.add(path, copy.bytes);
          files.push({ path, kind: instance.kind, sha256: sha256(copy.bytes), bytes: copy.bytes.length, deidentification: copy.summary });
          perPatient.set(patientId, (perPatient.get(patientId) ?? 0) + 1);
        } else {
          withheld += 1;
          withheldByCode.set(copy.code, (withheldByCode.get(copy.code) ?? 0) + 1);
        }
        done += 1;
        if (Date.now() - lastBeat >= 500 || done === planned.instances.length) {
          lastBeat = Date.now();
          const mine = await this.ctx.uow.run(tenantId, (tx) => researchExportRepository.progress(tx, tenantId, row.id, startedAt, { done, withheld, now: this.ctx.clock() }));
          if (!mine) throw new ExportAborted();
        }
      }
    }
    const manifest = {
      export: row.id,
      created: this.ctx.clock().toISOString(),
      purpose: row.purpose,
      profile: { standard: 'DICOM PS3.15 Annex E, Basic Application Level Confidentiality Profile', edition: PROFILE_EDITION, options: plan.options, codes: ['113100', ...plan.options.map((o) => deidOptions[o].code)] },
      safeHarbor: 'HIPAA 45 CFR 164.514(b)(2): patient records keep pseudonym, sex and year of birth (90 or older aggregated)',
      patients: [...patients.values()].map((p) => p.record),
      files,
      withheld: [...withheldByCode.entries()].map(([code, count]) => ({ code, count })),
    };
    await zip.add('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
    await zip.finish();
    return { done, withheld, perPatient };
  }
}

class ExportAborted extends Error {}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
