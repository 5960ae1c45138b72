import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { KeyHandle } from '../../crypto/keys/key-material.ts';
import { patientRepository } from '../../data/repositories/patient.repository.ts';
import { pendingObjectRepository } from '../../data/repositories/pending-object.repository.ts';
import { resumableUploadRepository as uploads, type ResumableUploadRecord } from '../../data/repositories/resumable-upload.repository.ts';
import { tenantRepository } from '../../data/repositories/tenant.repository.ts';
import { ClarusError } from '../../domain/error-catalog.ts';
import type { EncryptedBlobStore } from '../../storage/encrypted-blob-store.ts';
import type { Principal, RequestOrigin, ServiceContext } from '../context.ts';
import type { PatientProtection } from '../patient-protection.ts';
import type { PatientScopeService } from '../patient-scope.service.ts';
import type { IngestOutcome, IngestService } from './ingest.service.ts';
import type { HeldOutcome } from './reconciliation-parking.ts';
import { ChunkOverflowError, receiveChunk } from './receive-chunk.ts';
import { tenantKeyLookup } from '../tenant-key-lookup.ts';

/** Unfinished resumable uploads one user may hold at a time (their declared bytes: a quarter of this × the file limit). */
const MAX_OPEN_UPLOADS = 16;
/** PATCHes one upload may take (the web app sends 4 MiB chunks: 25 for a 100 MB file, plus retries). */
const MAX_CHUNKS = 1000;

export interface ResumableUploadSettings {
  /** CLARUS_UPLOAD_MAX_BYTES: the largest Upload-Length accepted (ING-2). */
  maxBytes: number;
  /** An upload untouched this long is abandoned: refused, then swept with its chunks. */
  ttlSeconds: number;
  /** A lock older than this belongs to a request that died with its process, and may be taken over. */
  lockStaleSeconds: number;
}

/** What an upload came to: the ingest outcome (ids only), or the catalog code it was refused with. */
export type ResumableOutcome = IngestOutcome | HeldOutcome | { status: 'refused'; code: string };

/** One upload session as the API shows it (ids, sizes, a media type: no PHI). */
export interface UploadSession {
  id: string;
  length: number;
  offset: number;
  state: 'receiving' | 'finishing' | 'done';
  patientId: string | null;
  contentType: string;
  expiresAt: Date;
  outcome: ResumableOutcome | null;
}

export interface AppendRequest {
  /** The client's Upload-Offset. */
  offset: number;
  /** Content-Length of the PATCH, when declared. */
  declaredSize: number | null;
  source: Readable;
}

export interface AppendResult {
  offset: number;
  expiresAt: Date;
  /** Set by the PATCH that completed the upload and whose file the pipeline accepted. */
  outcome: IngestOutcome | HeldOutcome | null;
  /** False when the body was cut short or stopped: the connection should close. */
  bodyComplete: boolean;
}

/** A PATCH body being received in this process, so that a later request for the upload can end it. */
interface InFlight {
  stop: () => void;
  settled: Promise<void>;
}

function session(record: ResumableUploadRecord): UploadSession {
  return {
    id: record.id, length: record.length, offset: record.offset, state: record.state, patientId: record.patientId, contentType: record.contentType,
    expiresAt: record.expiresAt, outcome: record.outcome as ResumableOutcome | null,
  };
}

/**
 * Resumable uploads with the tus 1.0.0 protocol (core, creation, termination, expiration;
 * docs/adr/0003-tus-own-implementation.md). Each PATCH body becomes its own encrypted object under the
 * tenant's quarantine key, announced before it is written (ING-7), so that nothing of an upload is
 * ever plaintext at rest and a crash leaves only what the start-up sweep removes. When the offset
 * reaches the declared length, the chunks are decrypted in order as one stream into the same ingest
 * pipeline as every other upload (size limit, SHA-256, clamd, validation, index, audit), and removed.
 */
