import { del, get, post, put } from './client';

/**
 * Consent per patient and purpose, pixel review of instances that may carry burned-in text, and
 * de-identified research exports (docs/api-research.md; MISSION PRIV-1, DEID-1..3).
 */

/** What a patient may consent to: research exports, and AI analysis. */
export type ConsentPurpose = 'research' | 'clinical-ai';
/** A purpose's latest decision; `unknown` (nothing recorded) counts as no consent. */
export type ConsentStatus = 'granted' | 'refused' | 'withdrawn' | 'unknown';
/** The decisions a user can record (`unknown` is only the absence of one). */
export type ConsentDecision = Exclude<ConsentStatus, 'unknown'>;

/** Who did something, as the API names users. */
export interface Actor {
  id: string;
  displayName: string | null;
}

export interface Consent {
  purpose: ConsentPurpose;
  status: ConsentStatus;
  /** Null when the status is `unknown`. */
  recordedAt: string | null;
  recordedBy: Actor | null;
}

const patientConsents = (patientId: string): string => `/api/patients/${encodeURIComponent(patientId)}/consents`;

/** The current consent of a patient, one entry per purpose. */
export async function getConsents(patientId: string): Promise<Consent[]> {
  return (await get<{ consents: Consent[] }>(patientConsents(patientId))).consents;
}

/** Records a new decision (append-only on the server); answers the updated list. */
export async function recordConsent(patientId: string, purpose: ConsentPurpose, status: ConsentDecision): Promise<Consent[]> {
  return (await put<{ consents: Consent[] }>(`${patientConsents(patientId)}/${encodeURIComponent(purpose)}`, { status })).consents;
}

/** Why an instance is held back from AI and export until someone reviews it (DEID-2). */
export type HoldReason = 'burned-in-annotation' | 'ultrasound' | 'secondary-capture' | 'configured-sop-class' | 'configured-device-model';

/** A rectangle in pixels of the stored image: columns x..x+width-1, rows y..y+height-1. */
export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type PixelDecision =
  | { decision: 'confirmed-clean'; regions?: PixelRegion[] | null; reviewedAt: string; reviewedBy: Actor }
  | { decision: 'masked'; regions: PixelRegion[]; reviewedAt: string; reviewedBy: Actor };

export interface PixelReview {
  /** Whether the instance needs a decision at all. */
  hold: boolean;
  reason: HoldReason | null;
  detail: string | null;
  /** A mask rule of the organisation already covers the instance (no decision needed). */
  configuredMask: boolean;
  decision: PixelDecision | null;
}

const reviewPath = (instanceId: string): string => `/api/images/instances/${encodeURIComponent(instanceId)}/pixel-review`;

/** Whether an instance is held, and any decision taken on it. */
export function getPixelReview(instanceId: string): Promise<PixelReview> {
  return get<PixelReview>(reviewPath(instanceId));
}

/** A reviewer's decision (Administrator, Radiologist); audited on the server. */
export function decidePixelReview(
  instanceId: string,
  body: { decision: 'confirmed-clean' } | { decision: 'masked'; regions: PixelRegion[] },
): Promise<PixelReview> {
  return post<PixelReview>(reviewPath(instanceId), body);
}

/** One PS3.15 option; `allowed: false` (with `why`) when a Safe Harbor export cannot use it. */
export interface DeidOption {
  name: string;
  meaning: string;
  allowed: boolean;
  why: string | null;
}

/** What a new export is asked for: the studies, the purpose (never PHI), the options. */
export interface ExportRequest {
  studyIds: string[];
  purpose: string;
  options: string[];
}

export interface PreflightStudy {
  studyId: string;
  patientId: string;
  /** The patient's current research consent. */
  consent: ConsentStatus;
  instances: number;
  /** Instances held for pixel review without a decision; `reason` may be one this app does not know yet. */
  held: { instanceId: string; seriesId: string; reason: HoldReason | (string & {}) }[];
}

export interface Preflight {
  ready: boolean;
  /** Files the export would hold, and their stored size (sent by the server beyond the written contract). */
  files?: number;
  bytes?: number;
  studies: PreflightStudy[];
}

export type ExportState = 'queued' | 'running' | 'ready' | 'downloaded' | 'failed' | 'expired';

export interface ResearchExport {
  id: string;
  /** The requester's user id: only they can download the archive. */
  requestedBy: string;
  state: ExportState;
  purpose: string;
  options: string[];
  studyCount: number;
  progress: { done: number; total: number };
  /** Files left out because they could not be de-identified safely (beyond the written contract). */
  withheld?: number;
  /** Bytes of the archive, once it exists. */
  size: number | null;
  createdAt: string;
  finishedAt: string | null;
  expiresAt: string | null;
  error: string | null;
}

const exportsPath = '/api/research-exports';
const exportPath = (id: string): string => `${exportsPath}/${encodeURIComponent(id)}`;

/** The PS3.15 options and whether a Safe Harbor export may use each. */
export async function getExportOptions(): Promise<DeidOption[]> {
  return (await get<{ options: DeidOption[] }>(`${exportsPath}/options`)).options;
}

/** Checks an export before it is asked for: consent per patient, instances still held. */
export function preflightExport(request: ExportRequest): Promise<Preflight> {
  return post<Preflight>(`${exportsPath}/preflight`, request);
}

/** Asks for an export (step-up: the shared dialog opens on the server's 403); it runs as a job. */
export function createExport(request: ExportRequest): Promise<ResearchExport> {
  return post<ResearchExport>(exportsPath, request);
}

/** The caller's exports (an Administrator's: the organisation's). */
export async function listExports(): Promise<ResearchExport[]> {
  return (await get<{ exports: ResearchExport[] }>(exportsPath)).exports;
}

/** One export (also refreshes the session before a plain download link is followed). */
export function getExport(id: string): Promise<ResearchExport> {
  return get<ResearchExport>(exportPath(id));
}

/**
 * Before a plain download link is followed: the server checks the download would be allowed, and asks
 * for a fresh second factor (the client's step-up dialog answers it); this also renews the session.
 */
export function prepareDownload(id: string): Promise<void> {
  return post<void>(`${exportPath(id)}/download-check`);
}

/** Destroys an export's encrypted archive. */
export function deleteExport(id: string): Promise<void> {
  return del(exportPath(id));
}

/** Where the browser downloads an export's zip from (followed as a plain link, so that it streams). */
export function exportDownloadPath(id: string): string {
  return `${exportPath(id)}/download`;
}
