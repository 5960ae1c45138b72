import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { validateDicomStream, type DicomStreamOptions, type DicomStreamResult } from '../../src/ingest/dicom-stream-validate.ts';
import { validateDicom } from '../../src/ingest/dicom-validate.ts';
import type { IngestRefusalCode, IngestResult } from '../../src/ingest/ingest-errors.ts';
import { filesUnder, pydicomFiles } from '../fixtures/ingest/pydicom-files.ts';
import { dicomInstance, element, item, sequence, UNDEFINED } from '../fixtures/ingest/builders.ts';

const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** The bytes in chunks of pseudo-random sizes (1 … max), as a decrypting stream would hand them over. */
async function* chunked(bytes: Buffer, max: number, seed = 7): AsyncGenerator<Buffer> {
  let state = seed;
  for (let offset = 0; offset < bytes.length;) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (state % max);
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

function codeOf(result: DicomStreamResult | IngestResult<unknown>): IngestRefusalCode | 'accepted' | 'unstreamable' {
  if (result.ok) return 'accepted';
  return result.refusal === undefined ? 'unstreamable' : result.refusal.code;
}

/** Streams `bytes` with a small first prefix, so that even small files take the streaming walk. */
function stream(bytes: Buffer, options: DicomStreamOptions = {}, max = 3000): Promise<DicomStreamResult> {
  return validateDicomStream(chunked(bytes, max), bytes.length, { firstPrefixBytes: 256, ...options });
}

/** Encapsulated Pixel Data (PS3.5 §A.4): an empty Basic Offset Table, then one fragment per buffer. */
function encapsulated(fragments: Buffer[], { delimiter = true } = {}): Buffer {
  const parts = [element(0x7fe00010, 'OB', Buffer.alloc(0), UNDEFINED), item(Buffer.alloc(0)), ...fragments.map((f) => item(f))];
  if (delimiter) parts.push(Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]));
  return Buffer.concat(parts);
}

/** A JPEG Baseline instance whose pixel data is `pixelData` (already encoded), followed by `after`. */
function encapsulatedInstance(pixelData: Buffer, after: Buffer = Buffer.alloc(0), frames = 1): Buffer {
  const plain = dicomInstance({ transferSyntax: JPEG_BASELINE, rows: 4, columns: 4, frames, pixelBytes: 0 });
  // Replace the (empty) native Pixel Data element the builder wrote (12 bytes of header) by ours.
  return Buffer.concat([plain.subarray(0, plain.length - 12), pixelData, after]);
}

describe('validateDicomStream agrees with validateDicom', () => {
  test('on every file of the pydicom test data, in uneven chunks (deflated ones are handed back)', async (t) => {
    const files = filesUnder(pydicomFiles).map((path) => relative(pydicomFiles, path)).sort();
    const outcomes = new Map<string, number>();
    for (const name of files) {
      const bytes = readFileSync(join(pydicomFiles, name));
      const whole = validateDicom(bytes);
      const streamed = await stream(bytes);
      const code = codeOf(streamed);
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      if (code === 'unstreamable') {
        // Only the Deflated transfer syntax (PS3.5 §A.5) cannot be read from a prefix.
        assert.ok(bytes.subarray(0, 1024).includes('1.2.840.10008.1.2.1.99'), name);
        continue;
      }
      assert.equal(code, codeOf(whole), name);
      if (streamed.ok && whole.ok) assert.deepEqual(streamed.value, whole.value, name);
    }
    t.diagnostic(JSON.stringify(Object.fromEntries(outcomes)));
  });

  test('a native instance is accepted with the same summary, whatever the chunking and first prefix', async () => {
    const bytes = dicomInstance({ rows: 64, columns: 64, frames: 3 });
    for (const [first, max] of [[256, 1], [256, 7], [64 * 1024, 65536], [300, 100_000]] as const) {
      const result = await validateDicomStream(chunked(bytes, max), bytes.length, { firstPrefixBytes: first });
      assert.deepEqual(result, validateDicom(bytes), `${first}/${max}`);
    }
  });
});

