/**
 * Issue 6, viewer DCM-3: compressed DICOM frames that render — RLE Lossless (PS3.5 Annex G, our own
 * decoder) and 8-bit JPEG Baseline/Extended (sharp) — checked against pydicom's test files and
 * independent decoders (pydicom's uncompressed twins; dcmtk's dcmdrle/dcmdjpeg, a test dependency:
 * pydicom here has neither numpy nor pillow and cannot decode pixels itself), and hostile streams
 * refused with 415 CLARUS_ERR_RENDER_UNSUPPORTED without large allocations.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import sharp from 'sharp';
import { decodeDicomFrame } from '../../src/services/images/dicom-frame.ts';
import { decodeRleFrame } from '../../src/services/images/rle-decode.ts';
import { type DecodedFrame, UnsupportedRendering } from '../../src/services/images/render-types.ts';
import { renderFrame } from '../../src/services/images/render.ts';
import { element, item } from '../fixtures/ingest/builders.ts';

const pydicom = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const RLE = '1.2.840.10008.1.2.5';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';

const scratch = mkdtempSync(join(tmpdir(), 'clarus-compressed-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const file = (name: string) => readFileSync(join(pydicom, name));
const decode = (bytes: Buffer, frame = 0) => decodeDicomFrame(bytes, frame);

/** The same file decompressed by dcmtk (`dcmdrle` or `dcmdjpeg` with its options) into native DICOM. */
function dcmtk(tool: 'dcmdrle' | 'dcmdjpeg', name: string, options: string[] = []): Buffer {
  const out = join(scratch, `${tool}-${options.join('')}-${name}`);
  execFileSync(tool, [...options, join(pydicom, name), out], { stdio: 'ignore' });
  return readFileSync(out);
}

function differences(a: DecodedFrame, b: DecodedFrame): { max: number; mean: number } {
  assert.deepEqual([a.rows, a.columns, a.samplesPerPixel, a.pixels.length], [b.rows, b.columns, b.samplesPerPixel, b.pixels.length]);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.pixels.length; i += 1) {
    const d = Math.abs((a.pixels[i] ?? 0) - (b.pixels[i] ?? 0));
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.pixels.length };
}

async function refused(promise: Promise<unknown>, detail: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UnsupportedRendering, String(error));
    assert.equal(error.code, 'CLARUS_ERR_RENDER_UNSUPPORTED');
    assert.match(error.detail, detail);
    return true;
  });
}

// ------------------------------------------------------------------ synthetic encapsulated files

interface Synthetic {
  transferSyntax: string;
  rows: number;
  columns: number;
  samples?: number;
  bitsAllocated?: number;
  bitsStored?: number;
  signed?: boolean;
  photometric?: string;
  frames?: number;
  /** Basic Offset Table entries (PS3.5 §A.4); default empty. */
  offsets?: number[];
  fragments: Buffer[];
}

/** A Part 10 file with encapsulated Pixel Data: an offset-table item, one item per fragment, a delimiter. */
function encapsulatedFile(options: Synthetic): Buffer {
  const meta = Buffer.concat([
    element(0x00020001, 'OB', Buffer.from([0, 1])),
    element(0x00020002, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    element(0x00020003, 'UI', '1.2.826.0.1.3680043.8.498.901'),
    element(0x00020010, 'UI', options.transferSyntax),
  ]);
  const table = Buffer.alloc(4 * (options.offsets?.length ?? 0));
  (options.offsets ?? []).forEach((offset, i) => table.writeUInt32LE(offset, 4 * i));
  const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  const pixelData = Buffer.concat([
    element(0x7fe00010, 'OB', Buffer.alloc(0), 0xffffffff),
    item(table),
    ...options.fragments.map((fragment) => item(fragment.length % 2 === 0 ? fragment : Buffer.concat([fragment, Buffer.alloc(1)]))),
    delimiter,
  ]);
  const bits = options.bitsAllocated ?? 8;
  const dataSet = Buffer.concat([
    element(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    element(0x00080018, 'UI', '1.2.826.0.1.3680043.8.498.901'),
    element(0x00280002, 'US', options.samples ?? 1),
    element(0x00280004, 'CS', options.photometric ?? 'MONOCHROME2'),
    ...(options.frames === undefined ? [] : [element(0x00280008, 'IS', String(options.frames))]),
    element(0x00280010, 'US', options.rows),
    element(0x00280011, 'US', options.columns),
    element(0x00280100, 'US', bits),
    element(0x00280101, 'US', options.bitsStored ?? bits),
    element(0x00280102, 'US', (options.bitsStored ?? bits) - 1),
    element(0x00280103, 'US', options.signed === true ? 1 : 0),
    pixelData,
  ]);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(0x00020000, 'UL', meta.length), meta, dataSet]);
}

