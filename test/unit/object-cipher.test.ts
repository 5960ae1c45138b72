import assert from 'node:assert/strict';
import { createCipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { KeyHandle } from '../../src/crypto/keys/key-material.ts';
import {
  ObjectIntegrityError, createObjectDecryptStream, createObjectEncryptStream, decryptObjectRange, plaintextSize, readObjectHeader,
  type KeyLookup, type RangeSource,
} from '../../src/crypto/object-cipher.ts';
import { ciphertextSize } from '../../src/crypto/object-format.ts';

const keyBytes = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const keyId = 'patient/6f1d3c2a-8b4e-4f5a-9c7d-0e1f2a3b4c5d/1';
const key = new KeyHandle(keyId, keyBytes);
const objectA = '3b0c1f7e-2a4d-4c6b-8e9f-1a2b3c4d5e6f';
const objectB = '9d2e4f60-1b3c-4a5d-8e7f-0a1b2c3d4e5f';
/** Answers every id with `key`, so that tampering is caught by the format, not by the lookup. */
const lookup: KeyLookup = async () => key;

/** Splits a buffer into chunks of the given sizes (cycled), as a stream would deliver it. */
function chunked(data: Buffer, sizes: number[] = [data.length]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i += 1) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/**
 * Runs chunks through a transform; returns what it emitted (collected from its 'data' events as they
 * happen) and the error it ended with, if any.
 */
async function run(transform: Transform, chunks: Buffer[]): Promise<{ output: Buffer; error: unknown }> {
  const emitted: Buffer[] = [];
  let error: unknown;
  transform.on('data', (chunk: Buffer) => emitted.push(chunk));
  await pipeline(Readable.from(chunks), transform).catch((e: unknown) => { error = e; });
  return { output: Buffer.concat(emitted), error };
}

async function encrypt(plaintext: Buffer, options: { segmentSize?: number; objectId?: string; sizes?: number[]; with?: KeyHandle } = {}): Promise<Buffer> {
  const { output, error } = await run(
    createObjectEncryptStream(options.with ?? key, options.objectId ?? objectA, { segmentSize: options.segmentSize }),
    chunked(plaintext, options.sizes),
  );
  assert.equal(error, undefined);
  return output;
}

async function decrypt(stored: Buffer, options: { objectId?: string; sizes?: number[]; keys?: KeyLookup } = {}): Promise<{ output: Buffer; error: unknown }> {
  return run(createObjectDecryptStream(options.keys ?? lookup, options.objectId ?? objectA), chunked(stored, options.sizes));
}

/** Asserts the object is refused with ObjectIntegrityError (of `reason`, if given) and returns the error. */
async function assertRefused(stored: Buffer, reason?: string, options: { objectId?: string; keys?: KeyLookup } = {}): Promise<{ error: ObjectIntegrityError; output: Buffer }> {
  const { output, error } = await decrypt(stored, options);
  assert.ok(error instanceof ObjectIntegrityError, `expected ObjectIntegrityError, got ${String(error)}`);
  if (reason) assert.equal(error.reason, reason, error.message);
  return { error, output };
}

function flipBit(data: Buffer, index: number, bit = 0): Buffer {
  const copy = Buffer.from(data);
  copy[index] = (copy[index] as number) ^ (1 << bit);
  return copy;
}

describe('object format: known answer', () => {
  const salt = Buffer.alloc(32, 0xa5);
  const noncePrefix = Buffer.from('01020304050607', 'hex');
  const plaintext = Buffer.from('Clarus object format, known-answer test vector #1.', 'utf8'); // 50 bytes
  const expectedHeader = '434c52534f424a0100000020002e70617469656e742f36663164336332612d386234652d346635612d396337642d3065316632613362346335642f31'
    + 'a5'.repeat(32) + '01020304050607';
  const expectedSegment0 = 'fb74bd0fe801ac9ec8978b96c17f821acd990a4a4f00de3dbeeed6c5eb6a5d47e0faa35b0f2d82166d1a9feb72b6a68a';
  const expectedSegment1 = 'c1c9c5bae434e180b53adffc12f68682a27739d1417a752bb343217c313333581ac9';

  async function fixed(): Promise<Buffer> {
    const stream = createObjectEncryptStream(key, objectA, { segmentSize: 32, unsafeFixedRandomness: { salt, noncePrefix } });
    const { output, error } = await run(stream, [plaintext]);
    assert.equal(error, undefined);
    return output;
  }

  test('header and segments are exactly the recorded bytes', async () => {
    const stored = await fixed();
    assert.equal(stored.toString('hex'), expectedHeader + expectedSegment0 + expectedSegment1);
  });

  test('recomputed from the documented construction with raw node:crypto', async () => {
    const stored = await fixed();
    const id = Buffer.from(keyId, 'utf8');
    const u32 = Buffer.alloc(4);
    u32.writeUInt32BE(32);
    const u16 = Buffer.alloc(2);
    u16.writeUInt16BE(id.length);
    const header = Buffer.concat([Buffer.from('CLRSOBJ'), Buffer.from([1]), u32, u16, id, salt, noncePrefix]);
    assert.deepEqual(stored.subarray(0, header.length), header);
    const objectKey = Buffer.from(hkdfSync('sha256', keyBytes, salt, 'clarus/object/v1', 32));
    const associatedData = createHash('sha256').update(Buffer.concat([header, Buffer.from(objectA)])).digest();
    const seal = (index: number, last: boolean, part: Buffer) => {
      const nonce = Buffer.concat([noncePrefix, Buffer.from([0, 0, 0, index]), Buffer.from([last ? 1 : 0])]);
      const cipher = createCipheriv('aes-256-gcm', objectKey, nonce);
      cipher.setAAD(associatedData);
      return Buffer.concat([cipher.update(part), cipher.final(), cipher.getAuthTag()]);
    };
    const expected = Buffer.concat([header, seal(0, false, plaintext.subarray(0, 32)), seal(1, true, plaintext.subarray(32))]);
    assert.deepEqual(stored, expected);
    assert.deepEqual((await decrypt(stored)).output, plaintext);
  });

  test('fixed randomness is refused outside NODE_ENV=test', () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      assert.throws(() => createObjectEncryptStream(key, objectA, { unsafeFixedRandomness: { salt, noncePrefix } }), /known-answer tests only/);
    } finally {
      process.env.NODE_ENV = saved;
    }
  });
});

