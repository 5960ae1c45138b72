import { leafHash } from './merkle.ts';

/** Outcomes of an audited action (AUD-1). */
export type AuditOutcome = 'success' | 'denied' | 'failure' | 'error';
export type ActorKind = 'user' | 'service' | 'system' | 'anonymous';

/** What a caller records; never PHI: ids and pseudonyms only (AUD-3). */
export interface AuditEntryInput {
  tenantId: string | null;
  actorKind: ActorKind;
  actorId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  patientId: string | null;
  outcome: AuditOutcome;
  sourceAddress: string | null;
  requestId: string | null;
  details: Record<string, string | number | boolean>;
}

/** A stored entry: its place in the log and its time. */
export interface AuditEntry extends AuditEntryInput {
  seq: number;
  at: Date;
}

/**
 * The exact bytes of a leaf (docs/audit-log.md): UTF-8 JSON with this key order, `at` in ISO 8601 with
 * milliseconds, absent values as null, `details` keys sorted. Anyone can rebuild it from an export.
 */
export function canonicalLeaf(entry: AuditEntry): Buffer {
  // Written out by hand: a JavaScript object would put integer-like keys first and drop `__proto__`.
  const details = `{${Object.keys(entry.details).sort().map((key) => `${JSON.stringify(key)}:${JSON.stringify(entry.details[key])}`).join(',')}}`;
  const head = JSON.stringify({
    v: 1,
    seq: entry.seq,
    at: entry.at.toISOString(),
    tenant: entry.tenantId,
    actorKind: entry.actorKind,
    actor: entry.actorId,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    patient: entry.patientId,
    outcome: entry.outcome,
    source: entry.sourceAddress,
    request: entry.requestId,
  });
  return Buffer.from(`${head.slice(0, -1)},"details":${details}}`, 'utf8');
}

export function entryLeafHash(entry: AuditEntry): Buffer {
  return leafHash(canonicalLeaf(entry));
}

/** The signed statement of a checkpoint (tree head). */
export function checkpointStatement(treeSize: number, rootHash: Buffer, at: Date): Buffer {
  return Buffer.from(`clarus-audit-checkpoint/v1\n${treeSize}\n${rootHash.toString('base64')}\n${at.toISOString()}\n`, 'utf8');
}