export class ResumableUploadService {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly scopes: PatientScopeService,
    private readonly protection: PatientProtection,
    private readonly ingest: Pick<IngestService, 'ingest'>,
    private readonly chunkStore: EncryptedBlobStore,
    readonly settings: ResumableUploadSettings,
  ) {}

  private expiry(now: Date): Date {
    return new Date(now.getTime() + this.settings.ttlSeconds * 1000);
  }

  private locked(record: ResumableUploadRecord, now: Date): boolean {
    return record.lockId !== null && record.lockedAt !== null && record.lockedAt.getTime() > now.getTime() - this.settings.lockStaleSeconds * 1000;
  }

  /** The caller's own, unexpired session: anything else (another user's, another tenant's, expired) is a 404. */
  private async own(principal: Principal, id: string): Promise<ResumableUploadRecord> {
    const record = await this.ctx.uow.read(principal.tenantId, (tx) => uploads.find(tx, principal.tenantId, principal.userId, id));
    if (!record || record.expiresAt.getTime() <= this.ctx.clock().getTime()) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    return record;
  }

  /**
   * A new request for an upload ends a PATCH body still being received here (as tusd does): a client
   * only asks again when it believes that request failed, and its answer must include what arrived.
   */
  private async interruptLocal(id: string): Promise<void> {
    const running = this.inFlight.get(id);
    if (!running) return;
    running.stop();
    await Promise.race([running.settled, delay(10_000, undefined, { ref: false })]);
  }

  /**
   * tus creation extension (POST): the declared length is checked against the limit before any byte
   * is sent (ING-2, answered 413 like the other upload routes), and a chosen patient must be in reach.
   */
  async create(principal: Principal, input: { length: number; patientId: string | null; contentType: string }, origin: RequestOrigin): Promise<UploadSession> {
    const { tenantId } = principal;
    if (input.length > this.settings.maxBytes) {
      await this.ctx.securityEvents.record({ kind: 'ingest.oversize', tenantId, actorId: principal.userId, details: { channel: 'upload' }, ...origin });
      throw new ClarusError('CLARUS_ERR_FILE_TOO_LARGE');
    }
    const id = randomUUID();
    const now = this.ctx.clock();
    await this.ctx.uow.run(tenantId, async (tx) => {
      // Disk is not for filling: a user holds a bounded number of unfinished uploads (and bytes).
      const open = await uploads.openSessions(tx, tenantId, principal.userId, now);
      if (open.count >= MAX_OPEN_UPLOADS || open.bytes + input.length > MAX_OPEN_UPLOADS * this.settings.maxBytes / 4) throw new ClarusError('CLARUS_ERR_UPLOAD_LIMIT');
      if (input.patientId) {
        const { scope } = await this.scopes.resolve(tx, principal);
        if (!(await patientRepository.findVisible(tx, scope, input.patientId))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      }
      await uploads.create(tx, { id, tenantId, ownerId: principal.userId, length: input.length, patientId: input.patientId, contentType: input.contentType, now, expiresAt: this.expiry(now) });
    });
    return session(await this.own(principal, id));
  }

  /** tus HEAD (and the JSON status): the offset includes what a PATCH cut short here managed to store. */
  async status(principal: Principal, id: string): Promise<UploadSession> {
    await this.own(principal, id);
    await this.interruptLocal(id);
    return session(await this.own(principal, id));
  }

  /**
   * tus PATCH: appends the body at `offset`, which must be the server's (409 otherwise: tus §PATCH).
   * The PATCH that completes the upload runs the ingest pipeline and answers with its outcome; a
   * refused file is answered with the same code as a plain upload.
   */
  async append(principal: Principal, id: string, request: AppendRequest, origin: RequestOrigin): Promise<AppendResult> {
    const { tenantId } = principal;
    await this.own(principal, id);
    await this.interruptLocal(id);
    const lockId = randomUUID();
    const chunkId = randomUUID();
    const now = this.ctx.clock();
    const claim = await this.ctx.uow.run(tenantId, async (tx) => {
      const record = await uploads.find(tx, tenantId, principal.userId, id, true);
      if (!record || record.expiresAt.getTime() <= now.getTime()) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      if (record.state === 'done') throw new ClarusError('CLARUS_ERR_CONFLICT');
      if (this.locked(record, now)) throw new ClarusError('CLARUS_ERR_UPLOAD_LOCKED');
      if (request.offset !== record.offset) throw new ClarusError('CLARUS_ERR_UPLOAD_OFFSET_MISMATCH');
      // Each PATCH is an object and a row entry: tiny PATCHes would make millions of both.
      if (record.offset < record.length && record.chunks.length >= MAX_CHUNKS) throw new ClarusError('CLARUS_ERR_UPLOAD_CHUNKS');
      if (request.declaredSize !== null && record.offset + request.declaredSize > record.length) throw new ClarusError('CLARUS_ERR_UPLOAD_LENGTH_EXCEEDED');
      // Every byte is here but the pipeline has not answered (it failed transiently, or its process
      // died): an empty PATCH at the final offset runs it again.
      const complete = record.offset === record.length;
      await uploads.lock(tx, tenantId, id, lockId, now, complete ? 'finishing' : 'receiving');
      if (complete) return { record, key: null };
      // ING-7: announced before it is written, settled in the transaction that appends it.
      await pendingObjectRepository.announce(tx, chunkId, tenantId, now);
      return { record, key: await this.protection.quarantineKey(tx, tenantId) };
    });
    if (!claim.key) return { ...(await this.finalize(principal, claim.record, lockId, origin)), bodyComplete: true };
    const received = await this.receive(tenantId, claim.record, lockId, chunkId, claim.key, request.source);
    if (received.record.state !== 'finishing') {
      return { offset: received.record.offset, expiresAt: received.record.expiresAt, outcome: null, bodyComplete: received.complete };
    }
    return { ...(await this.finalize(principal, received.record, lockId, origin)), bodyComplete: received.complete };
  }

  /** Streams one PATCH body into its encrypted chunk object and appends it to the session. */
  private async receive(tenantId: string, record: ResumableUploadRecord, lockId: string, chunkId: string, key: KeyHandle, source: Readable): Promise<{ record: ResumableUploadRecord; complete: boolean }> {
    const body = receiveChunk(source, record.length - record.offset);
    let settle: () => void = () => undefined;
    this.inFlight.set(record.id, { stop: body.stop, settled: new Promise((resolve) => { settle = resolve; }) });
    try {
      let size: number;
      try {
        size = (await this.chunkStore.put(key, chunkId, body.stream)).size;
      } catch (error) {
        await this.abandonChunk(tenantId, record.id, lockId, chunkId);
        throw error instanceof ChunkOverflowError ? new ClarusError('CLARUS_ERR_UPLOAD_LENGTH_EXCEEDED') : error;
      }
      if (size === 0) {
        await this.abandonChunk(tenantId, record.id, lockId, chunkId);
        return { record: { ...record, lockId: null, lockedAt: null }, complete: body.complete() };
      }
      const now = this.ctx.clock();
      const appended = await this.ctx.uow.run(tenantId, async (tx) => {
        const updated = await uploads.appendChunk(tx, tenantId, record.id, lockId, { id: chunkId, size }, now, this.expiry(now));
        if (updated) await pendingObjectRepository.settle(tx, chunkId);
        return updated;
      });
      if (!appended) {
        // Terminated, or the lock went stale and another request took over: this chunk is not part of the upload.
        await this.abandonChunk(tenantId, record.id, lockId, chunkId);
        throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      }
      return { record: appended, complete: body.complete() };
    } finally {
      this.inFlight.delete(record.id);
      settle();
    }
  }

  /** Removes a chunk that will not be appended, then its announcement, and releases the lock if still ours. */
  private async abandonChunk(tenantId: string, id: string, lockId: string, chunkId: string): Promise<void> {
    await this.chunkStore.delete(chunkId).catch(() => false);
    await this.ctx.uow.run(tenantId, async (tx) => {
      await pendingObjectRepository.settle(tx, chunkId);
      await uploads.unlock(tx, tenantId, id, lockId, this.ctx.clock());
    });
  }

  /** Every byte is here: the chunks, decrypted in order, are one upload through the ingest pipeline. */
  private async finalize(principal: Principal, record: ResumableUploadRecord, lockId: string, origin: RequestOrigin): Promise<Omit<AppendResult, 'bodyComplete'>> {
    const { tenantId } = principal;
    const source = this.joined(tenantId, record.chunks);
    try {
      const outcome = await this.ingest.ingest(principal, {
        source, declaredSize: record.length, contentType: record.contentType, patientId: record.patientId, channel: 'upload', holdUnmatched: true,
      }, origin);
      await this.close(tenantId, record, lockId, { ...outcome });
      return { offset: record.length, expiresAt: record.expiresAt, outcome };
    } catch (error) {
      if (error instanceof ClarusError && error.status < 500) {
        // A refusal is final (infected files are already quarantined by the pipeline): keep only its code.
        await this.close(tenantId, record, lockId, { status: 'refused', code: error.code });
      } else {
        // Scanner or audit down, or a fault: the chunks stay, and an empty PATCH at the final offset retries.
        await this.ctx.uow.run(tenantId, (tx) => uploads.unlock(tx, tenantId, record.id, lockId, this.ctx.clock())).catch(() => undefined);
      }
      throw error;
    } finally {
      source.destroy();
    }
  }

  /**
   * The chunk objects as one plaintext stream, opened one at a time (constant memory); each opens with
   * the quarantine key its header names, so an upload survives a rotation of that key.
   */
  private joined(tenantId: string, chunks: ResumableUploadRecord['chunks']): Readable {
    const store = this.chunkStore;
    const lookup = tenantKeyLookup(this.ctx.uow, this.protection, tenantId, 'quarantine');
    return Readable.from((async function* () {
      for (const chunk of chunks) {
        for await (const bytes of await store.open(lookup, chunk.id)) yield bytes as Buffer;
      }
    })(), { objectMode: false });
  }

  /** Records the outcome and removes the chunks (announced again first, so a crash midway leaves them to the sweep). */
  private async close(tenantId: string, record: ResumableUploadRecord, lockId: string, outcome: ResumableOutcome): Promise<void> {
    const now = this.ctx.clock();
    const closed = await this.ctx.uow.run(tenantId, async (tx) => {
      if (!(await uploads.finish(tx, tenantId, record.id, lockId, outcome as unknown as Record<string, string>, now))) return false;
      for (const chunk of record.chunks) await pendingObjectRepository.announce(tx, chunk.id, tenantId, now);
      return true;
    });
    if (closed) await this.removeChunks(tenantId, record.chunks);
  }

  private async removeChunks(tenantId: string, chunks: ResumableUploadRecord['chunks']): Promise<void> {
    for (const chunk of chunks) await this.chunkStore.delete(chunk.id);
    await this.ctx.uow.run(tenantId, async (tx) => {
      for (const chunk of chunks) await pendingObjectRepository.settle(tx, chunk.id);
    });
  }

  /** tus termination extension (DELETE): the session and its chunks go; an ingest under way cannot be cancelled. */
  async terminate(principal: Principal, id: string): Promise<void> {
    const { tenantId } = principal;
    await this.own(principal, id);
    await this.interruptLocal(id);
    const now = this.ctx.clock();
    const chunks = await this.ctx.uow.run(tenantId, async (tx) => {
      const record = await uploads.find(tx, tenantId, principal.userId, id, true);
      if (!record) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
      if (record.state === 'finishing' && this.locked(record, now)) throw new ClarusError('CLARUS_ERR_UPLOAD_LOCKED');
      for (const chunk of record.chunks) await pendingObjectRepository.announce(tx, chunk.id, tenantId, now);
      await uploads.remove(tx, tenantId, id);
      return record.chunks;
    });
    await this.removeChunks(tenantId, chunks);
  }

  /**
   * Removes sessions past their expiry, with their chunks, in every tenant (the janitor calls it at
   * start and the server hourly). Sessions a live request holds are left for the next sweep.
   */
  async sweepExpired(): Promise<number> {
    const tenants = await this.ctx.uow.read(null, (tx) => tenantRepository.list(tx));
    let removed = 0;
    for (const tenant of tenants) {
      for (;;) {
        const now = this.ctx.clock();
        const batch = await this.ctx.uow.run(tenant.id, async (tx) => {
          const expired = await uploads.expired(tx, tenant.id, now, 100);
          const gone: ResumableUploadRecord[] = [];
          for (const record of expired) {
            if (this.locked(record, now)) continue;
            for (const chunk of record.chunks) await pendingObjectRepository.announce(tx, chunk.id, tenant.id, now);
            await uploads.remove(tx, tenant.id, record.id);
            gone.push(record);
          }
          return { seen: expired.length, gone };
        });
        for (const record of batch.gone) await this.removeChunks(tenant.id, record.chunks);
        removed += batch.gone.length;
        if (batch.seen < 100 || batch.gone.length === 0) break;
      }
    }
    return removed;
  }
}
