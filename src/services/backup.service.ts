/**
 * Encrypted backups and their restore (issue 5, item 6; docs/encryption.md "Backups"). A backup is
 * one archive: both databases (consistent snapshots, read as the application role), every encrypted
 * object, and so the wrapped tenant and patient keys (they are rows) — never the root key, never the
 * secrets directory. The archive is encrypted and authenticated under a fresh key per backup, wrapped
 * by the root key. A restore goes into an empty instance, verifies everything before it commits, and
 * needs the same root key.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditSigner } from '../crypto/audit-signer.ts';
import type { Keyring } from '../crypto/keys/keyring.ts';
import { createObjectEncryptStream } from '../crypto/object-cipher.ts';
import type { CatalogTable } from '../data/backup/catalog.ts';
import { withDatabaseSnapshot, type DatabaseSnapshot } from '../data/backup/database-dump.ts';
import type { Databases } from '../data/open-databases.ts';
import { BlobNotFoundError, type BlobStore } from '../storage/blob-store.ts';
import { ARCHIVE_VERSION, RecordWriter, bufferChunks, encodeArchiveHeader, payloadObjectId, type DatabaseMeta, type PayloadJson } from './backup-archive.ts';
import { RestoreRun, type RestoreOptions, type RestoreResult } from './backup-restore.ts';
import type { ServiceContext } from './context.ts';
import type { PatientProtection } from './patient-protection.ts';

export type { RestoreOptions, RestoreResult } from './backup-restore.ts';

export interface BackupProgress {
  phase: 'rows' | 'object bytes';
  done: number;
  total: number;
}

export interface BackupResult {
  backupId: string;
  createdAt: string;
  tables: number;
  rows: number;
  objects: number;
  objectBytes: number;
}

export interface BackupDependencies {
  ctx: ServiceContext;
  databases: Pick<Databases, 'main' | 'audit'>;
  keyring: Keyring;
  protection: PatientProtection;
  auditLog: AuditLog;
  auditSigner: AuditSigner;
  /** The object store (ciphertext files under CLARUS_OBJECTS_DIR). */
  blobs: BlobStore;
}

const system = { tenantId: null, kind: 'system' as const, id: null };
const noOrigin = { sourceAddress: null, requestId: null };
/** Row batches are cut at this many bytes of JSON (bounded memory, small records). */
const BATCH_BYTES = 1024 * 1024;

function describe(snapshot: DatabaseSnapshot): DatabaseMeta {
  return {
    migrations: snapshot.catalog.migrations,
    tables: snapshot.catalog.tables.map((t) => ({ name: t.name, rowSecurity: t.rowSecurity, columns: t.columns.map((c) => ({ name: c.name, type: c.type, bytea: c.bytea })) })),
  };
}

/** Keyed check value of CLARUS_SECRET_KEY (an HMAC of a constant: it reveals nothing about the key). */
export function secretKeyCheck(ctx: ServiceContext): string {
  return ctx.tokens.hash('clarus/backup/secret-key-check/v1');
}

export class BackupService {
  constructor(private readonly deps: BackupDependencies) {}

  /**
   * Writes an archive to `out` (which it ends). Memory stays bounded: rows go through cursors in
   * batches, objects in 64 KiB chunks, and the encryption works a segment at a time.
   */
  async create(out: Writable, onProgress?: (p: BackupProgress) => void): Promise<BackupResult> {
    const { ctx, databases, keyring, auditLog, auditSigner } = this.deps;
    const backupId = randomUUID();
    const createdAt = ctx.clock().toISOString();
    // Sign the audit log's tail first, so that the archive's audit log ends at a signed checkpoint.
    await auditLog.checkpoint();
    const store = this.deps.blobs;
    const { handle, wrapped } = await keyring.createBackupKey(backupId);
    const header = encodeArchiveHeader({ format: 'clarus-backup', version: ARCHIVE_VERSION, backupId, createdAt, rootKeyId: wrapped.rootKeyId, wrappedKey: wrapped.wrapped.toString('base64') });
    const encrypt = createObjectEncryptStream(handle, payloadObjectId(header));
    out.write(header);
    const written = pipeline(encrypt, out);
    // A failure below destroys `encrypt`; the pipeline then rejects with that error, reported below.
    written.catch(() => undefined);
    const writer = new RecordWriter(encrypt);
    const counts: Record<string, number> = {};
    let rows = 0;
    try {
      await withDatabaseSnapshot(databases.main, (main) => withDatabaseSnapshot(databases.audit, async (audit) => {
        const total = (await main.countRows()) + (await audit.countRows());
        onProgress?.({ phase: 'rows', done: 0, total });
        await this.json(writer, {
          kind: 'meta', format: 'clarus-backup-payload', version: ARCHIVE_VERSION, backupId, createdAt,
          auditSigningKeyId: auditSigner.keyId, secretKeyCheck: secretKeyCheck(ctx),
          databases: { main: describe(main), audit: describe(audit) },
        });
        for (const [name, snapshot] of [['main', main], ['audit', audit]] as const) {
          await this.dumpDatabase(writer, name, snapshot, (table, n) => {
            counts[`${name}.${table}`] = (counts[`${name}.${table}`] ?? 0) + n;
            rows += n;
            onProgress?.({ phase: 'rows', done: rows, total: Math.max(rows, total) });
          });
        }
      }));
      const objects = await this.dumpObjects(writer, store, onProgress);
      await this.json(writer, { kind: 'manifest', tables: counts, objects: objects.count, objectBytes: objects.bytes, sha256: writer.digest() });
      encrypt.end();
      await written;
      const result = { backupId, createdAt, tables: Object.keys(counts).length, rows, objects: objects.count, objectBytes: objects.bytes };
      await ctx.audit.record(system, noOrigin, { action: 'backup.create', outcome: 'success', resourceType: 'backup', resourceId: backupId, details: { tables: result.tables, rows, objects: objects.count, objectBytes: objects.bytes } });
      return result;
    } catch (error) {
      encrypt.destroy(error as Error);
      await written.catch(() => undefined);
      await ctx.audit.record(system, noOrigin, { action: 'backup.create', outcome: 'failure', resourceType: 'backup', resourceId: backupId });
      throw error;
    }
  }

