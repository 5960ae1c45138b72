import { Readable } from 'node:stream';
import type { KeyHandle } from '../../crypto/keys/key-material.ts';
import { IngestRefusal } from '../../ingest/ingest-errors.ts';
import type { EncryptedBlobStore } from '../../storage/encrypted-blob-store.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { readExactly } from '../read-exactly.ts';

/** Uploads up to this size are held in memory while they are received and scanned. */
export const INLINE_STAGING_MAX = 1024 * 1024;
/** Memory is taken from the budget in steps of this size as the bytes arrive. */
const STEP = 256 * 1024;

export interface StagingDeps {
  /** Announces the staging object (ING-7) and returns the tenant's quarantine key, in one transaction. */
  announce: () => Promise<KeyHandle>;
  /** Removes a written staging object and its announcement. */
  discard: () => Promise<void>;
  store: EncryptedBlobStore;
  memory: MemoryBudget;
}

/** The staged object is what was received, or the upload is refused (never padded, never cut). */
export function readStaged(stream: Readable, size: number): Promise<Buffer> {
  return readExactly(stream, size, (found) => found === 'longer'
    ? new IngestRefusal('MALFORMED', 'the staged object is longer than what was received')
    : new IngestRefusal('TRUNCATED', 'the staged object is shorter than what was received'));
}

/**
 * Where an upload waits while it is counted, hashed and scanned (ING-3), before anyone knows whether
 * it is clean or whose it is.
 *
 * A large upload streams into a staging object sealed under the tenant's quarantine key: memory stays
 * flat however large the file. A small one (up to INLINE_STAGING_MAX, when the memory budget has
 * room) is held in memory instead: for a 40 kB CT image, the staging object cost more than everything
 * else together — an announcement and a settlement transaction, a file sealed, fsynced, linked,
 * read back, decrypted and deleted, two directory fsyncs — only to be read back whole for validation
 * a moment later. Nothing of it reaches the disk in plaintext either way, and nothing is left by a
 * crash (there is nothing on disk to sweep). Whenever the upload must outlive the request — infected
 * (the quarantined copy) or parked for reconciliation — `persist()` writes the very bytes received
 * as the staging object, as the streamed path would have.
 */
export class UploadStaging {
  private chunks: Buffer[] | undefined;
  private size = 0;
  private releases: (() => void)[] = [];
  private key: KeyHandle | undefined;
  private persisted: Promise<void> | undefined;

  constructor(readonly id: string, private readonly deps: StagingDeps, private readonly inlineMax = INLINE_STAGING_MAX) {}

  /** The sink of stageUpload: holds the plaintext, or streams it into the staging object. */
  async receive(plaintext: Readable): Promise<void> {
    const iterator = (plaintext as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    let size = 0;
    let reserved = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        this.chunks = chunks;
        this.size = size;
        return;
      }
      chunks.push(next.value);
      size += next.value.length;
      // Twice the bytes: validation works on one contiguous copy while the chunks stay as received.
      while (2 * size > reserved && size <= this.inlineMax) {
        const release = this.deps.memory.tryAcquire(2 * STEP);
        if (!release) break;
        this.releases.push(release);
        reserved += 2 * STEP;
      }
      if (size > this.inlineMax || 2 * size > reserved) {
        // Too large to hold, or the budget is spoken for: what arrived so far, then the rest, into the staging object.
        this.releaseMemory();
        const rest = async function* (): AsyncGenerator<Buffer> {
          try {
            yield* chunks.splice(0);
            for (let more = await iterator.next(); !more.done; more = await iterator.next()) yield more.value;
          } finally {
            await iterator.return?.(); // a failed write stops reading the upload
          }
        };
        await this.writeObject(Readable.from(rest(), { objectMode: false }));
        return;
      }
    }
  }

  /**
   * The received bytes as one buffer that the caller may change (validation zeroes a DICOM preamble
   * in place); a staged object is read back within the memory budget. `release` gives the memory back.
   */
  async read(expectedSize: number): Promise<{ bytes: Buffer; release: () => void }> {
    if (this.chunks) {
      if (this.size !== expectedSize) throw new IngestRefusal('TRUNCATED', 'the upload is not the size that was counted');
      return { bytes: Buffer.concat(this.chunks, this.size), release: () => undefined };
    }
    const key = this.key;
    if (!key) throw new Error('nothing was staged');
    const release = await this.deps.memory.acquire(expectedSize);
    try {
      return { bytes: await readStaged(await this.deps.store.open(() => Promise.resolve(key), this.id), expectedSize), release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** True when the upload went to the staging object (too large to hold, or no room in the budget). */
  get staged(): boolean {
    return this.chunks === undefined && this.key !== undefined;
  }

  /**
   * The staging object's plaintext as a stream (large DICOM is validated and stored from it without
   * being held whole: streamed-dicom.ts). Each call reads it afresh.
   */
  open(): Promise<Readable> {
    const key = this.key;
    if (!key) return Promise.reject(new Error('nothing was staged'));
    return this.deps.store.open(() => Promise.resolve(key), this.id);
  }

  /** Makes sure the upload, as received, is the staging object `id` (announced, sealed under the quarantine key). */
  async persist(): Promise<void> {
    const chunks = this.chunks;
    if (!chunks) return;
    this.persisted ??= this.writeObject(Readable.from(chunks, { objectMode: false }));
    await this.persisted;
  }

  /** Removes the staging object if one was written, and gives back any memory held. */
  async discard(): Promise<void> {
    this.chunks = undefined;
    this.releaseMemory();
    if (this.key) await this.deps.discard();
  }

  /** Drops the in-memory copy (after the object was kept as the quarantined or parked copy). */
  keep(): void {
    this.chunks = undefined;
    this.releaseMemory();
  }

  private async writeObject(plaintext: Readable): Promise<void> {
    // Announced before it is written (ING-7), so that a crash in between leaves a row for the sweep.
    this.key = await this.deps.announce();
    await this.deps.store.put(this.key, this.id, plaintext);
  }

  private releaseMemory(): void {
    for (const release of this.releases.splice(0)) release();
  }
}