describe('object format: header', () => {
  test('readObjectHeader names the key, the segment size and the header length', async () => {
    const stored = await encrypt(Buffer.from('x'));
    const header = readObjectHeader(stored);
    assert.equal(header.keyId, keyId);
    assert.equal(header.segmentSize, 65536);
    assert.equal(header.headerLength, 53 + Buffer.byteLength(keyId));
    assert.equal(header.version, 1);
  });

  test('two encryptions of the same plaintext differ in salt, nonce prefix and ciphertext', async () => {
    const a = await encrypt(Buffer.from('same'));
    const b = await encrypt(Buffer.from('same'));
    assert.notDeepEqual(readObjectHeader(a).salt, readObjectHeader(b).salt);
    assert.notDeepEqual(readObjectHeader(a).noncePrefix, readObjectHeader(b).noncePrefix);
    assert.notDeepEqual(a.subarray(readObjectHeader(a).headerLength), b.subarray(readObjectHeader(b).headerLength));
  });

  test('key ids over 200 bytes and out-of-bounds segment sizes are refused when encrypting', () => {
    assert.throws(() => createObjectEncryptStream(new KeyHandle('k'.repeat(201), keyBytes), objectA), RangeError);
    assert.doesNotThrow(() => createObjectEncryptStream(new KeyHandle('k'.repeat(200), keyBytes), objectA));
    for (const segmentSize of [0, 15, 1.5, 16 * 1024 * 1024 + 1]) {
      assert.throws(() => createObjectEncryptStream(key, objectA, { segmentSize }), RangeError, String(segmentSize));
    }
  });

  test('an unknown version and a foreign file are refused with what they are', async () => {
    const stored = await encrypt(Buffer.from('hello'));
    const v2 = Buffer.from(stored);
    v2[7] = 2;
    const { error } = await assertRefused(v2, 'unknown-version');
    assert.match(error.message, /unknown format version 2/);
    await assertRefused(Buffer.from('%PDF-1.7 not an object at all'), 'bad-header');
    assert.throws(() => readObjectHeader(stored.subarray(0, 20)), (e) => e instanceof ObjectIntegrityError && e.reason === 'truncated');
  });
});

