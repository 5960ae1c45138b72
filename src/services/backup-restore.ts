/**
 * One restore of a backup archive (docs/encryption.md "Backups"): decrypt and parse the payload as a
 * stream, insert rows into one transaction per database, write objects through the blob store, then
 * verify everything — record counts and the manifest's hash, the schema, every tenant key, every
 * patient key and every patient row, the audit log's hashes and signatures — and only then commit.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable, pipeline } from 'node:stream';
import { verifyAuditLog } from '../audit/audit-verifier.ts';
import type { AuditSigner } from '../crypto/audit-signer.ts';
import { KeyUnwrapError, type Keyring } from '../crypto/keys/keyring.ts';
import { ObjectIntegrityError, createObjectDecryptStream } from '../crypto/object-cipher.ts';
import type { ExchangeValue } from '../data/backup/catalog.ts';
import { DatabaseRestorer, RestoreRefusedError } from '../data/backup/database-restore.ts';
import { allTenantIds, livePatientKeys, livePatients } from '../data/backup/restore-checks.ts';
import type { Databases } from '../data/open-databases.ts';
import { keyRepository } from '../data/repositories/key.repository.ts';
import type { AuditDatabase, Database } from '../data/schema.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import {
  BackupFormatError, bufferChunks, counted, parsePayloadJson, payloadObjectId, readArchiveHeader, readRecords,
  type DatabaseMeta, type PayloadJson, type PayloadMeta,
} from './backup-archive.ts';
import type { PatientProtection } from './patient-protection.ts';

export interface RestoreOptions {
  /**
   * 'audit': the main database and the objects were restored by an earlier run whose audit commit
   * failed; restore the audit database only (the main database is checked against the archive).
   */
  only?: 'audit';
  /** Archive bytes read so far. */
  onProgress?: (bytesRead: number) => void;
}

export interface RestoreResult {
  backupId: string;
  createdAt: string;
  rows: number;
  objects: number;
  objectBytes: number;
  tenants: number;
  tenantKeys: number;
  patientKeys: number;
  patients: number;
  auditEntries: number;
  auditCheckpoints: number;
  /** Things the operator must know that do not stop the restore. */
  warnings: string[];
}

export interface RestoreDependencies {
  databases: Pick<Databases, 'main' | 'audit'>;
  keyring: Keyring;
  protection: PatientProtection;
  auditSigner: AuditSigner;
  store: BlobStore;
  secretKeyCheck: string;
}

/** A restore that was refused; nothing was left behind. */
export class BackupRefusedError extends Error {
  override readonly name = 'BackupRefusedError';
}

const PAGE = 500;

interface ObjectInProgress {
  id: string;
  hash: Hash;
  bytes: number;
  /** Absent when the object is already in the store (an earlier run): its bytes are compared instead. */
  sink?: PassThrough;
  writing?: Promise<number>;
}

