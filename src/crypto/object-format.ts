/**
 * The byte layout of Clarus encrypted objects (format version 1): the header, its parser, and the size
 * arithmetic that maps plaintext offsets to stored segments. Pure code: no keys, no I/O.
 * docs/encryption.md ("Objects") describes the format; object-cipher.ts does the cryptography.
 *
 * Header (all integers big-endian):
 *
 *   magic "CLRSOBJ" (7) | version (1) = 1 | segment size (u32) | key id length (u16) | key id (UTF-8)
 *   | salt (32) | nonce prefix (7)
 *
 * followed by the segments: each is the AES-256-GCM ciphertext of `segmentSize` plaintext bytes (the
 * final one may be shorter, and is empty only for an empty object) and its 16-byte tag.
 */

/** The 7 magic bytes that open every encrypted object. */
export const OBJECT_MAGIC = Buffer.from('CLRSOBJ', 'ascii');
/** The only format version this code writes and reads. */
export const OBJECT_FORMAT_VERSION = 1;
/** Plaintext bytes per segment by default: 64 KiB (DESIGN.md: the fastest chunk size for GCM here). */
export const DEFAULT_SEGMENT_SIZE = 64 * 1024;
/** Bounds of the segment size a header may declare; the upper one caps a reader's buffer. */
export const MIN_SEGMENT_SIZE = 16;
export const MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
/** Longest key id, in UTF-8 bytes, so that a header is never longer than MAX_HEADER_LENGTH. */
export const MAX_KEY_ID_BYTES = 200;
export const SALT_LENGTH = 32;
export const NONCE_PREFIX_LENGTH = 7;
export const TAG_LENGTH = 16;
/** GCM nonce: prefix (7) | segment counter (u32) | last-segment flag (1) = 96 bits (NIST SP 800-38D §8.2.1). */
export const NONCE_LENGTH = NONCE_PREFIX_LENGTH + 4 + 1;
/** The segment counter is 32 bits: an object holds at most 2^32 segments (256 TiB at 64 KiB). */
export const MAX_SEGMENTS = 2 ** 32;

const FIXED_PREFIX_LENGTH = OBJECT_MAGIC.length + 1 + 4 + 2;
/** Header length without the key id (53 bytes). */
export const HEADER_FIXED_LENGTH = FIXED_PREFIX_LENGTH + SALT_LENGTH + NONCE_PREFIX_LENGTH;
export const MAX_HEADER_LENGTH = HEADER_FIXED_LENGTH + MAX_KEY_ID_BYTES;

/** Why an encrypted object was refused. */
export type ObjectIntegrityReason =
  | 'bad-header'
  | 'unknown-version'
  | 'bad-segment'
  | 'truncated'
  | 'trailing-data'
  | 'bad-size';

/**
 * An encrypted object that is not what was written: tampered, truncated, reordered, spliced, opened
 * with the wrong key or under the wrong object id. The message says what and where, never key bytes.
 */
export class ObjectIntegrityError extends Error {
  override readonly name = 'ObjectIntegrityError';
  constructor(readonly reason: ObjectIntegrityReason, message: string, readonly segment?: number) {
    super(message);
  }
}

/** The decoded header of an encrypted object. */
export interface ObjectHeader {
  version: number;
  segmentSize: number;
  /** Id of the data key, e.g. `patient/<uuid>/1`: not secret; it tells the reader which key to fetch. */
  keyId: string;
  salt: Buffer;
  noncePrefix: Buffer;
  /** Bytes of the header; segments start at this offset. */
  headerLength: number;
  /** The header's exact bytes (they enter every segment's associated data). */
  bytes: Buffer;
}

function checkSegmentSize(segmentSize: number): void {
  if (!Number.isInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new RangeError(`segment size must be an integer from ${MIN_SEGMENT_SIZE} to ${MAX_SEGMENT_SIZE}`);
  }
}

/** Encodes a version-1 header. */
export function encodeObjectHeader(fields: { segmentSize: number; keyId: string; salt: Buffer; noncePrefix: Buffer }): Buffer {
  checkSegmentSize(fields.segmentSize);
  const keyId = Buffer.from(fields.keyId, 'utf8');
  if (keyId.length === 0 || keyId.length > MAX_KEY_ID_BYTES) throw new RangeError(`key id must be 1 to ${MAX_KEY_ID_BYTES} UTF-8 bytes`);
  if (fields.salt.length !== SALT_LENGTH) throw new RangeError(`salt must be ${SALT_LENGTH} bytes`);
  if (fields.noncePrefix.length !== NONCE_PREFIX_LENGTH) throw new RangeError(`nonce prefix must be ${NONCE_PREFIX_LENGTH} bytes`);
  const header = Buffer.alloc(HEADER_FIXED_LENGTH + keyId.length);
  let at = OBJECT_MAGIC.copy(header, 0);
  at = header.writeUInt8(OBJECT_FORMAT_VERSION, at);
  at = header.writeUInt32BE(fields.segmentSize, at);
  at = header.writeUInt16BE(keyId.length, at);
  at += keyId.copy(header, at);
  at += fields.salt.copy(header, at);
  fields.noncePrefix.copy(header, at);
  return header;
}

