/**
 * Where object bytes live: a store of opaque blobs addressed only by a random id (a UUID), never by a
 * name that came from a user (ING-5). The filesystem store implements it today; S3 can later.
 * Blobs hold ciphertext only: encrypted-blob-store.ts encrypts before anything reaches a store.
 */
import type { Readable } from 'node:stream';

/** Canonical, lower-case UUID: the only id form a store accepts, so one object has one name. */
const BLOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Throws unless `id` is a canonical UUID (path separators, dots and the like never pass). */
export function assertBlobId(id: string): void {
  if (!BLOB_ID.test(id)) throw new InvalidBlobIdError();
}

export function isBlobId(id: string): boolean {
  return BLOB_ID.test(id);
}

/** An id that is not a canonical UUID; the message does not echo it (it may come from a request). */
export class InvalidBlobIdError extends Error {
  override readonly name = 'InvalidBlobIdError';
  constructor() {
    super('a blob id must be a lower-case UUID');
  }
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(readonly id: string) {
    super(`blob ${id} does not exist`);
  }
}

/** Blobs are written once: a second write of an id is refused rather than replacing the first. */
export class BlobExistsError extends Error {
  override readonly name = 'BlobExistsError';
  constructor(readonly id: string) {
    super(`blob ${id} already exists`);
  }
}

export interface BlobStore {
  /**
   * Stores everything `source` yields under `id`, all or nothing: the blob appears only once it is
   * complete and durable. Resolves to the number of bytes stored; BlobExistsError if `id` is taken.
   */
  write(id: string, source: Readable): Promise<number>;
  /** Streams the blob, or bytes `start`..`end` (inclusive) of it. BlobNotFoundError if missing. */
  createReadStream(id: string, range?: { start?: number; end?: number }): Promise<Readable>;
  /** Up to `length` bytes from `offset` (fewer only at the end of the blob). */
  readRange(id: string, offset: number, length: number): Promise<Buffer>;
  size(id: string): Promise<number>;
  exists(id: string): Promise<boolean>;
  /** Removes the blob; false if it did not exist. */
  delete(id: string): Promise<boolean>;
  /** Every stored id, in no particular order (orphan sweeps, backups). */
  listIds(): AsyncIterable<string>;
}