describe('validateDicomStream refusals', () => {
  const native = dicomInstance({ rows: 64, columns: 64 });

  test('cut inside the pixel data, inside the header, or inside the meta information: TRUNCATED', async () => {
    for (const cut of [native.length - 1, native.length - 4000, 600, 300, 140]) {
      assert.equal(codeOf(await stream(native.subarray(0, cut))), 'TRUNCATED', `cut at ${cut}`);
    }
  });

  test('a pixel data length larger than the file is TRUNCATED, without reading the pixels', async () => {
    const lying = Buffer.from(native);
    const at = lying.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
    lying.writeUInt32LE(0x7ffffff0, at + 8);
    assert.equal(codeOf(await stream(lying)), 'TRUNCATED');
  });

  test('native pixel data shorter than rows × columns is TRUNCATED, never padded', async () => {
    assert.equal(codeOf(await stream(dicomInstance({ rows: 64, columns: 64, pixelBytes: 64 * 63 }))), 'TRUNCATED');
  });

  test('a stream shorter than the size it was announced with is TRUNCATED', async () => {
    assert.equal(codeOf(await validateDicomStream(chunked(native.subarray(0, native.length - 10), 500), native.length, { firstPrefixBytes: 256 })), 'TRUNCATED');
  });

  test('encapsulated pixel data: fragments walked; cut inside a fragment, a lying fragment length, or no delimiter: TRUNCATED', async () => {
    const fragments = [Buffer.alloc(3000, 1), Buffer.alloc(5000, 2), Buffer.alloc(1000, 3)];
    const good = encapsulatedInstance(encapsulated(fragments), Buffer.alloc(0), 3);
    assert.equal(codeOf(validateDicom(good)), 'accepted');
    assert.deepEqual(await stream(good), validateDicom(good));
    assert.equal(codeOf(await stream(good.subarray(0, good.length - 3000))), 'TRUNCATED');
    assert.equal(codeOf(await stream(encapsulatedInstance(encapsulated(fragments, { delimiter: false })))), 'TRUNCATED');
    const lying = Buffer.from(good);
    lying.writeUInt32LE(0x7000_0000, lying.indexOf(Buffer.alloc(3000, 1)) - 4);
    assert.equal(codeOf(await stream(lying)), 'TRUNCATED');
    assert.equal(codeOf(await stream(encapsulatedInstance(encapsulated([])))), 'TRUNCATED');
    assert.equal(codeOf(validateDicom(encapsulatedInstance(encapsulated([])))), 'TRUNCATED');
  });

  test('encapsulated pixel data under a native transfer syntax, or native under an encapsulated one: MALFORMED, as whole', async () => {
    const plain = dicomInstance({ rows: 4, columns: 4, pixelBytes: 0 });
    const wrong = Buffer.concat([plain.subarray(0, plain.length - 12), encapsulated([Buffer.alloc(16)])]);
    assert.equal(codeOf(validateDicom(wrong)), 'MALFORMED');
    assert.equal(codeOf(await stream(wrong)), 'MALFORMED');
    const nativeUnderJpeg = dicomInstance({ transferSyntax: JPEG_BASELINE, rows: 4, columns: 4 });
    assert.equal(codeOf(await stream(nativeUnderJpeg)), codeOf(validateDicom(nativeUnderJpeg)));
  });

  test('elements after pixel data: padding skipped, a signatures sequence parsed, a cut or out-of-order element refused', async () => {
    const padding = element(0xfffcfffc, 'OB', Buffer.alloc(4096));
    const signatures = sequence(0xfffafffa, [item(element(0x04000005, 'US', 2))]);
    for (const after of [padding, Buffer.concat([signatures, padding]), sequence(0xfffafffa, [item(element(0x04000005, 'US', 2))], true)]) {
      const bytes = Buffer.concat([native, after]);
      assert.equal(codeOf(validateDicom(bytes)), 'accepted');
      assert.deepEqual(await stream(bytes), validateDicom(bytes));
    }
    const cut = Buffer.concat([native, padding]).subarray(0, native.length + 2000);
    assert.equal(codeOf(await stream(cut)), 'TRUNCATED');
    assert.equal(codeOf(await stream(Buffer.concat([native, Buffer.from([0xfc, 0xff])]))), 'TRUNCATED');
    // A Patient ID after the pixels (PS3.5 §7.1 requires ascending tags) would be read by a whole-file parser only.
    assert.equal(codeOf(await stream(Buffer.concat([native, element(0x00100020, 'LO', 'OTHER')]))), 'MALFORMED');
    const deep = Buffer.concat([native, sequence(0xfffafffa, [item(sequence(0x00209221, [item(sequence(0x00209221, [item(element(0x00100020, 'LO', 'X'))]))]))])]);
    assert.equal(codeOf(await stream(deep, { limits: { maxSequenceDepth: 2 } })), 'TOO_DEEP');
  });

  test('Deflated (PS3.5 §A.5) and a header over the held limit are handed back, not guessed', async () => {
    const plain = dicomInstance({ rows: 64, columns: 64, extra: element(0x00211010, 'OB', randomBytes(4000)) });
    const dataSet = plain.subarray(plain.indexOf(Buffer.from([0x08, 0x00, 0x16, 0x00, 0x55, 0x49])));
    const deflated = dicomInstance({ transferSyntax: '1.2.840.10008.1.2.1.99', rawDataSet: deflateRawSync(dataSet) });
    assert.equal(codeOf(validateDicom(deflated)), 'accepted');
    assert.equal((await stream(deflated) as { unstreamable?: string }).unstreamable, 'deflated');
    const bigHeader = dicomInstance({ rows: 64, columns: 64, extra: element(0x00211010, 'OB', Buffer.alloc(20_000)) });
    assert.equal((await stream(bigHeader, { limits: { maxHeldBytes: 8192 } }) as { unstreamable?: string }).unstreamable, 'header-too-large');
    assert.equal(codeOf(await stream(bigHeader, { limits: { maxHeldBytes: 64 * 1024 } })), 'accepted');
  });

  test('only the header is held: the bytes asked for stay far below the file size', async () => {
    const big = dicomInstance({ rows: 2048, columns: 2048 });
    let held = 0;
    const result = await validateDicomStream(chunked(big, 65536), big.length, { hold: async (bytes) => { held += bytes; } });
    assert.equal(codeOf(result), 'accepted');
    assert.ok(held <= 2 * 64 * 1024, `held ${held} of ${big.length}`);
  });
});
