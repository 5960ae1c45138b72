import type { AuditEntry, AuditOutcome, Period } from '../../api/audit';
import { type ApiError, clientError } from '../../api/errors';

/**
 * The audited actions, copied from the server's catalog (src/domain/audit-actions.ts) for the action
 * filter. Keep the two lists in step when a capability adds actions.
 */
export const AUDIT_ACTIONS = [
  'http.request',
  'auth.sign-in',
  'auth.second-factor',
  'auth.enrolment',
  'auth.sign-out',
  'auth.sign-out-everywhere',
  'auth.refresh-token-reuse',
  'auth.password-change',
  'auth.step-up',
  'patient.read',
  'patient.search',
  'patient.create',
  'patient.update',
  'patient.break-glass',
  'care-team.assign',
  'care-team.remove',
  'user.invite',
  'user.roles-change',
  'user.disable',
  'user.enable',
  'service-account.create',
  'api-key.revoke',
  'tenant.settings-change',
  'audit.search',
  'audit.export',
  'audit.disclosures',
  'audit.verify',
  'key.create',
  'key.rotate',
  'key.retire',
  'key.root-rotate',
  'patient.erase',
  'image.upload',
  'image.view',
  'image.download',
  'image.search',
  'image.quarantine',
  'reconciliation.hold',
  'reconciliation.list',
  'reconciliation.assign',
  'reconciliation.discard',
  'dimse-peer.add',
  'dimse-peer.remove',
  'dimse.association',
  'consent.record',
  'image.pixel-review',
  'image.deid-read',
  'deid.settings-change',
  'research-export.request',
  'research-export.complete',
  'research-export.download',
  'research-export.delete',
  'backup.create',
  'backup.restore',
  'security.event',
] as const;

/** Outcomes of an audited action, in the server's terms. */
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['success', 'denied', 'failure', 'error'];

/** Whether `value` is one of the outcomes (narrows a select's string). */
export function isOutcome(value: string): value is AuditOutcome {
  return (AUDIT_OUTCOMES as readonly string[]).includes(value);
}

/** The badge class of an outcome: green for success, red for the others. */
export function outcomeBadge(outcome: string): string {
  return outcome === 'success' ? 'badge badge-ok' : 'badge badge-danger';
}

/**
 * An entry's details as short text, or '': an API request as `GET /api/… → 200`, anything else as
 * `key=value` pairs.
 */
export function detailsText(entry: AuditEntry): string {
  const { method, route, status, ...rest } = entry.details;
  const request = method !== undefined && route !== undefined && status !== undefined ? [`${String(method)} ${String(route)} → ${String(status)}`] : [];
  const others = request.length > 0 ? rest : entry.details;
  return [...request, ...Object.entries(others).map(([key, value]) => `${key}=${String(value)}`)].join(' · ');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

/** Whether `value` is a UUID (patient, user and request ids are). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The ISO instant of a `datetime-local` value (the user's time zone), or undefined when empty or
 * unreadable. `endOfMinute` moves it to the end of the chosen minute, so that "To 10:00" includes
 * entries made at 10:00:30 (the server excludes `to` itself).
 */
export function instantOf(local: string, endOfMinute = false): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  if (Number.isNaN(date.getTime())) return undefined;
  if (endOfMinute) date.setTime(date.getTime() + 60_000);
  return date.toISOString();
}

/**
 * The period of two `datetime-local` values ("" means open-ended), or a form error on the `to` field
 * when it does not come after `from`.
 */
export function periodOf(fromLocal: string, toLocal: string): Period | ApiError {
  const from = instantOf(fromLocal);
  const to = instantOf(toLocal, true);
  if (from !== undefined && to !== undefined && to <= from) return clientError('“To” must be after “From”.', 'to');
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** A file name stamp for exports: `20240131-1405` in the user's time zone. */
export function fileStamp(now = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}`;
}