interface Section {
  database: 'main' | 'audit';
  restorer: DatabaseRestorer<Database> | DatabaseRestorer<AuditDatabase>;
  columns: DatabaseMeta['tables'][number]['columns'];
  key: string;
  rows: number;
  insert: boolean;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class RestoreRun {
  private main: DatabaseRestorer<Database> | undefined;
  private audit: DatabaseRestorer<AuditDatabase> | undefined;
  private meta: PayloadMeta | undefined;
  private section: Section | undefined;
  private object: ObjectInProgress | undefined;
  private readonly written: string[] = [];
  private readonly counts: Record<string, number> = {};
  private rows = 0;
  private objects = 0;
  private objectBytes = 0;
  private manifestSeen = false;
  private readonly warnings: string[] = [];

  constructor(private readonly deps: RestoreDependencies, private readonly options: RestoreOptions) {}

  async execute(input: Readable): Promise<RestoreResult> {
    try {
      return await this.run(input);
    } catch (error) {
      await this.abandon();
      throw this.explain(error);
    } finally {
      input.destroy();
    }
  }

  private async run(input: Readable): Promise<RestoreResult> {
    let read = 0;
    const source = counted(bufferChunks(input), (n) => {
      read += n;
      this.options.onProgress?.(read);
    });
    const { header, bytes, payload } = await readArchiveHeader(source);
    let key;
    try {
      key = await this.deps.keyring.openBackupKey(header.backupId, { rootKeyId: header.rootKeyId, wrapped: Buffer.from(header.wrappedKey, 'base64') });
    } catch (error) {
      if (!(error instanceof KeyUnwrapError)) throw error;
      throw new BackupRefusedError(`the backup key does not unwrap: it is wrapped by root key ${header.rootKeyId} (this instance's current root key is ${this.deps.keyring.currentRootKeyId()}); a restore needs that root key (CLARUS_ROOT_KEY or CLARUS_ROOT_KEY_PREVIOUS, or the HSM that holds it), or the archive header was altered`);
    }
    const keyId = `backup/${header.backupId}`;
    const decrypt = createObjectDecryptStream(async (named) => {
      if (named !== keyId) throw new BackupFormatError('the archive payload names another key than its header');
      return key;
    }, payloadObjectId(bytes));
    pipeline(Readable.from(payload), decrypt, () => undefined);
    try {
      this.main = await DatabaseRestorer.open(this.deps.databases.main, 'main');
      this.audit = await DatabaseRestorer.open(this.deps.databases.audit, 'audit');
      for await (const record of readRecords(bufferChunks(decrypt))) {
        if (this.manifestSeen) throw new BackupFormatError('the archive has records after its manifest');
        if (record.type === 'binary') await this.objectBytesRecord(record.data);
        else await this.jsonRecord(parsePayloadJson(record.value), record.digestBefore, header.backupId);
      }
      if (!this.manifestSeen) throw new BackupFormatError('the archive ends before its manifest');
      await this.main.finish();
      await this.audit.finish();
      const verified = await this.verify();
      await this.commit();
      return {
        backupId: header.backupId, createdAt: header.createdAt, rows: this.rows, objects: this.objects, objectBytes: this.objectBytes,
        ...verified, warnings: this.warnings,
      };
    } finally {
      decrypt.destroy();
    }
  }

  /** A refusal message that says what happened, on one line, without internals. */
  private explain(error: unknown): Error {
    if (error instanceof ObjectIntegrityError) return new BackupRefusedError(`the archive is damaged or was altered (${error.message}); nothing was restored`);
    if (error instanceof BackupFormatError || error instanceof RestoreRefusedError || error instanceof BackupRefusedError) {
      return new BackupRefusedError(`${error.message}; nothing was restored`);
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  private async abandon(): Promise<void> {
    this.object?.sink?.destroy(new Error('restore abandoned'));
    await this.object?.writing?.catch(() => undefined);
    await this.main?.rollback().catch(() => undefined);
    await this.audit?.rollback().catch(() => undefined);
    for (const id of this.written) await this.deps.store.delete(id).catch(() => undefined);
  }

  private async jsonRecord(record: PayloadJson, digestBefore: string, backupId: string): Promise<void> {
    if (!this.meta && record.kind !== 'meta') throw new BackupFormatError('the archive payload does not start with its description');
    switch (record.kind) {
      case 'meta':
        if (this.meta) throw new BackupFormatError('the archive has two descriptions');
        if (record.backupId !== backupId) throw new BackupFormatError('the archive payload belongs to another backup');
        await this.start(record);
        return;
      case 'section':
        return this.startSection(record.database, record.table, record.tenantId);
      case 'rows':
        return this.insertRows(record.rows);
      case 'section-end':
        return this.endSection(record.rows);
      case 'object':
        return this.startObject(record.id);
      case 'object-end':
        return this.endObject(record.bytes, record.sha256);
      case 'manifest':
        if (this.section || this.object) throw new BackupFormatError('the manifest comes before the end of a section');
        if (record.sha256 !== digestBefore) throw new BackupFormatError('the archive records do not match the manifest hash');
        if (record.objects !== this.objects || record.objectBytes !== this.objectBytes) throw new BackupFormatError('the objects do not match the manifest');
        if (!sameList(Object.keys(record.tables).sort(), Object.keys(this.counts).sort()) || Object.entries(record.tables).some(([t, n]) => this.counts[t] !== n)) {
          throw new BackupFormatError('the row counts do not match the manifest');
        }
        this.manifestSeen = true;
        return;
    }
  }

  /** Checks the archive against this instance before anything is written. */
  private async start(meta: PayloadMeta): Promise<void> {
    const main = this.main as DatabaseRestorer<Database>;
    const audit = this.audit as DatabaseRestorer<AuditDatabase>;
    for (const [name, restorer] of [['main', main], ['audit', audit]] as const) {
      const archived = meta.databases[name];
      const here = restorer.catalog;
      if (!sameList(archived.migrations, here.migrations)) {
        throw new RestoreRefusedError(`the backup's ${name} database has migrations up to ${archived.migrations.at(-1) ?? 'none'}, this instance up to ${here.migrations.at(-1) ?? 'none'}: restore with the Clarus version that made the backup, then upgrade`);
      }
      const describe = (t: { name: string; columns: { name: string; type: string; bytea: boolean }[] }) => `${t.name}(${t.columns.map((c) => `${c.name} ${c.type}${c.bytea ? ' bytes' : ''}`).join(',')})`;
      if (!sameList(archived.tables.map(describe).sort(), here.tables.map(describe).sort())) {
        throw new RestoreRefusedError(`the backup's ${name} database has other tables or columns than this instance's`);
      }
      // Rows arrive in the archive's table order: it must put every table after those it references here.
      const seen = new Set<string>();
      for (const table of archived.tables) {
        const references = here.tables.find((t) => t.name === table.name)?.references ?? [];
        if (references.some((parent) => !seen.has(parent))) throw new RestoreRefusedError(`the backup orders ${table.name} before a table it references`);
        seen.add(table.name);
      }
    }
    if (meta.auditSigningKeyId !== this.deps.auditSigner.keyId) {
      throw new RestoreRefusedError(`the backup's audit checkpoints are signed by audit key ${meta.auditSigningKeyId}, this instance's CLARUS_AUDIT_SIGNING_KEY is ${this.deps.auditSigner.keyId}: use the backed-up instance's key, or every old checkpoint fails verification`);
    }
    if (meta.secretKeyCheck !== this.deps.secretKeyCheck) {
      this.warnings.push("this instance's CLARUS_SECRET_KEY differs from the backed-up instance's: restored second factors (TOTP), API keys and sessions will not work until the same key is set");
    }
    if (this.options.only !== 'audit') await main.requireEmpty();
    await audit.requireEmpty();
    this.meta = meta;
  }

  private async startSection(database: 'main' | 'audit', table: string, tenantId: string | null): Promise<void> {
    if (this.section || this.object) throw new BackupFormatError('a section starts inside another one');
    const restorer = database === 'main' ? (this.main as DatabaseRestorer<Database>) : (this.audit as DatabaseRestorer<AuditDatabase>);
    const columns = this.meta?.databases[database].tables.find((t) => t.name === table)?.columns;
    if (!columns) throw new BackupFormatError(`the archive has rows of ${table}, which its description does not list`);
    await restorer.section(table, tenantId);
    this.section = { database, restorer, columns, key: `${database}.${table}`, rows: 0, insert: !(database === 'main' && this.options.only === 'audit') };
  }

  private async insertRows(rows: (string | null)[][]): Promise<void> {
    const section = this.section;
    if (!section) throw new BackupFormatError('rows outside a section');
    const decoded = rows.map((row): ExchangeValue[] => {
      if (row.length !== section.columns.length) throw new BackupFormatError(`a row of ${section.key} has the wrong number of values`);
      return row.map((v, i) => (v !== null && section.columns[i]?.bytea ? Buffer.from(v, 'base64') : v));
    });
    if (section.insert) await section.restorer.insert(decoded);
    section.rows += rows.length;
    this.rows += rows.length;
  }

  private async endSection(declared: number): Promise<void> {
    const section = this.section;
    if (!section) throw new BackupFormatError('a section ends that did not start');
    if (declared !== section.rows) throw new BackupFormatError(`the section of ${section.key} has ${section.rows} rows, not ${declared}`);
    // What the database now holds in this section (its table, in its tenant context) is exactly what the archive had.
    const stored = await section.restorer.countSection();
    if (stored !== declared) throw new RestoreRefusedError(`${section.key} holds ${stored} rows after the restore, the backup ${declared}`);
    this.counts[section.key] = (this.counts[section.key] ?? 0) + declared;
    this.section = undefined;
  }

  private async startObject(id: string): Promise<void> {
    if (this.section || this.object) throw new BackupFormatError('an object starts inside a section or another object');
    const object: ObjectInProgress = { id, hash: createHash('sha256'), bytes: 0 };
    if (!(await this.deps.store.exists(id))) {
      object.sink = new PassThrough();
      // The store's write reports failures; the sink itself must not raise an unhandled 'error'.
      object.sink.on('error', () => undefined);
      object.writing = this.deps.store.write(id, object.sink);
      // Observed in objectBytesRecord/endObject; never an unhandled rejection in between.
      object.writing.catch(() => undefined);
    }
    this.object = object;
  }

  private async objectBytesRecord(data: Buffer): Promise<void> {
    const object = this.object;
    if (!object) throw new BackupFormatError('object bytes outside an object');
    object.hash.update(data);
    object.bytes += data.length;
    if (object.sink && object.writing && !object.sink.write(data)) await Promise.race([once(object.sink, 'drain'), object.writing]);
  }

  private async endObject(bytes: number, sha256: string): Promise<void> {
    const object = this.object;
    if (!object) throw new BackupFormatError('an object ends that did not start');
    const digest = object.hash.digest('hex');
    if (object.bytes !== bytes || digest !== sha256) throw new BackupFormatError(`object ${object.id} does not match its recorded size and hash`);
    if (object.sink && object.writing) {
      object.sink.end();
      const stored = await object.writing;
      this.written.push(object.id);
      if (stored !== bytes) throw new Error(`object ${object.id}: ${stored} bytes stored, ${bytes} expected`);
    } else {
      // Already there (a re-run after a failed audit commit, or the same object): it must be this one.
      const existing = createHash('sha256');
      for await (const chunk of bufferChunks(await this.deps.store.createReadStream(object.id))) existing.update(chunk);
      if (existing.digest('hex') !== sha256) throw new RestoreRefusedError(`object ${object.id} already exists here with other content`);
    }
    this.objects += 1;
    this.objectBytes += bytes;
    this.object = undefined;
  }

  /**
   * Before any commit: every tenant key unwraps with this instance's root key, every live patient key
   * unwraps with its tenant key, every live patient row decrypts, and the audit log verifies (hashes,
   * Merkle tree, checkpoint signatures with this instance's audit key).
   */
  private async verify(): Promise<Pick<RestoreResult, 'tenants' | 'tenantKeys' | 'patientKeys' | 'patients' | 'auditEntries' | 'auditCheckpoints'>> {
    const main = this.main as DatabaseRestorer<Database>;
    const { protection } = this.deps;
    const tx = main.tx;
    const tenants = await allTenantIds(tx);
    let tenantKeys = 0;
    let patientKeys = 0;
    let patients = 0;
    for (const tenantId of tenants) {
      await main.useTenant(tenantId);
      try {
        for (const row of await keyRepository.tenantKeys(tx, tenantId)) {
          if (!row.wrapped) continue;
          await protection.tenantKey(tx, tenantId, row.purpose, row.version);
          tenantKeys += 1;
        }
        for (let after = null as { patientId: string; version: number } | null; ;) {
          const page = await livePatientKeys(tx, tenantId, after, PAGE);
          for (const k of page) await protection.patientKey(tx, tenantId, k.patientId, k.version);
          patientKeys += page.length;
          after = page.at(-1) ?? null;
          if (page.length < PAGE) break;
        }
        for (let after: string | null = null; ;) {
          const page = await livePatients(tx, tenantId, after, PAGE);
          for (const stored of page) await protection.openStored(tx, tenantId, stored);
          patients += page.length;
          after = page.at(-1)?.id ?? null;
          if (page.length < PAGE) break;
        }
      } catch (error) {
        const what = error instanceof Error ? error.name : 'error';
        throw new RestoreRefusedError(`verification failed for organisation ${tenantId}: a key does not unwrap or a patient does not decrypt (${what})`);
      }
    }
    await main.useTenant(null);
    const report = await verifyAuditLog((this.audit as DatabaseRestorer<AuditDatabase>).tx, this.deps.auditSigner.publicKeyPem());
    if (!report.ok) throw new RestoreRefusedError(`the restored audit log does not verify: ${report.problem ?? 'unknown problem'}`);
    return { tenants: tenants.length, tenantKeys, patientKeys, patients, auditEntries: report.entries, auditCheckpoints: report.checkpoints };
  }

  /**
   * Commits main, then audit. Everything was verified, so only the database itself can fail here. If
   * main fails, nothing is committed; if audit fails after main, the message says what to run.
   */
  private async commit(): Promise<void> {
    const main = this.main as DatabaseRestorer<Database>;
    const audit = this.audit as DatabaseRestorer<AuditDatabase>;
    try {
      await main.commit();
    } catch (error) {
      throw new Error(`committing the main database failed (${error instanceof Error ? error.message : 'unknown error'}); nothing was restored`);
    }
    this.main = undefined;
    this.written.length = 0;
    try {
      await audit.commit();
    } catch (error) {
      this.audit = undefined;
      throw new Error(`the main database and the objects were restored, but committing the audit database failed (${error instanceof Error ? error.message : 'unknown error'}); fix the cause, then run \`clarus restore --in <archive> --only audit\``);
    }
    this.audit = undefined;
  }
}