describe('object format: round trips', () => {
  const cases: Array<[string, number]> = [['0 bytes', 0], ['1 byte', 1], ['exactly 64 KiB', 65536], ['64 KiB + 1', 65537], ['3 segments and a bit', 3 * 65536 + 100]];
  for (const [name, length] of cases) {
    test(name, async () => {
      const plaintext = randomBytes(length);
      const stored = await encrypt(plaintext);
      const header = readObjectHeader(stored);
      assert.equal(stored.length, ciphertextSize(length, header.headerLength, 65536));
      assert.equal(plaintextSize(stored.length, header.headerLength, 65536), length);
      assert.deepEqual((await decrypt(stored)).output, plaintext);
    });
  }

  test('several MB with random chunk boundaries on both sides', async () => {
    const plaintext = randomBytes(5 * 1024 * 1024 + 12345);
    const sizes = Array.from({ length: 50 }, () => 1 + Math.floor(Math.random() * 200_000));
    const stored = await encrypt(plaintext, { sizes });
    const result = await decrypt(stored, { sizes: sizes.slice().reverse() });
    assert.equal(result.error, undefined);
    assert.ok(result.output.equals(plaintext));
  });

  test('property: any plaintext, segment size and chunking round-trips, and the size arithmetic holds', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 16, max: 600 }),
      fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 8 }),
      async (length, segmentSize, inSizes, outSizes) => {
        const plaintext = randomBytes(length);
        const stored = await encrypt(plaintext, { segmentSize, sizes: inSizes });
        const { headerLength } = readObjectHeader(stored);
        assert.equal(stored.length, ciphertextSize(length, headerLength, segmentSize));
        assert.equal(plaintextSize(stored.length, headerLength, segmentSize), length);
        const result = await decrypt(stored, { sizes: outSizes });
        assert.equal(result.error, undefined);
        assert.deepEqual(result.output, plaintext);
      },
    ), { numRuns: 150 });
  });

  test('plaintextSize refuses sizes no object can have', () => {
    // Header 99, segment 64: a whole object of 128 bytes is 99 + 2 × 80; a final segment must be > tag.
    assert.equal(plaintextSize(99 + 80 + 80, 99, 64), 128);
    assert.equal(plaintextSize(99 + 16, 99, 64), 0);
    for (const size of [99, 99 + 15, 99 + 80 + 16, 99 + 80 + 10]) {
      assert.throws(() => plaintextSize(size, 99, 64), ObjectIntegrityError, String(size));
    }
  });
});

