import { type Download, get, getFile } from './client';

/** Shapes and calls of the audit API (src/http/routes/audit/audit.routes.ts): Administrators only. */

/** How an audited action ended. */
export type AuditOutcome = 'success' | 'denied' | 'failure' | 'error';

/** One entry of the tamper-evident audit log: ids only, never PHI. */
export interface AuditEntry {
  seq: number;
  at: string;
  actorKind: string;
  actorId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  patientId: string | null;
  outcome: string;
  sourceAddress: string | null;
  requestId: string | null;
  details: Record<string, string | number | boolean>;
}

/** Search criteria; `from`/`to` are ISO 8601 instants (`to` excluded). Absent means "any". */
export interface AuditFilter {
  actorId?: string;
  patientId?: string;
  action?: string;
  outcome?: AuditOutcome;
  from?: string;
  to?: string;
}

/** One page of entries, newest first; `nextBefore` fetches the next (older) page, null at the end. */
export interface AuditPage {
  entries: AuditEntry[];
  nextBefore: number | null;
}

/** The log's size, its latest signed checkpoint and the last full verification. */
export interface AuditStatus {
  treeSize: number;
  latestCheckpoint: { treeSize: number; rootHash: string; at: string; keyId: string } | null;
  lastVerification: { at: string; treeSize: number; ok: boolean; problem: string | null } | null;
}

/** The key that signs checkpoints, for auditors' own verification. */
export interface AuditPublicKey {
  keyId: string;
  publicKeyPem: string;
  algorithm: string;
}

/** Export formats: FHIR R4 AuditEvent Bundle (JSON) or CSV. */
export type ExportFormat = 'fhir' | 'csv';

/** A period of the accounting of disclosures (ISO 8601 instants, `to` excluded). */
export interface Period {
  from?: string;
  to?: string;
}

/** `?a=1&b=2` of the defined values, or '' when there are none. */
function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** Entries matching `filter`, newest first; `before` is the `nextBefore` of the previous page. */
export function searchAudit(filter: AuditFilter, before?: number, limit = 100): Promise<AuditPage> {
  return get<AuditPage>(`/api/audit/entries${query({ ...filter, before, limit })}`);
}

/** Entries matching `filter` as a file (step-up). */
export function exportAudit(filter: AuditFilter, format: ExportFormat): Promise<Download> {
  return getFile(`/api/audit/export${query({ ...filter, format })}`);
}

/** Size, latest checkpoint and last verification of the audit log. */
export function getAuditStatus(): Promise<AuditStatus> {
  return get<AuditStatus>('/api/audit/status');
}

/** The public key that signs the log's checkpoints. */
export function getAuditPublicKey(): Promise<AuditPublicKey> {
  return get<AuditPublicKey>('/api/audit/public-key');
}

const disclosuresOf = (patientId: string): string => `/api/patients/${encodeURIComponent(patientId)}/disclosures`;

/** Accounting of disclosures: every entry about one patient in the period, newest first. */
export async function listDisclosures(patientId: string, period: Period): Promise<AuditEntry[]> {
  return (await get<{ entries: AuditEntry[] }>(`${disclosuresOf(patientId)}${query({ ...period })}`)).entries;
}

/** The accounting of disclosures as a file. */
export function exportDisclosures(patientId: string, period: Period, format: ExportFormat): Promise<Download> {
  return getFile(`${disclosuresOf(patientId)}/export${query({ ...period, format })}`);
}
