/**
 * Encrypted objects over a BlobStore: plaintext goes in and comes out as streams, and only ciphertext
 * in the object format of crypto/object-cipher.ts (docs/encryption.md, "Objects") reaches the store.
 * No plaintext is written to disk, not even to a temp file.
 */
import { createHash } from 'node:crypto';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import {
  createObjectDecryptStream, createObjectEncryptStream, decryptObjectRange, type KeyHandle, type KeyLookup, type ObjectEncryptOptions,
} from '../crypto/object-cipher.ts';
import type { BlobStore } from './blob-store.ts';

export interface StoredObject {
  /** Plaintext bytes. */
  size: number;
  /** Bytes in the store (header, segments and tags). */
  storedSize: number;
  /** SHA-256 of the plaintext, hex, computed in the same pass as the encryption. */
  sha256: string;
}

export class EncryptedBlobStore {
  constructor(private readonly store: BlobStore, private readonly options: Pick<ObjectEncryptOptions, 'segmentSize'> = {}) {}

  /** Encrypts `plaintext` under a key derived from `key` for this object, and stores it as `objectId`. */
  async put(key: KeyHandle, objectId: string, plaintext: Readable): Promise<StoredObject> {
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const encrypted = createObjectEncryptStream(key, objectId, this.options);
    // pipeline() destroys every stream with the first error, so a failing source fails the write
    // (which then leaves nothing behind); the store's own pipeline reports it.
    pipeline(plaintext, measure, encrypted, () => undefined);
    const storedSize = await this.store.write(objectId, encrypted);
    return { size, storedSize, sha256: hash.digest('hex') };
  }

  /** The plaintext of an object, as a stream that emits only verified segments. */
  async open(keyLookup: KeyLookup, objectId: string): Promise<Readable> {
    const stored = await this.store.createReadStream(objectId);
    return pipeline(stored, createObjectDecryptStream(keyLookup, objectId), () => undefined);
  }

  /** Plaintext bytes `start`..`endInclusive`, reading only the segments that hold them. */
  async readRange(keyLookup: KeyLookup, objectId: string, start: number, endInclusive: number): Promise<Buffer> {
    const size = await this.store.size(objectId);
    const source = { size, read: (offset: number, length: number) => this.store.readRange(objectId, offset, length) };
    return decryptObjectRange(source, keyLookup, objectId, start, endInclusive);
  }

  async delete(objectId: string): Promise<boolean> {
    return this.store.delete(objectId);
  }

  async exists(objectId: string): Promise<boolean> {
    return this.store.exists(objectId);
  }
}
