import type { Selectable } from 'kysely';
import type { ResumableUploadsTable } from '../schema.ts';
import type { Tx } from '../unit-of-work.ts';

/** One resumable upload session as services see it (sizes as numbers; ids, never PHI). */
export interface ResumableUploadRecord {
  id: string;
  tenantId: string;
  ownerId: string;
  length: number;
  offset: number;
  chunks: { id: string; size: number }[];
  patientId: string | null;
  contentType: string;
  state: 'receiving' | 'finishing' | 'done';
  lockId: string | null;
  lockedAt: Date | null;
  outcome: Record<string, string> | null;
  createdAt: Date;
  expiresAt: Date;
}

function toRecord(row: Selectable<ResumableUploadsTable>): ResumableUploadRecord {
  return {
    id: row.id, tenantId: row.tenant_id, ownerId: row.owner_id, length: Number(row.upload_length), offset: Number(row.upload_offset),
    chunks: row.chunk_ids.map((id, i) => ({ id, size: Number(row.chunk_sizes[i]) })),
    patientId: row.patient_id, contentType: row.content_type, state: row.state, lockId: row.lock_id, lockedAt: row.locked_at,
    outcome: row.outcome, createdAt: row.created_at, expiresAt: row.expires_at,
  };
}

/**
 * Resumable (tus) upload sessions (issue 6). Every read names the tenant and the owner: another
 * user's or tenant's session does not exist for the caller (row-level security is the second wall).
 */
export const resumableUploadRepository = {
  async create(tx: Tx, s: { id: string; tenantId: string; ownerId: string; length: number; patientId: string | null; contentType: string; now: Date; expiresAt: Date }): Promise<void> {
    await tx.insertInto('resumable_uploads').values({
      id: s.id, tenant_id: s.tenantId, owner_id: s.ownerId, upload_length: s.length, patient_id: s.patientId, content_type: s.contentType,
      created_at: s.now, updated_at: s.now, expires_at: s.expiresAt,
    }).execute();
  },

  /** How many unfinished, unexpired sessions the owner holds, and the bytes they declared. */
  async openSessions(tx: Tx, tenantId: string, ownerId: string, now: Date): Promise<{ count: number; bytes: number }> {
    const row = await tx.selectFrom('resumable_uploads')
      .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.coalesce(eb.fn.sum<string>('upload_length'), eb.lit(0)).as('bytes')])
      .where('tenant_id', '=', tenantId).where('owner_id', '=', ownerId).where('state', '!=', 'done').where('expires_at', '>', now)
      .executeTakeFirst();
    return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
  },

  /** The caller's own session, locked for update when `forUpdate` (one writer at a time). */
  async find(tx: Tx, tenantId: string, ownerId: string, id: string, forUpdate = false): Promise<ResumableUploadRecord | undefined> {
    let query = tx.selectFrom('resumable_uploads').selectAll().where('tenant_id', '=', tenantId).where('owner_id', '=', ownerId).where('id', '=', id);
    if (forUpdate) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && toRecord(row);
  },

  async lock(tx: Tx, tenantId: string, id: string, lockId: string, at: Date, state: 'receiving' | 'finishing'): Promise<void> {
    await tx.updateTable('resumable_uploads').set({ lock_id: lockId, locked_at: at, state, updated_at: at }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  },

  /** Releases the lock if `lockId` still holds it; false when it does not (stolen after going stale, or terminated). */
  async unlock(tx: Tx, tenantId: string, id: string, lockId: string, at: Date, state: 'receiving' | 'finishing' = 'receiving'): Promise<boolean> {
    const result = await tx.updateTable('resumable_uploads').set({ lock_id: null, locked_at: null, state, updated_at: at })
      .where('tenant_id', '=', tenantId).where('id', '=', id).where('lock_id', '=', lockId).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /**
   * Appends a stored chunk and moves the offset, if `lockId` still holds the session; the lock is
   * released, or kept with state `finishing` when the offset reached the length.
   */
  async appendChunk(tx: Tx, tenantId: string, id: string, lockId: string, chunk: { id: string; size: number }, at: Date, expiresAt: Date): Promise<ResumableUploadRecord | undefined> {
    const current = await tx.selectFrom('resumable_uploads').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).where('lock_id', '=', lockId).forUpdate().executeTakeFirst();
    if (!current) return undefined;
    const offset = Number(current.upload_offset) + chunk.size;
    const finishing = offset === Number(current.upload_length);
    const row = await tx.updateTable('resumable_uploads').set({
      chunk_ids: [...current.chunk_ids, chunk.id], chunk_sizes: [...current.chunk_sizes.map(Number), chunk.size], upload_offset: offset,
      state: finishing ? 'finishing' : 'receiving', lock_id: finishing ? lockId : null, locked_at: finishing ? at : null, updated_at: at, expires_at: expiresAt,
    }).where('tenant_id', '=', tenantId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    return toRecord(row);
  },

  /** Records the outcome of the ingest and forgets the chunks (the caller removes their objects). */
  async finish(tx: Tx, tenantId: string, id: string, lockId: string, outcome: Record<string, string>, at: Date): Promise<boolean> {
    const result = await tx.updateTable('resumable_uploads').set({
      state: 'done', outcome: JSON.stringify(outcome), chunk_ids: [], chunk_sizes: [], lock_id: null, locked_at: null, updated_at: at,
    }).where('tenant_id', '=', tenantId).where('id', '=', id).where('lock_id', '=', lockId).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async remove(tx: Tx, tenantId: string, id: string): Promise<void> {
    await tx.deleteFrom('resumable_uploads').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  },

  /** Sessions of a tenant whose expiry has passed, oldest first. */
  async expired(tx: Tx, tenantId: string, now: Date, limit: number): Promise<ResumableUploadRecord[]> {
    const rows = await tx.selectFrom('resumable_uploads').selectAll().where('tenant_id', '=', tenantId).where('expires_at', '<=', now)
      .orderBy('expires_at').limit(limit).forUpdate().skipLocked().execute();
    return rows.map(toRecord);
  },
};
