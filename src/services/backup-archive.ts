/**
 * The backup archive format (docs/encryption.md, "Backups"). An archive is
 *
 *   magic "CLRSBAK" (7) | version (1) = 1 | header length (u32 BE) | header (UTF-8 JSON)
 *   | payload: one encrypted object (crypto/object-cipher.ts, STREAM over AES-256-GCM)
 *
 * The plaintext header holds only what a reader needs before it can decrypt: the backup id, the time,
 * the root key id and the backup key wrapped by that root key. The payload's object id is derived from
 * the SHA-256 of the header bytes, so the header is authenticated by every payload segment.
 *
 * The payload, once decrypted, is a stream of records: type (1 byte: 'J' JSON, 'B' bytes) | length
 * (u32 BE) | body. JSON records describe what follows (meta, table sections, row batches, objects,
 * and the final manifest with row counts and the SHA-256 of every record before it); 'B' records carry
 * the bytes of an object.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';

export const ARCHIVE_MAGIC = Buffer.from('CLRSBAK', 'ascii');
export const ARCHIVE_VERSION = 1;
const PREFIX_LENGTH = ARCHIVE_MAGIC.length + 1 + 4;
const MAX_HEADER_JSON = 4096;
/** No record is larger; writers cut row batches and object chunks far smaller. */
const MAX_RECORD = 64 * 1024 * 1024;

/** The archive is not a readable Clarus backup (or was altered); the message is safe to show. */
export class BackupFormatError extends Error {
  override readonly name = 'BackupFormatError';
}

const headerSchema = z.object({
  format: z.literal('clarus-backup'),
  version: z.literal(ARCHIVE_VERSION),
  backupId: z.uuid(),
  createdAt: z.iso.datetime(),
  rootKeyId: z.string().min(1).max(200),
  wrappedKey: z.base64().max(1024),
}).strict();

export type ArchiveHeader = z.infer<typeof headerSchema>;

export function encodeArchiveHeader(header: ArchiveHeader): Buffer {
  const json = Buffer.from(JSON.stringify(headerSchema.parse(header)), 'utf8');
  const prefix = Buffer.alloc(PREFIX_LENGTH);
  ARCHIVE_MAGIC.copy(prefix, 0);
  prefix.writeUInt8(ARCHIVE_VERSION, ARCHIVE_MAGIC.length);
  prefix.writeUInt32BE(json.length, ARCHIVE_MAGIC.length + 1);
  return Buffer.concat([prefix, json]);
}

/** The object id of the payload: binds every payload segment to these exact header bytes. */
export function payloadObjectId(headerBytes: Buffer): string {
  return `backup/${createHash('sha256').update(headerBytes).digest('hex')}`;
}

/**
 * Reads the header from the start of an archive stream. Returns it, its exact bytes, and the rest of
 * the stream (the payload) as an async iterable.
 */
export async function readArchiveHeader(source: AsyncIterable<Buffer>): Promise<{ header: ArchiveHeader; bytes: Buffer; payload: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  const need = async (length: number) => {
    while (pending.length < length) {
      const next = await iterator.next();
      if (next.done) throw new BackupFormatError('the archive is truncated: its header is incomplete');
      pending = Buffer.concat([pending, next.value]);
    }
  };
  await need(PREFIX_LENGTH);
  if (!pending.subarray(0, ARCHIVE_MAGIC.length).equals(ARCHIVE_MAGIC)) throw new BackupFormatError('not a Clarus backup archive');
  const version = pending[ARCHIVE_MAGIC.length];
  if (version !== ARCHIVE_VERSION) throw new BackupFormatError(`unknown backup archive version ${String(version)}`);
  const jsonLength = pending.readUInt32BE(ARCHIVE_MAGIC.length + 1);
  if (jsonLength === 0 || jsonLength > MAX_HEADER_JSON) throw new BackupFormatError('the archive header is damaged (bad length)');
  await need(PREFIX_LENGTH + jsonLength);
  const bytes = Buffer.from(pending.subarray(0, PREFIX_LENGTH + jsonLength));
  let header: ArchiveHeader;
  try {
    header = headerSchema.parse(JSON.parse(bytes.subarray(PREFIX_LENGTH).toString('utf8')));
  } catch {
    throw new BackupFormatError('the archive header is damaged or was altered');
  }
  const rest = pending.subarray(PREFIX_LENGTH + jsonLength);
  async function* payload(): AsyncIterable<Buffer> {
    if (rest.length > 0) yield rest;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { header, bytes, payload: payload() };
}

/** Writes records to the (plaintext side of the) payload, with backpressure, hashing every byte. */
export class RecordWriter {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly out: Writable) {}

  private async put(type: 'J' | 'B', body: Buffer): Promise<void> {
    if (body.length > MAX_RECORD) throw new Error(`a backup record of ${body.length} bytes is larger than the format allows`);
    const prefix = Buffer.alloc(5);
    prefix.write(type, 0, 'ascii');
    prefix.writeUInt32BE(body.length, 1);
    this.hash.update(prefix).update(body);
    this.bytes += prefix.length + body.length;
    const a = this.out.write(prefix);
    const b = this.out.write(body);
    if (!a || !b) await once(this.out, 'drain');
  }

  json(value: object): Promise<void> {
    return this.put('J', Buffer.from(JSON.stringify(value), 'utf8'));
  }

  binary(chunk: Buffer): Promise<void> {
    return this.put('B', chunk);
  }

  /** SHA-256 (hex) of every record written so far. */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}