  private json(writer: RecordWriter, record: PayloadJson): Promise<void> {
    return writer.json(record);
  }

  private async dumpDatabase(writer: RecordWriter, database: 'main' | 'audit', snapshot: DatabaseSnapshot, onRows: (table: string, n: number) => void): Promise<void> {
    let current: CatalogTable | undefined;
    let batch: (string | null)[][] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await this.json(writer, { kind: 'rows', rows: batch });
      batch = [];
      batchBytes = 0;
    };
    await snapshot.dump({
      section: async (table, tenantId) => {
        current = table;
        await this.json(writer, { kind: 'section', database, table: table.name, tenantId });
      },
      rows: async (rows) => {
        for (const row of rows) {
          const encoded = row.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
          batch.push(encoded);
          batchBytes += encoded.reduce((n, v) => n + (v?.length ?? 4) + 3, 2);
          if (batchBytes >= BATCH_BYTES) await flush();
        }
        onRows(current?.name ?? '', rows.length);
      },
      end: async (count) => {
        await flush();
        await this.json(writer, { kind: 'section-end', rows: count });
      },
    });
  }

  private async dumpObjects(writer: RecordWriter, store: BlobStore, onProgress?: (p: BackupProgress) => void): Promise<{ count: number; bytes: number }> {
    let total = 0;
    for await (const id of store.listIds()) total += await store.size(id).catch(() => 0);
    let count = 0;
    let bytes = 0;
    onProgress?.({ phase: 'object bytes', done: 0, total });
    for await (const id of store.listIds()) {
      let stream: Readable;
      try {
        stream = await store.createReadStream(id);
      } catch (error) {
        // Deleted since it was listed: nothing refers to it any more.
        if (error instanceof BlobNotFoundError) continue;
        throw error;
      }
      await this.json(writer, { kind: 'object', id });
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of bufferChunks(stream)) {
        hash.update(chunk);
        size += chunk.length;
        bytes += chunk.length;
        await writer.binary(chunk);
        onProgress?.({ phase: 'object bytes', done: bytes, total: Math.max(bytes, total) });
      }
      await this.json(writer, { kind: 'object-end', bytes: size, sha256: hash.digest('hex') });
      count += 1;
    }
    onProgress?.({ phase: 'object bytes', done: bytes, total: bytes });
    return { count, bytes };
  }

  /**
   * Restores an archive into this (empty) instance: see RestoreRun. Refusals (a tampered or foreign
   * archive, a missing root key, a non-empty target) throw with a one-line message and leave nothing.
   */
  async restore(input: Readable, options: RestoreOptions = {}): Promise<RestoreResult> {
    const { ctx } = this.deps;
    const run = new RestoreRun({ ...this.deps, store: this.deps.blobs, secretKeyCheck: secretKeyCheck(ctx) }, options);
    const result = await run.execute(input);
    await ctx.audit.record(system, noOrigin, {
      action: 'backup.restore', outcome: 'success', resourceType: 'backup', resourceId: result.backupId,
      details: { rows: result.rows, objects: result.objects, tenants: result.tenants, patients: result.patients, auditEntries: result.auditEntries, only: options.only ?? 'all' },
    });
    return result;
  }
}
