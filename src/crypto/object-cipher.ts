/**
 * Streaming, chunked AEAD for blobs (images, results, exports): the STREAM construction of Hoang,
 * Reyhanitabar, Rogaway and Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
 * Misuse-Resistance" (CRYPTO 2015, §7), over AES-256-GCM (NIST SP 800-38D). Each object has its own
 * key, HKDF-SHA256 (RFC 5869) of the patient's data key and a random salt in the header; each segment
 * has its own nonce (prefix | counter | last flag) and tag, and all segments share associated data
 * that binds them to the header and to the object id. Layout and reasoning: docs/encryption.md
 * ("Objects"); header and size arithmetic: object-format.ts.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { revealKey, type KeyHandle } from './keys/key-material.ts';
import {
  DEFAULT_SEGMENT_SIZE, MAX_HEADER_LENGTH, MAX_SEGMENTS, NONCE_PREFIX_LENGTH, ObjectIntegrityError, SALT_LENGTH, TAG_LENGTH,
  encodeObjectHeader, objectHeaderLength, plaintextSize, readObjectHeader, segmentCount, segmentNonce, type ObjectHeader,
} from './object-format.ts';

export { ObjectIntegrityError, plaintextSize, ciphertextSize, readObjectHeader, type ObjectHeader } from './object-format.ts';
/** Re-exported as a type only, so that storage/ can name handles without importing key material. */
export type { KeyHandle } from './keys/key-material.ts';

/** Finds the data key named in an object's header. The id is untrusted until a segment verifies. */
export type KeyLookup = (keyId: string) => Promise<KeyHandle>;

/** HKDF info of per-object keys (RFC 5869 §3.2: binds the derived key to its use). */
export const OBJECT_KEY_INFO = 'clarus/object/v1';

export interface ObjectEncryptOptions {
  /** Plaintext bytes per segment; 64 KiB by default. */
  segmentSize?: number;
  /**
   * Known-answer tests only: fixed salt and nonce prefix. Reusing them with the same key and object id
   * reuses GCM nonces, which is fatal; refused unless NODE_ENV is `test`.
   */
  unsafeFixedRandomness?: { salt: Buffer; noncePrefix: Buffer };
}

/** Per-object state: the derived key, the nonce prefix and the associated data of every segment. */
interface ObjectContext {
  /**
   * The object key as a KeyObject: createCipheriv with a Buffer key builds a KeyObject on every call
   * (about 12 µs, close to the cost of encrypting 64 KiB); with one built per object it is about 1 µs.
   */
  key: KeyObject;
  noncePrefix: Buffer;
  associatedData: Buffer;
}

function objectContext(handle: KeyHandle, header: ObjectHeader, objectId: string): ObjectContext {
  if (objectId.length === 0) throw new TypeError('an object id is required');
  const derived = Buffer.from(hkdfSync('sha256', revealKey(handle), header.salt, OBJECT_KEY_INFO, 32));
  const key = createSecretKey(derived);
  derived.fill(0); // the KeyObject holds its own copy, outside the JS heap, freed with it
  // The header is self-delimiting, so header || id is an unambiguous encoding of the pair.
  const associatedData = createHash('sha256').update(header.bytes).update(objectId, 'utf8').digest();
  return { key, noncePrefix: header.noncePrefix, associatedData };
}