/** PackBits (PS3.5 §G.3.1), written for these tests: replicate runs of 3 or more, literals otherwise. */
function packBits(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && run < 128 && bytes[i + run] === bytes[i]) run += 1;
    if (run >= 3) {
      out.push(257 - run, bytes[i] ?? 0);
      i += run;
      continue;
    }
    const start = i;
    while (i < bytes.length && i - start < 128) {
      if (i + 2 < bytes.length && bytes[i] === bytes[i + 1] && bytes[i] === bytes[i + 2]) break;
      i += 1;
    }
    out.push(i - start - 1, ...bytes.subarray(start, i));
  }
  if (out.length % 2 === 1) out.push(0); // §G.5: segments are padded to an even length
  return Buffer.from(out);
}

/** An RLE fragment (§G.5 header of 16 UL, then the segments) from already-coded segments. */
function rleFragment(segments: Buffer[], count = segments.length): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32LE(count, 0);
  let offset = 64;
  segments.forEach((segment, i) => {
    header.writeUInt32LE(offset, 4 + 4 * i);
    offset += segment.length;
  });
  return Buffer.concat([header, ...segments]);
}

/** Byte planes (§G.2): for each sample, most significant byte first. */
function rlePlanes(values: number[], samples: number, bytes: number): Buffer[] {
  const pixels = values.length / samples;
  const planes: Buffer[] = [];
  for (let s = 0; s < samples; s += 1) {
    for (let b = bytes - 1; b >= 0; b -= 1) {
      const plane = new Uint8Array(pixels);
      for (let p = 0; p < pixels; p += 1) plane[p] = Math.floor(((values[p * samples + s] ?? 0) >>> 0) / 2 ** (8 * b)) & 0xff;
      planes.push(packBits(plane));
    }
  }
  return planes;
}

// ------------------------------------------------------------------ RLE Lossless

