import type { Tx } from '../unit-of-work.ts';
import type { SecurityEventsTable } from '../schema.ts';

export interface SecurityEventRecord {
  id: string;
  tenantId: string | null;
  at: Date;
  severity: SecurityEventsTable['severity'];
  kind: string;
  actorId: string | null;
  subjectId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

/** The queryable store of classified security events (MON-1); details hold ids only, never PHI. */
export const securityEventRepository = {
  async insert(tx: Tx, e: Omit<SecurityEventRecord, 'id'> & { sourceAddress: string | null }): Promise<void> {
    await tx.insertInto('security_events').values({
      tenant_id: e.tenantId, at: e.at, severity: e.severity, kind: e.kind, actor_id: e.actorId,
      subject_id: e.subjectId, source_address: e.sourceAddress, request_id: e.requestId, details: JSON.stringify(e.details),
    }).execute();
  },

  async listRecent(tx: Tx, limit: number): Promise<SecurityEventRecord[]> {
    const rows = await tx.selectFrom('security_events')
      .select(['id', 'tenant_id', 'at', 'severity', 'kind', 'actor_id', 'subject_id', 'request_id', 'details'])
      .orderBy('at', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id, tenantId: r.tenant_id, at: r.at, severity: r.severity, kind: r.kind, actorId: r.actor_id,
      subjectId: r.subject_id, requestId: r.request_id, details: r.details,
    }));
  },
};
