import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { contentTypeAgrees, isGzip, sniffGzipHead, sniffType, sniffUploadHead, type SniffedKind } from '../../src/ingest/sniff-type.ts';
import { dicomInstance, mzHeader, niftiFile, pngHeaderOnly } from '../fixtures/ingest/builders.ts';

const pydicomFiles = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer();
const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).jpeg().toBuffer();

describe('sniffType: the kind from the bytes only', () => {
  test('DICOM Part 10: preamble + DICM + group 0002, whatever the preamble holds', () => {
    assert.equal(sniffType(dicomInstance()), 'dicom');
    assert.equal(sniffType(readFileSync(`${pydicomFiles}/CT_small.dcm`)), 'dicom');
    assert.equal(sniffType(dicomInstance({ preamble: mzHeader() })), 'dicom');
    // A PNG signature in the preamble does not make it a PNG: DICM at 128 wins.
    assert.equal(sniffType(dicomInstance({ preamble: png.subarray(0, 64) })), 'dicom');
  });

  test('DICOM without a preamble (a raw data set) or with DICM but no group 0002 is unknown', () => {
    assert.equal(sniffType(readFileSync(`${pydicomFiles}/no_meta.dcm`)), 'unknown');
    const noGroup2 = dicomInstance();
    noGroup2.writeUInt16LE(0x0008, 132);
    assert.equal(sniffType(noGroup2), 'unknown');
  });

  test('NIfTI-1 and NIfTI-2 in both byte orders; NIfTI-2 needs its full 8-byte magic', () => {
    assert.equal(sniffType(niftiFile({ dims: [2, 2, 2] })), 'nifti1');
    assert.equal(sniffType(niftiFile({ dims: [2, 2, 2], littleEndian: false })), 'nifti1');
    assert.equal(sniffType(niftiFile({ dims: [2, 2, 2], magic: 'ni1\0' })), 'nifti1');
    assert.equal(sniffType(niftiFile({ version: 2, dims: [2, 2, 2] })), 'nifti2');
    assert.equal(sniffType(niftiFile({ version: 2, dims: [2, 2, 2], littleEndian: false })), 'nifti2');
    assert.equal(sniffType(niftiFile({ version: 2, dims: [2, 2, 2], magic: 'n+2\0\n\n\n\n' })), 'unknown');
    assert.equal(sniffType(niftiFile({ dims: [2, 2, 2], magic: 'n+2\0' })), 'unknown');
  });

  test('PNG needs IHDR as the first chunk; JPEG needs FFD8FF', () => {
    assert.equal(sniffType(png), 'png');
    assert.equal(sniffType(pngHeaderOnly(30000, 30000)), 'png');
    const noIhdr = Buffer.from(png);
    noIhdr.write('tEXt', 12, 'latin1');
    assert.equal(sniffType(noIhdr), 'unknown');
    assert.equal(sniffType(jpeg), 'jpeg');
    assert.equal(sniffType(Buffer.from([0xff, 0xd8, 0x00])), 'unknown');
  });

  test('gzip is nifti-gzip only when the inflated head is NIfTI', async () => {
    const niiGz = gzipSync(niftiFile({ dims: [4, 4, 4] }));
    assert.equal(isGzip(niiGz), true);
    assert.equal(sniffType(niiGz), 'unknown', 'without the inflated head');
    assert.equal(sniffType(niiGz, await sniffGzipHead(niiGz)), 'nifti-gzip');
    assert.equal(await sniffUploadHead(niiGz), 'nifti-gzip');
    assert.equal(await sniffUploadHead(gzipSync(Buffer.from('plain text, not an image'))), 'unknown');
    assert.equal(await sniffUploadHead(readFileSync(`${pydicomFiles}/zipMR.gz`)), 'unknown', 'a gzipped DICOM is not accepted');
  });

  test('sniffGzipHead inflates at most the requested bytes, from a bomb or a truncated stream', async () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 1 });
    const head = await sniffGzipHead(bomb);
    assert.deepEqual(head, Buffer.alloc(1024));
    assert.equal((await sniffGzipHead(bomb, 100)).length, 100);
    // Incompressible content cut after 500 compressed bytes: only what precedes the cut comes back.
    const original = randomBytes(4096);
    const cut = await sniffGzipHead(gzipSync(original).subarray(0, 500));
    assert.ok(cut.length > 0 && cut.length < 500, `inflated ${cut.length} bytes`);
    assert.deepEqual(cut, original.subarray(0, cut.length));
    assert.deepEqual(await sniffGzipHead(Buffer.from('not gzip')), Buffer.alloc(0));
  });

  test('empty, short and text inputs are unknown', () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('DICM'), Buffer.from('%PDF-1.7\n'), Buffer.alloc(2048)]) {
      assert.equal(sniffType(bytes), 'unknown');
    }
  });
});

describe('contentTypeAgrees: the declared Content-Type must match the sniffed kind', () => {
  const agreeing: Array<[SniffedKind, string]> = [
    ['dicom', 'application/dicom'], ['dicom', 'application/octet-stream'], ['dicom', 'Application/DICOM; transfer-syntax=1.2.840.10008.1.2.1'],
    ['nifti1', 'application/octet-stream'], ['nifti2', 'application/octet-stream'],
    ['nifti-gzip', 'application/gzip'], ['nifti-gzip', 'application/x-gzip'], ['nifti-gzip', 'application/octet-stream'],
    ['png', 'image/png'], ['jpeg', 'image/jpeg'],
  ];
  const disagreeing: Array<[SniffedKind, string | undefined]> = [
    ['dicom', 'image/png'], ['dicom', undefined], ['dicom', ''], ['png', 'image/jpeg'], ['png', 'application/octet-stream'],
    ['jpeg', 'image/jpg'], ['nifti1', 'application/gzip'], ['nifti1', 'application/dicom'], ['unknown', 'application/octet-stream'],
  ];
  test('accepted pairs', () => {
    for (const [kind, type] of agreeing) assert.equal(contentTypeAgrees(kind, type), true, `${kind} as ${type}`);
  });
  test('refused pairs (the caller answers 415)', () => {
    for (const [kind, type] of disagreeing) assert.equal(contentTypeAgrees(kind, type), false, `${kind} as ${String(type)}`);
  });
});