/**
 * How long the header that starts `prefix` is, once enough of it is known (its first 14 bytes), or
 * `undefined` while fewer bytes are known. Refuses a wrong magic, version or length as early as the
 * bytes that show it arrive, so that a reader never buffers more than MAX_HEADER_LENGTH bytes.
 */
export function objectHeaderLength(prefix: Buffer): number | undefined {
  const magicBytes = Math.min(prefix.length, OBJECT_MAGIC.length);
  if (!prefix.subarray(0, magicBytes).equals(OBJECT_MAGIC.subarray(0, magicBytes))) {
    throw new ObjectIntegrityError('bad-header', 'bad header: not a Clarus encrypted object');
  }
  if (prefix.length > OBJECT_MAGIC.length && prefix[OBJECT_MAGIC.length] !== OBJECT_FORMAT_VERSION) {
    throw new ObjectIntegrityError('unknown-version', `unknown format version ${String(prefix[OBJECT_MAGIC.length])}`);
  }
  if (prefix.length < FIXED_PREFIX_LENGTH) return undefined;
  const segmentSize = prefix.readUInt32BE(OBJECT_MAGIC.length + 1);
  if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new ObjectIntegrityError('bad-header', `bad header: segment size ${segmentSize} is out of bounds`);
  }
  const keyIdLength = prefix.readUInt16BE(OBJECT_MAGIC.length + 5);
  if (keyIdLength === 0 || keyIdLength > MAX_KEY_ID_BYTES) {
    throw new ObjectIntegrityError('bad-header', `bad header: key id length ${keyIdLength} is out of bounds`);
  }
  return HEADER_FIXED_LENGTH + keyIdLength;
}

/**
 * Decodes the header at the start of `bytes` (which may hold more than the header). Throws
 * ObjectIntegrityError for anything that is not a complete, well-formed version-1 header.
 */
export function readObjectHeader(bytes: Buffer): ObjectHeader {
  const headerLength = objectHeaderLength(bytes);
  if (headerLength === undefined || bytes.length < headerLength) {
    throw new ObjectIntegrityError('truncated', 'truncated: the header is incomplete');
  }
  const keyIdEnd = FIXED_PREFIX_LENGTH + (headerLength - HEADER_FIXED_LENGTH);
  const keyIdBytes = bytes.subarray(FIXED_PREFIX_LENGTH, keyIdEnd);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let decodedKeyId: string;
  try {
    decodedKeyId = decoder.decode(keyIdBytes);
  } catch {
    throw new ObjectIntegrityError('bad-header', 'bad header: the key id is not UTF-8');
  }
  const copy = Buffer.from(bytes.subarray(0, headerLength));
  return {
    version: OBJECT_FORMAT_VERSION,
    segmentSize: copy.readUInt32BE(OBJECT_MAGIC.length + 1),
    keyId: decodedKeyId,
    salt: copy.subarray(keyIdEnd, keyIdEnd + SALT_LENGTH),
    noncePrefix: copy.subarray(keyIdEnd + SALT_LENGTH, headerLength),
    headerLength,
    bytes: copy,
  };
}

/** Number of segments of an object of `plaintextBytes` (an empty object has one, empty, segment). */
export function segmentCount(plaintextBytes: number, segmentSize: number): number {
  return plaintextBytes === 0 ? 1 : Math.ceil(plaintextBytes / segmentSize);
}

/** Stored size of an object of `plaintextBytes`. */
export function ciphertextSize(plaintextBytes: number, headerLength: number, segmentSize: number): number {
  checkSegmentSize(segmentSize);
  return headerLength + plaintextBytes + segmentCount(plaintextBytes, segmentSize) * TAG_LENGTH;
}

/**
 * Plaintext size of a stored object of `ciphertextBytes`. Throws ObjectIntegrityError when no
 * plaintext size gives that stored size (a cut through a tag, or a final segment that is only a tag
 * behind full ones).
 */
export function plaintextSize(ciphertextBytes: number, headerLength: number, segmentSize: number): number {
  checkSegmentSize(segmentSize);
  const body = ciphertextBytes - headerLength;
  const stored = segmentSize + TAG_LENGTH;
  const segments = Math.ceil(body / stored);
  const last = body - (segments - 1) * stored;
  if (body < TAG_LENGTH || last < TAG_LENGTH || (last === TAG_LENGTH && segments > 1)) {
    throw new ObjectIntegrityError('bad-size', `truncated: ${ciphertextBytes} bytes is not the size of an encrypted object with this header`);
  }
  if (segments > MAX_SEGMENTS) throw new ObjectIntegrityError('bad-size', 'bad size: more segments than the format allows');
  return body - segments * TAG_LENGTH;
}

/** The 12-byte GCM nonce of segment `index`: prefix | counter (u32 BE) | 1 for the final segment, else 0. */
export function segmentNonce(noncePrefix: Buffer, index: number, final: boolean): Buffer {
  const nonce = Buffer.allocUnsafe(NONCE_LENGTH);
  noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
  nonce[NONCE_LENGTH - 1] = final ? 1 : 0;
  return nonce;
}