describe('RLE Lossless (1.2.840.10008.1.2.5)', () => {
  test('MR_small_RLE decodes to exactly the values, rescale and window of MR_small (16-bit signed)', async () => {
    const rle = await decode(file('MR_small_RLE.dcm'));
    const native = await decode(file('MR_small.dcm'));
    assert.ok(rle.pixels instanceof Int16Array);
    assert.deepEqual({ ...rle, pixels: undefined }, { ...native, pixels: undefined });
    assert.deepEqual(Array.from(rle.pixels), Array.from(native.pixels));
  });

  test('rtdose_rle: 15 frames of 32-bit grey, one fragment each and no offset table, equal rtdose.dcm frame by frame', async () => {
    const rle = file('rtdose_rle.dcm');
    const native = file('rtdose.dcm');
    for (let frame = 0; frame < 15; frame += 1) {
      const [a, b] = [await decode(rle, frame), await decode(native, frame)];
      assert.equal(a.frames, 15);
      assert.deepEqual(Array.from(a.pixels), Array.from(b.pixels), `frame ${frame}`);
    }
    assert.deepEqual(Array.from((await decode(file('rtdose_rle_1frame.dcm'))).pixels), Array.from((await decode(file('rtdose_1frame.dcm'))).pixels));
    await assert.rejects(decode(rle, 15), { code: 'CLARUS_ERR_NOT_FOUND' });
  });

  test('SC_rgb_rle (1 and 2 frames, with an offset table): the RGB values dcmtk decodes', async () => {
    for (const name of ['SC_rgb_rle.dcm', 'SC_rgb_rle_2frame.dcm']) {
      const reference = dcmtk('dcmdrle', name);
      const frames = (await decode(file(name))).frames;
      for (let frame = 0; frame < frames; frame += 1) {
        const ours = await decode(file(name), frame);
        assert.deepEqual([ours.samplesPerPixel, ours.photometric, ours.pixels.constructor.name], [3, 'RGB', 'Uint8Array']);
        assert.deepEqual(differences(ours, await decode(reference, frame)), { max: 0, mean: 0 }, `${name} frame ${frame}`);
      }
    }
  });

  test('16- and 32-bit RGB decode but are not drawn (colour is 8-bit only): 415', async () => {
    for (const name of ['SC_rgb_rle_16bit.dcm', 'SC_rgb_rle_32bit_2frame.dcm']) await refused(decode(file(name)), /colour with (16|32) bits/);
  });

  test('synthetic: signed 16-bit, MONOCHROME1 and YBR_FULL take the same path as native data', async () => {
    const values = [-32768, -1, 0, 1, 32767, 1234, -1234, 7];
    const signed = encapsulatedFile({ transferSyntax: RLE, rows: 2, columns: 4, bitsAllocated: 16, signed: true, photometric: 'MONOCHROME1', fragments: [rleFragment(rlePlanes(values, 1, 2))] });
    const grey = await decode(signed);
    assert.deepEqual([grey.photometric, grey.pixels.constructor.name, Array.from(grey.pixels)], ['MONOCHROME1', 'Int16Array', values]);

    // YBR_FULL (PS3.3 §C.7.6.3.1.2): Y, Cb, Cr = 128, 128, 128 is mid grey; 76, 85, 255 is red.
    const ybr = [128, 128, 128, 76, 85, 255];
    const colour = await decode(encapsulatedFile({ transferSyntax: RLE, rows: 1, columns: 2, samples: 3, photometric: 'YBR_FULL', fragments: [rleFragment(rlePlanes(ybr, 3, 1))] }));
    assert.equal(colour.photometric, 'RGB');
    assert.deepEqual(Array.from(colour.pixels.subarray(0, 3)), [128, 128, 128]);
    const [r, g, b] = Array.from(colour.pixels.subarray(3, 6));
    assert.ok((r ?? 0) >= 250 && (g ?? 255) <= 2 && (b ?? 255) <= 2, `red: ${r},${g},${b}`);
  });

  test('hostile: wrong segment counts, offsets outside, truncated or overlong segments are refused', async () => {
    const geometry = { rows: 4, columns: 4, samples: 1, bytesPerSample: 1 };
    const plane = packBits(Uint8Array.from({ length: 16 }, (_, i) => i * 7));
    const good = rleFragment([plane]);
    assert.deepEqual(Array.from(decodeRleFrame(good, geometry)), Array.from({ length: 16 }, (_, i) => i * 7));

    const cases: Array<[string, Buffer, RegExp]> = [
      ['two segments for 8-bit grey', rleFragment([plane, plane]), /2 segments where the frame needs 1/],
      ['no segments', rleFragment([], 0), /0 segments/],
      ['sixteen segments', rleFragment([plane], 16), /16 segments/],
      ['header cut short', good.subarray(0, 40), /shorter than its header/],
      ['truncated segment', good.subarray(0, good.length - 6), /(literal run past|decodes to \d+ bytes)/],
      ['offset past the fragment', (() => { const f = Buffer.from(good); f.writeUInt32LE(10_000, 4); return f; })(), /starts outside/],
      ['offset inside the header', (() => { const f = Buffer.from(good); f.writeUInt32LE(8, 4); return f; })(), /starts outside/],
      ['a replicate run past rows × columns', rleFragment([Buffer.concat([plane.subarray(0, 17), Buffer.from([0xf0, 9])])]), /more than rows × columns/],
      ['a run of 20 for 16 bytes', rleFragment([Buffer.from([0xed, 1])]), /too short|more than rows × columns/],
      ['a segment that ends short', rleFragment([Buffer.from([0xf8, 3, 0x80, 0x80])]), /decodes to 9 bytes, not 16/],
    ];
    for (const [name, fragment, detail] of cases) {
      assert.throws(() => decodeRleFrame(fragment, geometry), (error: unknown) => error instanceof UnsupportedRendering && detail.test(error.detail), name);
    }
    // 16-bit grey: two segments, whose offsets must increase inside the fragment.
    const wide = { ...geometry, bytesPerSample: 2 };
    const twoPlanes = rleFragment([plane, plane]);
    assert.equal(decodeRleFrame(twoPlanes, wide).length, 32);
    const backwards = Buffer.from(twoPlanes);
    backwards.writeUInt32LE(90, 4);
    assert.throws(() => decodeRleFrame(backwards, wide), (error: unknown) => error instanceof UnsupportedRendering && /segment 1 ends outside the fragment or before it starts/.test(error.detail));
    const early = Buffer.from(twoPlanes);
    early.writeUInt32LE(60, 8);
    assert.throws(() => decodeRleFrame(early, wide), (error: unknown) => error instanceof UnsupportedRendering && /segment 1 ends outside|segment 2 starts outside/.test(error.detail));
    // Through the whole decoder: the same 415.
    await refused(decode(encapsulatedFile({ transferSyntax: RLE, rows: 4, columns: 4, fragments: [rleFragment([plane, plane])] })), /segments/);
  });

  test('hostile: offset tables that point outside or miscount frames are refused', async () => {
    const fragment = rleFragment(rlePlanes(Array.from({ length: 16 }, (_, i) => i), 1, 1));
    const base = { transferSyntax: RLE, rows: 4, columns: 4, frames: 2, fragments: [fragment, fragment] };
    const step = fragment.length + 8;
    assert.deepEqual(Array.from((await decode(encapsulatedFile({ ...base, offsets: [0, step] }), 1)).pixels), Array.from({ length: 16 }, (_, i) => i));
    await refused(decode(encapsulatedFile({ ...base, offsets: [0, 999_999] }), 1), /fragments:/);
    await refused(decode(encapsulatedFile({ ...base, offsets: [0] }), 0), /1 entries for 2 frames/);
    await refused(decode(encapsulatedFile({ ...base, offsets: [step, 0] }), 0), /not increasing/);
    await refused(decode(encapsulatedFile({ ...base, frames: 3 }), 0), /2 fragments for 3 frames/);
  });

  test('hostile: a huge frame from a tiny file is refused before anything of its size is allocated', async () => {
    const tiny = rleFragment([Buffer.from([0x81, 0])]);
    const before = process.memoryUsage().arrayBuffers;
    // 4096 × 4096 is under the frame cap, but 2 bytes of PackBits make at most 128.
    await refused(decode(encapsulatedFile({ transferSyntax: RLE, rows: 4096, columns: 4096, fragments: [tiny] })), /too short for 16777216 bytes/);
    // 65535 × 65535 × 3 × 4 bytes is over the cap whatever the stream holds.
    await refused(decode(encapsulatedFile({ transferSyntax: RLE, rows: 65535, columns: 65535, samples: 3, bitsAllocated: 32, photometric: 'RGB', fragments: [tiny] })), /over the limit/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 4 * 1024 * 1024, 'no frame-sized buffer');
  });
});