function sealSegment(context: ObjectContext, index: number, final: boolean, plaintext: Buffer): [Buffer, Buffer] {
  const cipher = createCipheriv('aes-256-gcm', context.key, segmentNonce(context.noncePrefix, index, final), { authTagLength: TAG_LENGTH });
  cipher.setAAD(context.associatedData);
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/** The plaintext of a stored segment (ciphertext | tag), or undefined when it does not verify. */
function openSegment(context: ObjectContext, index: number, final: boolean, stored: Buffer): Buffer | undefined {
  if (stored.length < TAG_LENGTH) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', context.key, segmentNonce(context.noncePrefix, index, final), { authTagLength: TAG_LENGTH });
  decipher.setAAD(context.associatedData);
  decipher.setAuthTag(stored.subarray(stored.length - TAG_LENGTH));
  const plaintext = decipher.update(stored.subarray(0, stored.length - TAG_LENGTH));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return plaintext;
}

/**
 * Cuts a byte stream into records of `size` bytes, in one preallocated buffer. A full record is handed
 * out only once a byte after it has arrived, so that the last record is always the one `rest()` returns
 * at the end — the one that carries the last-segment flag. Records are views: use before the next feed.
 */
class RecordFramer {
  private readonly buffer: Buffer;
  private filled = 0;

  constructor(private readonly size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  feed(chunk: Buffer, onRecord: (record: Buffer) => void): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.filled === this.size) {
        onRecord(this.buffer);
        this.filled = 0;
      }
      if (this.filled === 0 && chunk.length - at > this.size) {
        // A whole record inside the chunk with more bytes behind it: use it in place, without copying.
        onRecord(chunk.subarray(at, at + this.size));
        at += this.size;
        continue;
      }
      const n = Math.min(this.size - this.filled, chunk.length - at);
      chunk.copy(this.buffer, this.filled, at, at + n);
      this.filled += n;
      at += n;
    }
  }

  rest(): Buffer {
    return this.buffer.subarray(0, this.filled);
  }
}

function fixedOrRandom(options: ObjectEncryptOptions): { salt: Buffer; noncePrefix: Buffer } {
  if (!options.unsafeFixedRandomness) return { salt: randomBytes(SALT_LENGTH), noncePrefix: randomBytes(NONCE_PREFIX_LENGTH) };
  if (process.env.NODE_ENV !== 'test') throw new Error('fixed salt and nonce prefix are for known-answer tests only');
  return options.unsafeFixedRandomness;
}

/**
 * Encrypts a stream of plaintext into an object: the header, then the segments. Memory stays at one
 * segment whatever the size; backpressure is that of the Transform.
 */