describe('object format: tampering, truncation, reordering, splicing', () => {
  // 5 segments of 64 bytes: four full ones and a final one of 44 bytes; each stored as 80 / 60 bytes.
  const segmentSize = 64;
  const stored = 80;
  const plaintext = randomBytes(4 * 64 + 44);
  const objectOf = async (data = plaintext, objectId = objectA) => encrypt(data, { segmentSize, objectId });

  test('a flipped bit anywhere in the header is refused, before any plaintext', async () => {
    const object = await objectOf();
    const { headerLength } = readObjectHeader(object);
    for (let i = 0; i < headerLength; i += 1) {
      const { output } = await assertRefused(flipBit(object, i, i % 8));
      assert.equal(output.length, 0, `header byte ${i}`);
    }
    assert.deepEqual((await decrypt(object)).output, plaintext);
  });

  test('a flipped bit in a segment body or tag is refused, and that segment yields no plaintext', async () => {
    const object = await objectOf();
    const { headerLength } = readObjectHeader(object);
    for (const [where, index] of [['body of 2', headerLength + 2 * stored + 5], ['tag of 2', headerLength + 3 * stored - 1], ['final body', headerLength + 4 * stored], ['final tag', object.length - 1]] as const) {
      const { error, output } = await assertRefused(flipBit(object, index), 'bad-segment');
      const segment = where.includes('final') ? 4 : 2;
      assert.equal(error.segment, segment, where);
      assert.match(error.message, new RegExp(`bad segment ${segment}`));
      // Only the segments before the tampered one were emitted, and they are the true plaintext.
      assert.deepEqual(output, plaintext.subarray(0, segment * segmentSize), where);
    }
  });

  test('truncation at a segment boundary is refused as truncated', async () => {
    const object = await objectOf();
    const { headerLength } = readObjectHeader(object);
    for (const segments of [4, 2, 1]) {
      const { error } = await assertRefused(object.subarray(0, headerLength + segments * stored), 'truncated');
      assert.match(error.message, /truncated/);
    }
    await assertRefused(object.subarray(0, headerLength), 'truncated');
    await assertRefused(object.subarray(0, headerLength - 1), 'truncated');
    await assertRefused(Buffer.alloc(0), 'truncated');
  });

  test('truncation inside a segment or its tag is refused', async () => {
    const object = await objectOf();
    const { headerLength } = readObjectHeader(object);
    for (const cut of [headerLength + 2 * stored + 30, headerLength + 2 * stored + 70, object.length - 1, headerLength + 5]) {
      await assertRefused(object.subarray(0, cut));
    }
  });

  test('the last segment dropped, when all segments are full, is refused', async () => {
    const full = randomBytes(4 * 64);
    const object = await objectOf(full);
    await assertRefused(object.subarray(0, object.length - stored), 'truncated');
  });

  test('reordered segments are refused', async () => {
    const object = await objectOf();
    const { headerLength } = readObjectHeader(object);
    const segment = (i: number) => object.subarray(headerLength + i * stored, headerLength + (i + 1) * stored);
    const swapped = Buffer.concat([object.subarray(0, headerLength), segment(0), segment(2), segment(1), segment(3), object.subarray(headerLength + 4 * stored)]);
    const { error, output } = await assertRefused(swapped, 'bad-segment');
    assert.equal(error.segment, 1);
    assert.deepEqual(output, plaintext.subarray(0, 64));
  });

  test('trailing bytes after the final segment are refused', async () => {
    const object = await objectOf();
    await assertRefused(Buffer.concat([object, Buffer.from([0])]));
    await assertRefused(Buffer.concat([object, randomBytes(200)]));
    // When the final segment is full, the framing shows exactly what happened.
    const full = await objectOf(randomBytes(4 * 64));
    const { error } = await assertRefused(Buffer.concat([full, Buffer.from('x')]), 'trailing-data');
    assert.match(error.message, /trailing data/);
  });

  test('object A read as object B, a segment spliced from B, or B\'s header on A: refused', async () => {
    const a = await objectOf(plaintext, objectA);
    const b = await objectOf(randomBytes(plaintext.length), objectB);
    await assertRefused(a, 'bad-segment', { objectId: objectB });
    const h = readObjectHeader(a).headerLength;
    const spliced = Buffer.concat([a.subarray(0, h + stored), b.subarray(h + stored, h + 2 * stored), a.subarray(h + 2 * stored)]);
    await assertRefused(spliced, 'bad-segment');
    await assertRefused(Buffer.concat([b.subarray(0, h), a.subarray(h)]), 'bad-segment');
  });

  test('a wrong key is refused, and no error message carries key bytes', async () => {
    const object = await objectOf();
    const wrong = new KeyHandle(keyId, Buffer.from(keyBytes).reverse());
    const { error, output } = await assertRefused(object, 'bad-segment', { keys: async () => wrong });
    assert.equal(output.length, 0);
    for (const message of [error.message, String(error.stack)]) {
      assert.equal(message.includes(keyBytes.toString('hex')), false);
      assert.equal(message.includes(keyBytes.toString('base64')), false);
    }
  });

  test('the key lookup gets the id from the header, and its failure is passed on', async () => {
    const object = await objectOf();
    const asked: string[] = [];
    const missing = new Error('no such key');
    const { error } = await decrypt(object, { keys: async (id) => { asked.push(id); throw missing; } });
    assert.equal(error, missing);
    assert.deepEqual(asked, [keyId]);
  });
});