// ------------------------------------------------------------------ JPEG baseline / extended

/** The 100 × 100 colour-bar image pydicom's SC_rgb_* files were made from, losslessly (RLE). */
const original = async () => decode(file('SC_rgb_rle.dcm'));

describe('JPEG Baseline (1.2.840.10008.1.2.4.50)', () => {
  const colourFiles = [
    'SC_rgb_dcmtk_+eb+cr.dcm', // RGB, Adobe transform 0
    'SC_rgb_dcmtk_+eb+cy+n1.dcm', // YBR_FULL header, JFIF, 4:2:0
    'SC_rgb_dcmtk_+eb+cy+n2.dcm',
    'SC_rgb_dcmtk_+eb+cy+np.dcm', // YBR_FULL_422 header
    'SC_rgb_dcmtk_+eb+cy+s2.dcm',
    'SC_rgb_dcmtk_+eb+cy+s4.dcm', // YBR_FULL, no subsampling
    'SC_rgb_jpeg_dcmtk.dcm',
    'SC_rgb_jpeg_app14_dcmd.dcm', // RGB, Adobe transform 0
    'SC_jpeg_no_color_transform_2.dcm',
    'SC_jpeg_no_color_transform.dcm', // RGB, no marker at all: the header decides
    'SC_rgb_small_odd_jpeg.dcm', // 3 × 3
  ];

  test('colour: the RGB dcmtk decodes (IJG libjpeg), whatever YBR_FULL/_422 the header says — converted once', async () => {
    for (const name of colourFiles) {
      const ours = await decode(file(name));
      assert.deepEqual([ours.samplesPerPixel, ours.photometric, ours.pixels.constructor.name], [3, 'RGB', 'Uint8Array'], name);
      const { max, mean } = differences(ours, await decode(dcmtk('dcmdjpeg', name)));
      assert.ok(max <= 2 && mean < 0.1, `${name}: max ${max}, mean ${mean}`);
    }
  });

  test('colour: the lossy copies stay close to the lossless original (a second YBR→RGB conversion would not)', async () => {
    const truth = await original();
    for (const name of colourFiles.filter((n) => n.startsWith('SC_rgb_dcmtk') || n === 'SC_rgb_jpeg_dcmtk.dcm')) {
      const { mean } = differences(await decode(file(name)), truth);
      assert.ok(mean < 3.5, `${name}: mean difference ${mean}`);
    }
    // Down the middle column, every tenth row: within the loss of a quality-90 JPEG.
    const jpeg = await decode(file('SC_rgb_dcmtk_+eb+cy+s4.dcm'));
    for (const row of [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]) {
      const at = row * 100 * 3 + 50 * 3;
      const want = Array.from(truth.pixels.subarray(at, at + 3));
      Array.from(jpeg.pixels.subarray(at, at + 3)).forEach((v, i) => assert.ok(Math.abs(v - (want[i] ?? 0)) <= 8, `row ${row}: ${v} vs ${want[i]}`));
    }
  });

  test('an RGB header over an unmarked, chroma-subsampled stream (GDCM): YCbCr, as only YCbCr may be subsampled', async () => {
    const name = 'SC_rgb_jpeg_lossy_gdcm.dcm';
    const ours = await decode(file(name));
    assert.deepEqual(differences(ours, await decode(dcmtk('dcmdjpeg', name, ['+cg']))).max, 0);
    assert.ok(differences(ours, await original()).mean < 3.5);
  });

  test('grey: a synthetic 8-bit baseline stream, MONOCHROME1 kept, 1 and 2 frames (fragments split, no offset table)', async () => {
    const [columns, rows] = [64, 48];
    const raw = Uint8Array.from({ length: rows * columns }, (_, i) => (i % columns) * 4);
    const jpeg = await sharp(raw, { raw: { width: columns, height: rows, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 95 }).toBuffer();
    assert.deepEqual([jpeg[0], jpeg[1]], [0xff, 0xd8]);
    for (const photometric of ['MONOCHROME2', 'MONOCHROME1']) {
      const frame = await decode(encapsulatedFile({ transferSyntax: JPEG_BASELINE, rows, columns, photometric, fragments: [jpeg] }));
      assert.deepEqual([frame.rows, frame.columns, frame.samplesPerPixel, frame.photometric, frame.pixels.constructor.name], [rows, columns, 1, photometric, 'Uint8Array']);
      assert.ok(differences(frame, { ...frame, pixels: raw }).max <= 4);
    }
    // Two frames, each split over two fragments, no offset table: frames end at each EOI marker (§A.4).
    const half = Math.floor(jpeg.length / 2) & ~1;
    const second = Buffer.from(jpeg);
    const twoFrames = encapsulatedFile({ transferSyntax: JPEG_EXTENDED, rows, columns, frames: 2, fragments: [jpeg.subarray(0, half), jpeg.subarray(half), second.subarray(0, half), second.subarray(half)] });
    for (const index of [0, 1]) assert.ok(differences(await decode(twoFrames, index), { ...(await decode(twoFrames, index)), pixels: raw }).max <= 4);
    // And the thumbnail renders.
    const png = await renderFrame({ kind: 'dicom', bytes: twoFrames }, { format: 'png', maxSize: 32 });
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 32, 24]);
  });

  test('refused: 12-bit Extended, progressive, a header that disagrees, truncated streams, other codecs — all 415', async () => {
    await refused(decode(file('JPEG-lossy.dcm')), /12 bits stored in 16/);
    await refused(decode(file('JPGExtended.dcm')), /12 bits stored in 16/);
    const raw = Uint8Array.from({ length: 32 * 32 }, (_, i) => i % 256);
    const grey = (options: object) => sharp(raw, { raw: { width: 32, height: 32, channels: 1 } }).toColourspace('b-w').jpeg(options).toBuffer();
    const progressive = await grey({ progressive: true });
    await refused(decode(encapsulatedFile({ transferSyntax: JPEG_BASELINE, rows: 32, columns: 32, fragments: [progressive] })), /SOF2/);
    const baseline = await grey({});
    await refused(decode(encapsulatedFile({ transferSyntax: JPEG_BASELINE, rows: 64, columns: 32, fragments: [baseline] })), /stream is 32×32×1, data set says 32×64×1/);
    await refused(decode(encapsulatedFile({ transferSyntax: JPEG_BASELINE, rows: 32, columns: 32, samples: 3, photometric: 'RGB', fragments: [baseline] })), /32×32×1/);
    await refused(decode(encapsulatedFile({ transferSyntax: JPEG_BASELINE, rows: 32, columns: 32, fragments: [baseline.subarray(0, baseline.length - 20)] })), /libjpeg/);
    await refused(decode(encapsulatedFile({ transferSyntax: JPEG_BASELINE, rows: 32, columns: 32, fragments: [baseline.subarray(0, 30)] })), /past the end/);
    await refused(decode(encapsulatedFile({ transferSyntax: JPEG_BASELINE, rows: 32, columns: 32, fragments: [Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0xff, 0xff])] })), /past the end/);
    await refused(decode(encapsulatedFile({ transferSyntax: JPEG_BASELINE, rows: 32, columns: 32, bitsAllocated: 16, bitsStored: 12, fragments: [baseline] })), /12 bits stored in 16/);
    await refused(decode(encapsulatedFile({ transferSyntax: JPEG_BASELINE, rows: 32, columns: 32, photometric: 'PALETTE COLOR', fragments: [baseline] })), /PALETTE COLOR/);
    // Every other encapsulated syntax: JPEG Lossless (4.57, 4.70), JPEG-LS, JPEG 2000 (incl. HTJ2K's root), MPEG.
    for (const name of ['SC_rgb_jpeg_gdcm.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm', 'JPEG2000.dcm', 'GDCMJ2K_TextGBR.dcm']) {
      await refused(decode(file(name)), /is not decoded/);
    }
    for (const syntax of ['1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.100']) {
      await refused(decode(encapsulatedFile({ transferSyntax: syntax, rows: 32, columns: 32, fragments: [baseline] })), /is not decoded/);
    }
  });
});