export function createObjectEncryptStream(key: KeyHandle, objectId: string, options: ObjectEncryptOptions = {}): Transform {
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const header = readObjectHeader(encodeObjectHeader({ segmentSize, keyId: key.id, ...fixedOrRandom(options) }));
  const context = objectContext(key, header, objectId);
  const framer = new RecordFramer(segmentSize);
  let index = 0;
  const emit = (stream: Transform, plaintext: Buffer, final: boolean) => {
    if (index >= MAX_SEGMENTS) throw new RangeError('object too large for the 32-bit segment counter');
    const [body, tag] = sealSegment(context, index, final, plaintext);
    index += 1;
    // One chunk per segment: copying 64 KiB costs less than a second, 16-byte chunk down the pipeline
    // (measured file → file: about a fifth faster; docs/benchmarks.md).
    stream.push(Buffer.concat([body, tag], body.length + tag.length));
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        framer.feed(chunk, (record) => emit(this, record, false));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        emit(this, framer.rest(), true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  stream.push(header.bytes);
  return stream;
}

/** Says why a stored segment did not verify, trying the other flag to tell a cut from a forgery. */
function segmentFailure(context: ObjectContext, index: number, storedAsFinal: boolean, stored: Buffer): ObjectIntegrityError {
  if (openSegment(context, index, !storedAsFinal, stored)) {
    return storedAsFinal
      ? new ObjectIntegrityError('truncated', `truncated: segment ${index} is not the final segment; the rest of the object is missing`, index)
      : new ObjectIntegrityError('trailing-data', `trailing data after the final segment ${index}`, index);
  }
  return new ObjectIntegrityError('bad-segment', `bad segment ${index}: it does not verify (tampered, moved, or wrong key or object id)`, index);
}

/**
 * Decrypts an object. It reads the header, asks `keyLookup` for the key it names, and emits each
 * segment's plaintext only after that segment's tag verified. Errors with ObjectIntegrityError on any
 * tampering, truncation, reordering, splicing or trailing data; with keyLookup's error if it fails.
 */
export function createObjectDecryptStream(keyLookup: KeyLookup, objectId: string): Transform {
  let pending = Buffer.alloc(0);
  let context: ObjectContext | undefined;
  let framer: RecordFramer | undefined;
  let index = 0;

  const consume = (stream: Transform, chunk: Buffer) => {
    if (!context || !framer) return;
    const ready = context;
    framer.feed(chunk, (stored) => {
      if (index >= MAX_SEGMENTS) throw new ObjectIntegrityError('bad-size', 'bad size: more segments than the format allows', index);
      const plaintext = openSegment(ready, index, false, stored);
      if (!plaintext) throw segmentFailure(ready, index, false, stored);
      index += 1;
      stream.push(plaintext);
    });
  };

  /** Collects the header (at most MAX_HEADER_LENGTH bytes); returns the bytes after it, once known. */
  const start = async (chunk: Buffer): Promise<Buffer | undefined> => {
    pending = Buffer.concat([pending, chunk.subarray(0, MAX_HEADER_LENGTH)]);
    const headerLength = objectHeaderLength(pending);
    if (headerLength === undefined || pending.length < headerLength) return undefined;
    const header = readObjectHeader(pending);
    const rest = Buffer.concat([pending.subarray(headerLength), chunk.subarray(MAX_HEADER_LENGTH)]);
    pending = Buffer.alloc(0);
    context = objectContext(await keyLookup(header.keyId), header, objectId);
    framer = new RecordFramer(header.segmentSize + TAG_LENGTH);
    return rest;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      if (context) {
        try {
          consume(this, chunk);
          callback();
        } catch (error) {
          callback(error as Error);
        }
        return;
      }
      start(chunk)
        .then((rest) => { if (rest) consume(this, rest); })
        .then(() => callback(), (error: unknown) => callback(error as Error));
    },
    flush(callback: TransformCallback) {
      try {
        if (!context || !framer) throw new ObjectIntegrityError('truncated', 'truncated: the header is incomplete');
        const stored = framer.rest();
        const plaintext = openSegment(context, index, true, stored);
        if (!plaintext) {
          throw stored.length === 0
            ? new ObjectIntegrityError('truncated', `truncated: segment ${index} is missing`, index)
            : segmentFailure(context, index, true, stored);
        }
        this.push(plaintext);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Random access to a stored object (a file, an S3 object). `read` may return fewer bytes only at the end. */
export interface RangeSource {
  size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

/** Segments fetched per read of a range (1 MiB at 64 KiB), to bound memory for any range size. */
const SEGMENTS_PER_READ = 16;

/**
 * Plaintext bytes `start`..`endInclusive` of an object, reading and verifying only the segments that
 * hold them (and the header). The object's final segment, when read, must carry the last flag, and the
 * stored size must be that of a whole object; a cut further on is only seen by reading further on.
 */
export async function decryptObjectRange(source: RangeSource, keyLookup: KeyLookup, objectId: string, start: number, endInclusive: number): Promise<Buffer> {
  const header = readObjectHeader(await source.read(0, Math.min(MAX_HEADER_LENGTH, source.size)));
  const { headerLength, segmentSize } = header;
  const total = plaintextSize(source.size, headerLength, segmentSize);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) || start < 0 || start > endInclusive || endInclusive >= total) {
    throw new RangeError(`range ${start}-${endInclusive} is outside the object's ${total} bytes`);
  }
  const context = objectContext(await keyLookup(header.keyId), header, objectId);
  const stored = segmentSize + TAG_LENGTH;
  const lastOfObject = segmentCount(total, segmentSize) - 1;
  const first = Math.floor(start / segmentSize);
  const last = Math.floor(endInclusive / segmentSize);
  const out = Buffer.allocUnsafe(endInclusive - start + 1);
  for (let batch = first; batch <= last; batch += SEGMENTS_PER_READ) {
    const batchEnd = Math.min(last, batch + SEGMENTS_PER_READ - 1);
    const offset = headerLength + batch * stored;
    const length = Math.min(source.size, headerLength + (batchEnd + 1) * stored) - offset;
    const bytes = await source.read(offset, length);
    if (bytes.length !== length) throw new ObjectIntegrityError('truncated', `truncated: segment ${batch} could not be read in full`, batch);
    for (let i = batch; i <= batchEnd; i += 1) {
      const segment = bytes.subarray((i - batch) * stored, Math.min(length, (i - batch + 1) * stored));
      const plaintext = openSegment(context, i, i === lastOfObject, segment);
      if (!plaintext) throw segmentFailure(context, i, i === lastOfObject, segment);
      const from = Math.max(start, i * segmentSize);
      const to = Math.min(endInclusive + 1, (i + 1) * segmentSize);
      plaintext.copy(out, from - start, from - i * segmentSize, to - i * segmentSize);
    }
  }
  return out;
}
