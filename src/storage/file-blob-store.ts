/**
 * BlobStore on a local filesystem. Blobs live at `<root>/<first 2 hex of id>/<id>` (256 shard folders
 * keep directories small); only ids are ever joined into paths. A write goes to `<root>/.tmp/`, is
 * fsynced, then linked into place and the folder fsynced, so that after a crash a blob is either whole
 * or absent (the temp file is swept by sweepTemporary). Folders are 0700, files 0600.
 */
import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, open, opendir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobExistsError, BlobNotFoundError, assertBlobId, isBlobId, type BlobStore } from './blob-store.ts';

const TEMP_DIR = '.tmp';
const SHARD = /^[0-9a-f]{2}$/;
/** Temp files younger than this may belong to a write in progress in another process. */
const DEFAULT_SWEEP_AGE_MS = 60 * 60 * 1000;

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** fsync of a directory, so that a new or removed entry in it survives a crash (POSIX fsync(2)). */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FileBlobStore implements BlobStore {
  /**
   * Shard folders known to exist (created, or found, and fsynced into the root by this process): the
   * next write into one skips its mkdir(2), which otherwise fails with EEXIST on almost every write.
   * Shards are never removed while the store is open.
   */
  private readonly shards = new Set<string>();

  private constructor(private readonly root: string) {}

  /** Opens (creating if needed) a store at `root`, and tightens its folders to 0700. */
  static async open(root: string): Promise<FileBlobStore> {
    await mkdir(join(root, TEMP_DIR), { recursive: true, mode: 0o700 });
    await chmod(root, 0o700);
    await chmod(join(root, TEMP_DIR), 0o700);
    return new FileBlobStore(root);
  }

  private shardOf(id: string): string {
    assertBlobId(id);
    return join(this.root, id.slice(0, 2));
  }

  private pathOf(id: string): string {
    return join(this.shardOf(id), id);
  }

  async write(id: string, source: Readable): Promise<number> {
    try {
      const shard = this.shardOf(id);
      if (await this.exists(id)) throw new BlobExistsError(id);
      return await this.writeNew(id, shard, source);
    } finally {
      // Whatever happened, nothing keeps reading the source (a no-op once it has ended).
      source.destroy();
    }
  }

  private async writeNew(id: string, shard: string, source: Readable): Promise<number> {
    const temp = join(this.root, TEMP_DIR, `${id}.${randomUUID()}.tmp`);
    // `wx`: a fresh file, never one that is there already (nor a link planted in its place).
    const handle = await open(temp, 'wx', 0o600);
    // We fsync and close the handle ourselves; without emitClose, pipeline() settles on 'finish'.
    const sink = handle.createWriteStream({ autoClose: false, emitClose: false });
    try {
      await pipeline(source, sink);
      await handle.sync();
      if (!this.shards.has(shard)) {
        await mkdir(shard, { mode: 0o700 }).then(() => syncDirectory(this.root), (error: unknown) => {
          if (errorCode(error) !== 'EEXIST') throw error;
        });
        this.shards.add(shard);
      }
      // link(2) fails if the target exists, where rename(2) would silently replace it: the atomic,
      // no-overwrite publication that write-once blobs need (two writers of one id: one wins).
      await link(temp, join(shard, id)).catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT') this.shards.delete(shard); // removed behind our back: made again next time
        throw errorCode(error) === 'EEXIST' ? new BlobExistsError(id) : error;
      });
      await syncDirectory(shard);
      return sink.bytesWritten;
    } finally {
      sink.destroy(); // releases the stream's hold on the handle, which close() otherwise waits for
      await handle.close();
      await unlink(temp).catch(() => undefined);
    }
  }

  async createReadStream(id: string, range: { start?: number; end?: number } = {}): Promise<Readable> {
    const path = this.pathOf(id);
    // Opened here so that a missing blob rejects now rather than erroring a stream later.
    const handle = await open(path, 'r').catch((error: unknown) => {
      throw errorCode(error) === 'ENOENT' ? new BlobNotFoundError(id) : error;
    });
    return handle.createReadStream({ start: range.start, end: range.end, autoClose: true });
  }

  async readRange(id: string, offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new RangeError('offset and length must be non-negative integers');
    }
    const handle = await open(this.pathOf(id), 'r').catch((error: unknown) => {
      throw errorCode(error) === 'ENOENT' ? new BlobNotFoundError(id) : error;
    });
    try {
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async size(id: string): Promise<number> {
    const info = await stat(this.pathOf(id)).catch((error: unknown) => {
      throw errorCode(error) === 'ENOENT' ? new BlobNotFoundError(id) : error;
    });
    return info.size;
  }

  async exists(id: string): Promise<boolean> {
    try {
      await stat(this.pathOf(id));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /**
   * Removes the blob, and any temp file of an unfinished write of the same id (a crash mid-write
   * leaves one: the sweep of interrupted uploads deletes by id). Only call it for an id whose write is
   * over. False when there was nothing to remove.
   */
  async delete(id: string): Promise<boolean> {
    const removedTemp = await this.deleteTemporaryOf(id);
    try {
      await unlink(this.pathOf(id));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return removedTemp;
      throw error;
    }
    await syncDirectory(this.shardOf(id));
    return true;
  }

  private async deleteTemporaryOf(id: string): Promise<boolean> {
    assertBlobId(id);
    const dir = join(this.root, TEMP_DIR);
    let removed = false;
    for (const name of await readdir(dir)) {
      if (!name.startsWith(`${id}.`)) continue;
      await unlink(join(dir, name)).then(() => { removed = true; }, () => undefined);
    }
    return removed;
  }

  async *listIds(): AsyncIterable<string> {
    for (const shard of await readdir(this.root)) {
      if (!SHARD.test(shard)) continue;
      for await (const entry of await opendir(join(this.root, shard))) {
        if (entry.isFile() && isBlobId(entry.name) && entry.name.startsWith(shard)) yield entry.name;
      }
    }
  }

  /**
   * Removes temp files left by writes that never finished (a crash, a killed process). Files younger
   * than `olderThanMs` (default one hour) are kept: another process may still be writing them.
   * Resolves to the number removed.
   */
  async sweepTemporary(options: { olderThanMs?: number; now?: Date } = {}): Promise<number> {
    const olderThan = (options.now ?? new Date()).getTime() - (options.olderThanMs ?? DEFAULT_SWEEP_AGE_MS);
    const dir = join(this.root, TEMP_DIR);
    let removed = 0;
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile() || info.mtimeMs > olderThan) continue;
      await unlink(path).then(() => { removed += 1; }, () => undefined);
    }
    return removed;
  }
}
