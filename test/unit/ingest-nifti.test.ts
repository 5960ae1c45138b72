import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { createGzip, gzipSync } from 'node:zlib';
import { readHeader } from 'nifti-reader-js';
import type { IngestRefusalCode, IngestResult } from '../../src/ingest/ingest-errors.ts';
import { checkNiftiHeader, gunzipCapped, validateNifti } from '../../src/ingest/nifti-validate.ts';
import { sniffGzipHead } from '../../src/ingest/sniff-type.ts';
import { niftiFile } from '../fixtures/ingest/builders.ts';

function codeOf<T>(result: IngestResult<T>): IngestRefusalCode | 'accepted' {
  return result.ok ? 'accepted' : result.refusal.code;
}

function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
}

describe('validateNifti: the header is checked before anything is allocated', () => {
  for (const version of [1, 2] as const) {
    for (const littleEndian of [true, false]) {
      test(`NIfTI-${version} ${littleEndian ? 'little' : 'big'}-endian: accepted, and agrees with nifti-reader-js`, () => {
        const bytes = niftiFile({ version, littleEndian, dims: [5, 6, 7], datatype: 16, bitpix: 32, descrip: 'synthetic phantom' });
        const result = validateNifti(bytes);
        assert.ok(result.ok, result.ok ? '' : result.refusal.detail);
        const header = result.value;
        assert.deepEqual([header.version, header.littleEndian, header.dims, header.datatypeName, header.bytesPerVoxel], [version, littleEndian, [5, 6, 7], 'float32', 4]);
        assert.equal(header.voxelBytes, 5 * 6 * 7 * 4);
        assert.equal(header.voxOffset, version === 1 ? 352 : 544);
        assert.equal(header.descrip, 'synthetic phantom');
        assert.equal(header.hasExtensions, false);
        assert.equal(version === 1 ? header.dbName : 'none', version === 1 ? '' : 'none');
        const reference = readHeader(arrayBufferOf(bytes));
        assert.deepEqual(reference.dims.slice(1, 4), header.dims);
        assert.equal(reference.datatypeCode, header.datatype);
        assert.equal(Number(reference.vox_offset), header.voxOffset);
        assert.equal(reference.littleEndian, littleEndian);
      });
    }
  }

  test('voxel data larger than the file is TRUNCATED', () => {
    const declared = niftiFile({ dims: [64, 64, 64], voxelBytes: 1000 });
    assert.equal(codeOf(validateNifti(declared)), 'TRUNCATED');
    assert.equal(codeOf(validateNifti(niftiFile({ version: 2, dims: [10, 10, 10], voxelBytes: 1999 }))), 'TRUNCATED');
    assert.equal(codeOf(validateNifti(niftiFile({ dims: [2, 2] }).subarray(0, 300))), 'TRUNCATED', 'cut inside the header');
  });

  test('dimensions over the voxel cap are refused from the header alone, whatever the file size', () => {
    // 32767³ int16 ≈ 70 TB declared in a 352-byte file: DIMENSIONS before anything else.
    const huge = niftiFile({ dims: [32767, 32767, 32767], voxelBytes: 0 });
    assert.equal(huge.length, 352);
    assert.equal(codeOf(validateNifti(huge)), 'DIMENSIONS');
    // NIfTI-2 int64 dims whose product passes 2^53 (and 2^64): exact BigInt arithmetic.
    const beyond = niftiFile({ version: 2, dims: [2 ** 40, 2 ** 40, 2 ** 40], voxelBytes: 0 });
    assert.equal(codeOf(checkNiftiHeader(beyond)), 'DIMENSIONS');
    assert.equal(codeOf(validateNifti(niftiFile({ dims: [100, 100, 100] }), { maxVoxelBytes: 1_999_999 })), 'DIMENSIONS');
  });

  test('malformed headers: dim[0], dims below 1, datatype, bitpix, magic, vox_offset', () => {
    const base = { dims: [4, 4, 4] };
    const cases: Array<[string, Buffer, IngestRefusalCode]> = [
      ['dim[0] = 0', niftiFile({ ...base, dims: [] }), 'MALFORMED'],
      ['a zero dim', niftiFile({ ...base, dims: [4, 0, 4], voxelBytes: 0 }), 'MALFORMED'],
      ['a negative dim', niftiFile({ ...base, dims: [4, -4, 4], voxelBytes: 0 }), 'MALFORMED'],
      ['unknown datatype', niftiFile({ ...base, datatype: 3, bitpix: 8 }), 'UNSUPPORTED_TYPE'],
      ['DT_BINARY', niftiFile({ ...base, datatype: 1, bitpix: 1, voxelBytes: 8 }), 'UNSUPPORTED_TYPE'],
      ['bitpix disagrees', niftiFile({ ...base, datatype: 4, bitpix: 8 }), 'MALFORMED'],
      ['two-file magic ni1', niftiFile({ ...base, magic: 'ni1\0' }), 'UNSUPPORTED_TYPE'],
      ['no magic', niftiFile({ ...base, magic: 'abc\0' }), 'MALFORMED'],
      ['vox_offset not an integer', niftiFile({ ...base, voxOffset: 352.5 }), 'MALFORMED'],
      ['sizeof_hdr wrong', Buffer.alloc(400), 'UNSUPPORTED_TYPE'],
    ];
    const eightDims = niftiFile(base);
    eightDims.writeInt16LE(8, 40);
    cases.push(['dim[0] = 8', eightDims, 'MALFORMED']);
    for (const [name, bytes, code] of cases) assert.equal(codeOf(validateNifti(bytes)), code, name);
  });

  test('a vox_offset below header + extender is read as 352 / 544 (nifti1.h)', () => {
    const result = validateNifti(niftiFile({ dims: [2, 2, 2], voxOffset: 0 }));
    assert.ok(result.ok && result.value.voxOffset === 352);
  });

  test('extensions are reported (they may carry PHI) and their chain is checked', () => {
    const withExtension = validateNifti(niftiFile({ dims: [3, 3, 3], extensions: [{ code: 6, content: Buffer.from('comment: scanned on site A') }] }));
    assert.ok(withExtension.ok);
    assert.equal(withExtension.value.hasExtensions, true);
    assert.deepEqual(withExtension.value.extensions, [{ code: 6, size: 48 }]);
    const broken = niftiFile({ dims: [3, 3, 3], extensions: [{ code: 6, content: Buffer.alloc(8) }] });
    broken.writeInt32LE(10, 352); // esize not a multiple of 16
    assert.equal(codeOf(validateNifti(broken)), 'MALFORMED');
  });
});

