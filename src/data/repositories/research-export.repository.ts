import type { Selectable } from 'kysely';
import type { ResearchExportsTable, ResearchExportState } from '../schema.ts';
import type { Tx } from '../unit-of-work.ts';

export type ResearchExportRow = Selectable<ResearchExportsTable>;

/**
 * Research exports as durable jobs (issue 7): a row is the job and its state; the archive is the
 * encrypted object with the same id. Claiming uses FOR UPDATE SKIP LOCKED so that several workers
 * never run one export twice, and an export whose worker stopped sending heartbeats is claimed again.
 */
export const researchExportRepository = {
  async create(tx: Tx, row: { id: string; tenantId: string; requestedBy: string; purpose: string; options: string[]; studyIds: string[]; total: number; createdAt: Date; expiresAt: Date }): Promise<void> {
    await tx.insertInto('research_exports').values({
      id: row.id, tenant_id: row.tenantId, requested_by: row.requestedBy, state: 'queued', purpose: row.purpose, options: row.options,
      study_ids: row.studyIds, total: row.total, created_at: row.createdAt, expires_at: row.expiresAt, error: null,
    }).execute();
  },

  async get(tx: Tx, tenantId: string, id: string): Promise<ResearchExportRow | undefined> {
    return tx.selectFrom('research_exports').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  },

  /** The newest exports first; `requestedBy` limits them to one user's. */
  async list(tx: Tx, tenantId: string, requestedBy: string | null, limit: number): Promise<ResearchExportRow[]> {
    let query = tx.selectFrom('research_exports').selectAll().where('tenant_id', '=', tenantId);
    if (requestedBy !== null) query = query.where('requested_by', '=', requestedBy);
    return query.orderBy('created_at', 'desc').limit(limit).execute();
  },

  /**
   * Takes the oldest queued export, or a running one whose worker fell silent before `staleBefore`,
   * giving the run a new archive id; `previousArchive` is the silent run's, for its leftovers.
   */
  async claimNext(tx: Tx, tenantId: string, now: Date, staleBefore: Date, archiveId: string): Promise<{ row: ResearchExportRow; previousArchive: string | null } | undefined> {
    const next = await tx.selectFrom('research_exports').select(['id', 'archive_id']).where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('state', '=', 'queued'), eb.and([eb('state', '=', 'running'), eb('heartbeat_at', '<', staleBefore)])]))
      .orderBy('created_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
    if (!next) return undefined;
    const row = await tx.updateTable('research_exports').set({ state: 'running', started_at: now, heartbeat_at: now, done: 0, withheld: 0, error: null, archive_id: archiveId })
      .where('id', '=', next.id).returningAll().executeTakeFirst();
    return row ? { row, previousArchive: next.archive_id } : undefined;
  },

  /** The worker is alive (also while it plans or flushes, between progress updates). */
  async heartbeat(tx: Tx, tenantId: string, id: string, startedAt: Date, now: Date): Promise<boolean> {
    const result = await tx.updateTable('research_exports').set({ heartbeat_at: now })
      .where('tenant_id', '=', tenantId).where('id', '=', id).where('state', '=', 'running').where('started_at', '=', startedAt).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Progress and heartbeat; false when the export is no longer this worker's (deleted, reclaimed). */
  async progress(tx: Tx, tenantId: string, id: string, startedAt: Date, progress: { done: number; withheld: number; now: Date }): Promise<boolean> {
    const result = await tx.updateTable('research_exports').set({ done: progress.done, withheld: progress.withheld, heartbeat_at: progress.now })
      .where('tenant_id', '=', tenantId).where('id', '=', id).where('state', '=', 'running').where('started_at', '=', startedAt).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async finish(tx: Tx, tenantId: string, id: string, startedAt: Date, outcome: { state: 'ready' | 'failed'; size: number | null; error: string | null; done: number; withheld: number; now: Date }): Promise<boolean> {
    const result = await tx.updateTable('research_exports')
      .set({ state: outcome.state, size: outcome.size, error: outcome.error, done: outcome.done, withheld: outcome.withheld, finished_at: outcome.now, heartbeat_at: outcome.now })
      .where('tenant_id', '=', tenantId).where('id', '=', id).where('state', '=', 'running').where('started_at', '=', startedAt).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async setState(tx: Tx, tenantId: string, id: string, from: readonly ResearchExportState[], to: ResearchExportState): Promise<boolean> {
    const result = await tx.updateTable('research_exports').set({ state: to }).where('tenant_id', '=', tenantId).where('id', '=', id).where('state', 'in', [...from]).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async remove(tx: Tx, tenantId: string, id: string): Promise<void> {
    await tx.deleteFrom('research_exports').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  },

  /** Exports past their time that still have (or may get) an archive: ids and archive ids. */
  async expired(tx: Tx, tenantId: string, now: Date): Promise<{ id: string; archiveId: string | null }[]> {
    const rows = await tx.selectFrom('research_exports').select(['id', 'archive_id']).where('tenant_id', '=', tenantId).where('expires_at', '<', now)
      .where('state', 'in', ['ready', 'downloaded', 'failed', 'queued']).execute();
    return rows.map((r) => ({ id: r.id, archiveId: r.archive_id }));
  },
};