describe('object format: byte ranges', () => {
  const segmentSize = 4096;
  const plaintext = randomBytes(300 * 1024 + 777);
  let object: Buffer;

  /** A RangeSource over a buffer that records every read. */
  function source(data: Buffer): RangeSource & { reads: Array<[number, number]> } {
    const reads: Array<[number, number]> = [];
    return { size: data.length, reads, read: async (offset, length) => { reads.push([offset, length]); return data.subarray(offset, offset + length); } };
  }

  test('random ranges equal the same slice of the plaintext, reading only the segments that hold them', async () => {
    object = await encrypt(plaintext, { segmentSize });
    const { headerLength } = readObjectHeader(object);
    const stored = segmentSize + 16;
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: plaintext.length - 1 }), fc.integer({ min: 0, max: plaintext.length - 1 }),
      async (a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const src = source(object);
        const bytes = await decryptObjectRange(src, lookup, objectA, start, end);
        assert.deepEqual(bytes, plaintext.subarray(start, end + 1));
        const first = Math.floor(start / segmentSize);
        const last = Math.floor(end / segmentSize);
        const [headerRead, ...segmentReads] = src.reads;
        assert.equal(headerRead?.[0], 0);
        assert.ok((headerRead?.[1] ?? Infinity) <= 253);
        for (const [offset, length] of segmentReads) {
          assert.ok(offset >= headerLength + first * stored && offset + length <= headerLength + (last + 1) * stored, `read ${offset}+${length}`);
        }
        const segmentBytes = segmentReads.reduce((sum, [, length]) => sum + length, 0);
        assert.equal(segmentBytes, Math.min(object.length, headerLength + (last + 1) * stored) - (headerLength + first * stored));
      },
    ), { numRuns: 200 });
  });

  test('a one-byte range in a big object reads one segment', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const stored = await encrypt(big);
    const src = source(stored);
    const at = 2 * 1024 * 1024 + 5;
    assert.deepEqual(await decryptObjectRange(src, lookup, objectA, at, at), big.subarray(at, at + 1));
    assert.equal(src.reads.length, 2);
    assert.equal(src.reads[1]?.[1], 65536 + 16);
  });

  test('a range in a tampered segment, in a cut object, or under another id is refused; outside the object it is a RangeError', async () => {
    object = await encrypt(plaintext, { segmentSize });
    const { headerLength } = readObjectHeader(object);
    const tampered = flipBit(object, headerLength + 3 * (segmentSize + 16) + 10);
    await assert.rejects(decryptObjectRange(source(tampered), lookup, objectA, 3 * segmentSize, 3 * segmentSize + 9), ObjectIntegrityError);
    // Cut at a segment boundary: the segment that is now last lacks the final flag.
    const cut = object.subarray(0, headerLength + 10 * (segmentSize + 16));
    await assert.rejects(decryptObjectRange(source(cut), lookup, objectA, 10 * segmentSize - 5, 10 * segmentSize - 1), (e) => e instanceof ObjectIntegrityError && e.reason === 'truncated');
    // Cut inside the final segment: a range that reaches it is refused (earlier segments are still whole).
    const short = object.subarray(0, object.length - 3);
    await assert.rejects(decryptObjectRange(source(short), lookup, objectA, plaintext.length - 10, plaintext.length - 4), ObjectIntegrityError);
    await assert.rejects(decryptObjectRange(source(object), lookup, objectB, 0, 10), ObjectIntegrityError);
    await assert.rejects(decryptObjectRange(source(object), lookup, objectA, 0, plaintext.length), RangeError);
    await assert.rejects(decryptObjectRange(source(object), lookup, objectA, 5, 4), RangeError);
  });
});

