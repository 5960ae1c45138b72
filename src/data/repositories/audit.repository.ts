import { sql, type Kysely } from 'kysely';
import type { AuditDatabase } from '../schema.ts';
import type { AuditEntry, AuditEntryInput } from '../../audit/audit-entry.ts';

type AuditDb = Kysely<AuditDatabase>;
type NodeHasher = (left: Buffer, right: Buffer) => Buffer;

/** One lock serialises appends (and checkpoints) across every Clarus instance: sequence numbers stay gapless. */
const APPEND_LOCK = 7_304_112;

/**
 * The right edge of the Merkle tree of `size` leaves: the hashes of the aligned perfect subtrees that
 * make up [0, size) (one per bit of `size`, largest first), keyed `level:index`. The next leaves'
 * nodes and the root (RFC 9162 §2.1.1: MTH splits at the largest power of two) need no other hashes.
 */
export interface AuditFrontier {
  size: number;
  hashes: ReadonlyMap<string, Buffer>;
}

/** The aligned perfect subtrees that make up [0, size), largest first. */
export function frontierOf(size: number): { level: number; index: number }[] {
  const out: { level: number; index: number }[] = [];
  let start = 0;
  let top = 0;
  while (2 ** (top + 1) <= size) top += 1;
  for (let level = top; level >= 0; level -= 1) {
    const width = 2 ** level;
    if (size - start >= width) {
      out.push({ level, index: start / width });
      start += width;
    }
  }
  return out;
}

export interface StoredCheckpoint {
  treeSize: number;
  rootHash: Buffer;
  at: Date;
  keyId: string;
  signature: Buffer;
}

function toEntry(r: {
  seq: string; at: Date; tenant_id: string | null; actor_kind: AuditEntry['actorKind']; actor_id: string | null; action: string;
  resource_type: string | null; resource_id: string | null; patient_id: string | null; outcome: AuditEntry['outcome'];
  source_address: string | null; request_id: string | null; details: Record<string, string | number | boolean>;
}): AuditEntry {
  return {
    seq: Number(r.seq), at: r.at, tenantId: r.tenant_id, actorKind: r.actor_kind, actorId: r.actor_id, action: r.action,
    resourceType: r.resource_type, resourceId: r.resource_id, patientId: r.patient_id, outcome: r.outcome,
    sourceAddress: r.source_address, requestId: r.request_id, details: r.details,
  };
}

const entryColumns = ['seq', 'at', 'tenant_id', 'actor_kind', 'actor_id', 'action', 'resource_type', 'resource_id', 'patient_id', 'outcome', 'source_address', 'request_id', 'details'] as const;