export type PayloadRecord =
  | { type: 'json'; value: unknown; digestBefore: string }
  | { type: 'binary'; data: Buffer };

/**
 * Splits the decrypted payload into records. Each JSON record comes with the SHA-256 of every record
 * before it (what the manifest states). Memory: one record plus one input chunk.
 */
export async function* readRecords(source: AsyncIterable<Buffer>): AsyncGenerator<PayloadRecord> {
  const hash = createHash('sha256');
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const type = String.fromCharCode(pending[0] as number);
      const length = pending.readUInt32BE(1);
      if ((type !== 'J' && type !== 'B') || length > MAX_RECORD) throw new BackupFormatError('the backup payload is malformed');
      if (pending.length < 5 + length) break;
      const record = pending.subarray(0, 5 + length);
      pending = pending.subarray(5 + length);
      const body = record.subarray(5);
      if (type === 'J') {
        const digestBefore = hash.copy().digest('hex');
        hash.update(record);
        let value: unknown;
        try {
          value = JSON.parse(body.toString('utf8'));
        } catch {
          throw new BackupFormatError('the backup payload is malformed');
        }
        yield { type: 'json', value, digestBefore };
      } else {
        hash.update(record);
        yield { type: 'binary', data: Buffer.from(body) };
      }
    }
  }
  if (pending.length > 0) throw new BackupFormatError('the backup payload ends inside a record');
}

/** Counts bytes flowing through an async iterable (progress over the archive). */
export async function* counted(source: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncIterable<Buffer> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/** Readable chunks as Buffers (file streams yield Buffers; this states it for the type checker). */
export async function* bufferChunks(source: Readable): AsyncIterable<Buffer> {
  for await (const chunk of source) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
}

const uuid = z.uuid();
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const databaseName = z.enum(['main', 'audit']);
const tableMeta = z.object({
  name: z.string().min(1),
  rowSecurity: z.boolean(),
  columns: z.array(z.object({ name: z.string().min(1), type: z.string().min(1), bytea: z.boolean() })),
});
const databaseMeta = z.object({ migrations: z.array(z.string()), tables: z.array(tableMeta) });

/** The payload's JSON records. */
export const payloadRecordSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('meta'),
    format: z.literal('clarus-backup-payload'),
    version: z.literal(ARCHIVE_VERSION),
    backupId: uuid,
    createdAt: z.iso.datetime(),
    /** Id of the Ed25519 key that signed the audit checkpoints (public). */
    auditSigningKeyId: z.string(),
    /** HMAC of a constant under CLARUS_SECRET_KEY's token subkey: tells whether the target has the same secret key. */
    secretKeyCheck: z.string(),
    databases: z.object({ main: databaseMeta, audit: databaseMeta }),
  }),
  z.object({ kind: z.literal('section'), database: databaseName, table: z.string().min(1), tenantId: uuid.nullable() }),
  z.object({ kind: z.literal('rows'), rows: z.array(z.array(z.string().nullable())) }),
  z.object({ kind: z.literal('section-end'), rows: z.number().int().positive() }),
  z.object({ kind: z.literal('object'), id: uuid }),
  z.object({ kind: z.literal('object-end'), bytes: z.number().int().nonnegative(), sha256: sha256Hex }),
  z.object({
    kind: z.literal('manifest'),
    tables: z.record(z.string(), z.number().int().nonnegative()),
    objects: z.number().int().nonnegative(),
    objectBytes: z.number().int().nonnegative(),
    sha256: sha256Hex,
  }),
]);

export type PayloadJson = z.infer<typeof payloadRecordSchema>;
export type PayloadMeta = Extract<PayloadJson, { kind: 'meta' }>;
export type DatabaseMeta = z.infer<typeof databaseMeta>;

export function parsePayloadJson(value: unknown): PayloadJson {
  const parsed = payloadRecordSchema.safeParse(value);
  if (!parsed.success) throw new BackupFormatError('the backup payload holds a record this version does not understand');
  return parsed.data;
}