describe('object format: constant memory', () => {
  test('the encryption respects backpressure: a consumer that does not read stops the source', async () => {
    let pulled = 0;
    const source = Readable.from((function* () {
      for (let i = 0; i < 256; i += 1) {
        pulled += 65536;
        yield Buffer.alloc(65536, i);
      }
    })());
    const encryption = createObjectEncryptStream(key, objectA);
    source.pipe(encryption);
    await once(source, 'pause'); // pipe() pauses the source when encryption.write() returns false
    const atPause = pulled;
    // The source's own read-ahead is at most 16 chunks (Readable.from's high-water mark).
    assert.ok(atPause <= 17 * 65536, `pulled ${atPause} bytes before pausing`);
    await new Promise<void>((resolve) => setImmediate(resolve));
    // While nobody reads, the source stays paused and the encryption holds about one segment each side.
    assert.ok(pulled <= 17 * 65536, `pulled ${pulled} bytes while paused`);
    assert.ok(encryption.readableLength <= 2 * (65536 + 16) + 256, `readable side holds ${encryption.readableLength}`);
    assert.ok(encryption.writableLength <= 2 * 65536, `writable side holds ${encryption.writableLength}`);
    // Then reading drains the whole object.
    const { output, error } = await run(createObjectDecryptStream(lookup, objectA), await encryption.toArray() as Buffer[]);
    assert.equal(error, undefined);
    assert.equal(output.length, 256 * 65536);
  });

  test('200 MB from a generated source through encrypt → decrypt: same hash, RSS growth < 64 MB', async (t) => {
    // V8 lets up to 64 MB of dead ArrayBuffers (each segment's cipher output) pile up before it collects
    // them; collecting every 16 MB makes the peak measure what the streams hold, not the GC's slack.
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const total = 200 * 1024 * 1024;
    const pool = randomBytes(1024 * 1024 + 256 * 1024);
    const inputHash = createHash('sha256');
    const outputHash = createHash('sha256');
    collectGarbage();
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    let outputBytes = 0;
    async function* generate(): AsyncGenerator<Buffer> {
      let sent = 0;
      let collectedAt = 0;
      for (let i = 0; sent < total; i += 1) {
        // Chunk sizes from 1 byte to 192 KiB, so segment boundaries fall anywhere in a chunk.
        const size = Math.min(total - sent, i % 97 === 0 ? 1 + (i % 13) : 4096 + ((i * 7919) % (192 * 1024)));
        const offset = (i * 104_729) % (pool.length - size);
        const chunk = pool.subarray(offset, offset + size);
        inputHash.update(chunk);
        sent += size;
        peak = Math.max(peak, process.memoryUsage.rss());
        if (sent - collectedAt > 16 * 1024 * 1024) {
          collectGarbage();
          collectedAt = sent;
        }
        yield chunk;
      }
    }
    const started = performance.now();
    await pipeline(
      Readable.from(generate()),
      createObjectEncryptStream(key, objectA),
      createObjectDecryptStream(lookup, objectA),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          outputHash.update(chunk);
          outputBytes += chunk.length;
        }
      },
    );
    const seconds = (performance.now() - started) / 1000;
    assert.equal(outputBytes, total);
    assert.equal(outputHash.digest('hex'), inputHash.digest('hex'));
    const growth = (peak - baseline) / (1024 * 1024);
    // Time is reported, not asserted: on a shared machine it says more about the neighbours.
    t.diagnostic(`${seconds.toFixed(2)} s, RSS growth ${growth.toFixed(1)} MB`);
    assert.ok(growth < 64, `RSS grew ${growth.toFixed(1)} MB`);
  });
});