/** The audit database: append-only entries, Merkle nodes, signed checkpoints (AUD-2). */
export const auditRepository = {
  /**
   * Appends a batch in one transaction (group commit): numbers the entries after the last one, stores
   * their leaf hashes and every Merkle node they complete. Durable when the promise resolves.
   *
   * `frontier` is the caller's copy of the tree's right edge after its previous append (see
   * AuditFrontier): when the log still has exactly that size — no other process appended since — the
   * hashes a new node needs come from it instead of one SELECT each; otherwise from the database. The
   * entries and the nodes go in one statement. Returns the entries and the frontier after them.
   */
  async append(db: AuditDb, inputs: AuditEntryInput[], at: Date, leafHashOf: (e: AuditEntry) => Buffer, hashNodes: NodeHasher, frontier?: AuditFrontier): Promise<AuditEntry[] & { frontier?: AuditFrontier }> {
    return db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(tx);
      const last = await tx.selectFrom('audit_entries').select(sql<string | null>`max(seq)`.as('max')).executeTakeFirst();
      const first = last?.max === null || last?.max === undefined ? 0 : Number(last.max) + 1;
      const known = frontier?.size === first ? frontier.hashes : undefined;
      const entries = inputs.map((input, i) => ({ ...input, seq: first + i, at }));
      const hashes = new Map<string, Buffer>();
      const rows = entries.map((e) => {
        const hash = leafHashOf(e);
        hashes.set(`0:${e.seq}`, hash);
        return {
          seq: e.seq, at, tenant_id: e.tenantId, actor_kind: e.actorKind, actor_id: e.actorId, action: e.action,
          resource_type: e.resourceType, resource_id: e.resourceId, patient_id: e.patientId, outcome: e.outcome,
          source_address: e.sourceAddress, request_id: e.requestId, details: JSON.stringify(e.details), leaf_hash: hash,
        };
      });
      // Only nodes of entries appended before this batch are read: the batch's own are all in `hashes`.
      const node = async (level: number, index: number): Promise<Buffer> => {
        const key = `${level}:${index}`;
        const cached = hashes.get(key) ?? known?.get(key);
        if (cached) return cached;
        const row = level === 0
          ? await tx.selectFrom('audit_entries').select('leaf_hash as hash').where('seq', '=', String(index) as never).executeTakeFirstOrThrow()
          : await tx.selectFrom('audit_nodes').select('hash').where('level', '=', level).where('index', '=', String(index) as never).executeTakeFirstOrThrow();
        hashes.set(key, row.hash);
        return row.hash;
      };
      const newNodes: { level: number; index: number; hash: Buffer }[] = [];
      for (const e of entries) {
        // Leaf e.seq completes the aligned subtree of level L when (seq + 1) is a multiple of 2^L.
        for (let level = 1; (e.seq + 1) % 2 ** level === 0; level++) {
          const index = (e.seq + 1) / 2 ** level - 1;
          const hash = hashNodes(await node(level - 1, 2 * index), await node(level - 1, 2 * index + 1));
          hashes.set(`${level}:${index}`, hash);
          newNodes.push({ level, index, hash });
        }
      }
      const size = first + entries.length;
      const next = new Map<string, Buffer>();
      for (const { level, index } of frontierOf(size)) next.set(`${level}:${index}`, await node(level, index));
      if (rows.length > 0 && newNodes.length > 0) {
        // One statement: a data-modifying WITH runs whether or not the outer query reads it.
        await tx.with('appended', (w) => w.insertInto('audit_entries').values(rows)).insertInto('audit_nodes').values(newNodes).execute();
      } else if (rows.length > 0) {
        await tx.insertInto('audit_entries').values(rows).execute();
      }
      return Object.assign(entries, { frontier: { size, hashes: next } });
    });
  },

  /** Hash of an aligned perfect subtree (level 0: a leaf). */
  async subtree(db: AuditDb, level: number, index: number): Promise<Buffer> {
    const row = level === 0
      ? await db.selectFrom('audit_entries').select('leaf_hash as hash').where('seq', '=', String(index) as never).executeTakeFirst()
      : await db.selectFrom('audit_nodes').select('hash').where('level', '=', level).where('index', '=', String(index) as never).executeTakeFirst();
    if (!row) throw new Error(`audit subtree ${level}/${index} is missing`);
    return row.hash;
  },

  async size(db: AuditDb): Promise<number> {
    const row = await db.selectFrom('audit_entries').select(sql<string | null>`max(seq)`.as('max')).executeTakeFirst();
    return row?.max === null || row?.max === undefined ? 0 : Number(row.max) + 1;
  },

  /** Runs work under the append lock, so that a checkpoint sees a stable tree. */
  async underAppendLock<T>(db: AuditDb, work: (locked: AuditDb) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(tx);
      return work(tx);
    });
  },

  async latestCheckpoint(db: AuditDb): Promise<StoredCheckpoint | undefined> {
    const row = await db.selectFrom('audit_checkpoints').selectAll().orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
    return row && { treeSize: Number(row.tree_size), rootHash: row.root_hash, at: row.at, keyId: row.key_id, signature: row.signature };
  },

  async checkpoints(db: AuditDb): Promise<StoredCheckpoint[]> {
    const rows = await db.selectFrom('audit_checkpoints').selectAll().orderBy('tree_size').execute();
    return rows.map((row) => ({ treeSize: Number(row.tree_size), rootHash: row.root_hash, at: row.at, keyId: row.key_id, signature: row.signature }));
  },

  async addCheckpoint(db: AuditDb, c: StoredCheckpoint): Promise<void> {
    await db.insertInto('audit_checkpoints').values({ tree_size: c.treeSize, root_hash: c.rootHash, at: c.at, key_id: c.keyId, signature: c.signature }).execute();
  },

  /** Entries in sequence order from `fromSeq`, a page at a time, with their stored leaf hashes. */
  async page(db: AuditDb, fromSeq: number, limit: number): Promise<(AuditEntry & { leafHash: Buffer })[]> {
    const rows = await db.selectFrom('audit_entries').select([...entryColumns, 'leaf_hash']).where('seq', '>=', String(fromSeq) as never).orderBy('seq').limit(limit).execute();
    return rows.map((r) => ({ ...toEntry(r), leafHash: r.leaf_hash }));
  },

  async entry(db: AuditDb, seq: number): Promise<(AuditEntry & { leafHash: Buffer }) | undefined> {
    const r = await db.selectFrom('audit_entries').select([...entryColumns, 'leaf_hash']).where('seq', '=', String(seq) as never).executeTakeFirst();
    return r && { ...toEntry(r), leafHash: r.leaf_hash };
  },

  async recordVerification(db: AuditDb, v: { at: Date; treeSize: number; ok: boolean; problem: string | null }): Promise<void> {
    await db.insertInto('audit_verifications').values({ at: v.at, tree_size: v.treeSize, ok: v.ok, problem: v.problem }).execute();
  },

  async lastVerification(db: AuditDb): Promise<{ at: Date; treeSize: number; ok: boolean; problem: string | null } | undefined> {
    const r = await db.selectFrom('audit_verifications').select(['at', 'tree_size', 'ok', 'problem']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r && { at: r.at, treeSize: Number(r.tree_size), ok: r.ok, problem: r.problem };
  },

  /** Review (AUD-4): one tenant's entries, newest first, filtered; keyset paging on (at, seq). */
  async search(db: AuditDb, tenantId: string, f: { actorId?: string | undefined; patientId?: string | undefined; action?: string | undefined; outcome?: AuditEntry['outcome'] | undefined; from?: Date | undefined; to?: Date | undefined; beforeSeq?: number | undefined; limit: number }): Promise<AuditEntry[]> {
    let q = db.selectFrom('audit_entries').select(entryColumns).where('tenant_id', '=', tenantId);
    if (f.actorId) q = q.where('actor_id', '=', f.actorId);
    if (f.patientId) q = q.where('patient_id', '=', f.patientId);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.outcome) q = q.where('outcome', '=', f.outcome);
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<', f.to);
    if (f.beforeSeq !== undefined) q = q.where('seq', '<', String(f.beforeSeq) as never);
    const rows = await q.orderBy('seq', 'desc').limit(f.limit).execute();
    return rows.map(toEntry);
  },
};