describe('gunzipCapped: .nii.gz decompression with a size and ratio cap', () => {
  test('a small .nii.gz inflates and validates; the header read from its head gives an exact cap', async () => {
    const nii = niftiFile({ version: 2, dims: [16, 16, 8], datatype: 512, bitpix: 16 });
    const gz = gzipSync(nii);
    const head = checkNiftiHeader(await sniffGzipHead(gz, 1024));
    assert.ok(head.ok);
    const inflated = await gunzipCapped(gz, { maxBytes: head.value.voxOffset + head.value.voxelBytes, maxRatio: 1000 });
    assert.ok(inflated.ok);
    assert.deepEqual(inflated.value, nii);
    assert.equal(codeOf(validateNifti(inflated.value)), 'accepted');
    assert.equal(codeOf(await gunzipCapped(gz, { maxBytes: nii.length - 1, maxRatio: 1000 })), 'DECOMPRESSION_BOMB');
  });

  test('truncated and non-gzip input', async () => {
    const gz = gzipSync(niftiFile({ dims: [32, 32, 32] }));
    assert.equal(codeOf(await gunzipCapped(gz.subarray(0, gz.length - 20), { maxBytes: 1e8, maxRatio: 1000 })), 'TRUNCATED');
    assert.equal(codeOf(await gunzipCapped(Buffer.from('definitely not gzip'), { maxBytes: 1e8, maxRatio: 1000 })), 'MALFORMED');
  });

  test('1 GB of zeros gzipped on the fly is a DECOMPRESSION_BOMB, quickly, and never materialised', async (t) => {
    let produced = 0;
    const zeros = Buffer.alloc(1024 * 1024);
    function* gigabyte(): Generator<Buffer> {
      for (let i = 0; i < 1024; i += 1) {
        produced += 1;
        yield zeros;
      }
    }
    const source = Readable.from(gigabyte());
    const bomb = source.pipe(createGzip({ level: 1 }));
    const started = performance.now();
    const result = await gunzipCapped(bomb, { maxBytes: 32 * 1024 * 1024, maxRatio: 10_000 });
    const elapsed = performance.now() - started;
    source.destroy();
    assert.equal(codeOf(result), 'DECOMPRESSION_BOMB');
    assert.ok(produced < 128, `only ${produced} MiB of the 1024 MiB were ever produced`);
    assert.ok(elapsed < 5000, `${elapsed.toFixed(0)} ms`);
    t.diagnostic(`refused after ${produced} MiB produced, in ${elapsed.toFixed(0)} ms`);
  });

  test('the ratio cap trips past the floor even under the size cap', async () => {
    const gz = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 1 });
    const result = await gunzipCapped(gz, { maxBytes: 1e9, maxRatio: 100, ratioFloorBytes: 1024 * 1024 });
    assert.equal(codeOf(result), 'DECOMPRESSION_BOMB');
    assert.match(result.ok ? '' : (result.refusal.detail ?? ''), /ratio/);
  });
});
