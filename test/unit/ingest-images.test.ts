import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { inspectImage, inspectJpeg, inspectPng, reencodeWithoutMetadata } from '../../src/ingest/image-validate.ts';
import type { IngestRefusalCode, IngestResult } from '../../src/ingest/ingest-errors.ts';
import { insertAfterIhdr, jpegSegments, pngChunk, pngChunkTypes, pngHeaderOnly, withJpegDimensions } from '../fixtures/ingest/builders.ts';

function codeOf<T>(result: IngestResult<T>): IngestRefusalCode | 'accepted' {
  return result.ok ? 'accepted' : result.refusal.code;
}

const secret = 'Jane Roe 1961-04-12 MRN-42';
const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xap="http://ns.adobe.com/xap/1.0/"><dc:creator>${secret}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`;
const exif = { IFD0: { ImageDescription: secret, Artist: secret, Copyright: 'Hospital A' } };

/** A small RGB test pattern (so re-encoding has real pixels to keep). */
async function pattern(width: number, height: number): Promise<Sharp> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i += 1) raw[i] = (i * 37) % 251;
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

function textChunks(): Buffer[] {
  return [
    pngChunk('tEXt', Buffer.from(`Author\0${secret}`, 'latin1')),
    pngChunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync(Buffer.from(secret))])),
    pngChunk('iTXt', Buffer.from(`Description\0\0\0en\0\0${secret}`, 'utf8')),
  ];
}

describe('PNG: structure checked before decoding, metadata stripped on re-encode', () => {
  test('EXIF, ICC and tEXt/zTXt/iTXt chunks are gone from the output, and no secret text remains', async () => {
    const withProfile = await (await pattern(16, 12)).withExif(exif).withIccProfile('p3').png().toBuffer();
    const input = insertAfterIhdr(withProfile, textChunks());
    const inspected = inspectPng(input);
    assert.ok(inspected.ok);
    for (const type of ['eXIf', 'iCCP', 'tEXt', 'zTXt', 'iTXt']) assert.ok(inspected.value.metadata.includes(type), type);
    const clean = await reencodeWithoutMetadata(input);
    assert.ok(clean.ok);
    const types = pngChunkTypes(clean.value.data);
    for (const type of ['eXIf', 'tEXt', 'iTXt', 'zTXt', 'iCCP']) assert.equal(types.includes(type), false, `${type} in ${types.join(',')}`);
    assert.equal(clean.value.data.includes(Buffer.from('Jane Roe')), false);
    assert.deepEqual([clean.value.format, clean.value.width, clean.value.height], ['png', 16, 12]);
  });

  test('re-encoding a PNG without a colour profile keeps every pixel, grey 16-bit included', async () => {
    const rgb = insertAfterIhdr(await (await pattern(9, 7)).png().toBuffer(), textChunks());
    const grey16Raw = Buffer.alloc(6 * 5 * 2);
    for (let i = 0; i < 30; i += 1) grey16Raw.writeUInt16LE(i * 2000 + 7, i * 2);
    const grey16 = await sharp(grey16Raw, { raw: { width: 6, height: 5, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    for (const [input, depth] of [[rgb, 'uchar'], [grey16, 'ushort']] as const) {
      const clean = await reencodeWithoutMetadata(input);
      assert.ok(clean.ok);
      assert.deepEqual([clean.value.data[24], clean.value.data[25]], [input[24], input[25]], 'bit depth and colour type kept');
      const before = await sharp(input).raw({ depth }).toBuffer();
      const after = await sharp(clean.value.data).raw({ depth }).toBuffer();
      assert.deepEqual(after, before);
    }
  });

  test('a PNG whose image data stops half way (chunks and CRCs intact) is refused by the decoder', async () => {
    const good = await (await pattern(64, 64)).png({ compressionLevel: 0 }).toBuffer();
    const idat: Buffer[] = [];
    for (let offset = 8; offset < good.length; offset += 12 + good.readUInt32BE(offset)) {
      if (good.toString('latin1', offset + 4, offset + 8) === 'IDAT') idat.push(good.subarray(offset + 8, offset + 8 + good.readUInt32BE(offset)));
    }
    const data = Buffer.concat(idat);
    const cut = Buffer.concat([good.subarray(0, 33), pngChunk('IDAT', data.subarray(0, data.length >> 1)), pngChunk('IEND', Buffer.alloc(0))]);
    assert.equal(codeOf(inspectPng(cut)), 'accepted');
    assert.notEqual(codeOf(await reencodeWithoutMetadata(cut)), 'accepted');
    assert.notEqual(codeOf(await reencodeWithoutMetadata(cut, { failOn: 'error' })), 'accepted');
  });

  test('a 30000 × 30000 IHDR with a tiny body is DIMENSIONS from the header, before any decoding', async () => {
    const bomb = pngHeaderOnly(30000, 30000);
    assert.ok(bomb.length < 100);
    const inspected = inspectPng(bomb);
    assert.equal(codeOf(inspected), 'DIMENSIONS');
    const result = await reencodeWithoutMetadata(bomb);
    assert.equal(codeOf(result), 'DIMENSIONS');
    // Our header check answered (sharp's own limit would say "pixel limit").
    assert.match(result.ok ? '' : (result.refusal.detail ?? ''), /^PNG over 100000000 pixels/);
    assert.equal(codeOf(inspectPng(pngHeaderOnly(10_000, 10_000))), 'accepted', 'the cap is inclusive: 100 MP exactly passes the header check');
    assert.equal(codeOf(inspectPng(await (await pattern(4, 4)).png().toBuffer(), { maxPixels: 15 })), 'DIMENSIONS');
  });

  test('bad CRCs, bad chunk types, missing IEND and cut files are refused', async () => {
    const good = await (await pattern(8, 8)).png().toBuffer();
    assert.equal(codeOf(inspectPng(good)), 'accepted');
    const badIhdrCrc = Buffer.from(good);
    badIhdrCrc[30] = (badIhdrCrc[30] as number) ^ 0xff;
    assert.equal(codeOf(inspectPng(badIhdrCrc)), 'MALFORMED');
    const badDataCrc = Buffer.from(good);
    badDataCrc[good.length - 14] = (badDataCrc[good.length - 14] as number) ^ 0xff; // inside the last IDAT's CRC
    assert.equal(codeOf(inspectPng(badDataCrc)), 'MALFORMED');
    for (const cut of [20, 40, good.length - 12, good.length - 1]) assert.equal(codeOf(inspectPng(good.subarray(0, cut))), 'TRUNCATED', `cut at ${cut}`);
    const ihdr = Buffer.from(good.subarray(16, 29));
    ihdr[8] = 3; // RGB with bit depth 3 does not exist (ISO 15948 Table 11.1); the CRC is recomputed
    assert.equal(codeOf(inspectPng(Buffer.concat([good.subarray(0, 8), pngChunk('IHDR', ihdr), good.subarray(33)]))), 'MALFORMED');
    assert.equal(codeOf(inspectPng(Buffer.concat([good.subarray(0, 33), pngChunk('IH?R', Buffer.alloc(0)), good.subarray(33)]))), 'MALFORMED');
  });
});

describe('JPEG: SOF dimensions before decoding, APPn/COM stripped on re-encode', () => {
  test('EXIF (APP1), XMP (APP1), ICC (APP2) and comments are gone from the output', async () => {
    const encoded = await (await pattern(16, 8)).withExif(exif).withXmp(xmp).withIccProfile('p3').jpeg({ quality: 90 }).toBuffer();
    const comment = Buffer.from(secret, 'latin1');
    const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]); // COM segment, T.81 §B.2.4.5
    const input = Buffer.concat([encoded.subarray(0, 2), com, encoded.subarray(2)]);
    const inspected = inspectJpeg(input);
    assert.ok(inspected.ok);
    for (const block of ['APP1', 'APP2', 'COM']) assert.ok(inspected.value.metadata.includes(block), block);
    assert.ok(input.includes(Buffer.from('Exif\0')) && input.includes(Buffer.from('http://ns.adobe.com/xap')));
    const clean = await reencodeWithoutMetadata(input);
    assert.ok(clean.ok);
    const markers = jpegSegments(clean.value.data).map((s) => s.marker);
    assert.equal(markers.includes(0xe1), false, 'no APP1');
    assert.equal(markers.includes(0xe2), false, 'no APP2');
    assert.equal(markers.includes(0xfe), false, 'no COM');
    for (const needle of ['Exif', 'http://ns.adobe.com/xap', 'ICC_PROFILE', 'Jane Roe']) assert.equal(clean.value.data.includes(Buffer.from(needle)), false, needle);
    assert.deepEqual([clean.value.format, clean.value.width, clean.value.height], ['jpeg', 16, 8]);
  });

  test('the EXIF orientation is applied to the pixels before the tag is dropped', async () => {
    const rotated = await (await pattern(16, 8)).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    assert.equal((await sharp(rotated).metadata()).orientation, 6);
    const clean = await reencodeWithoutMetadata(rotated);
    assert.ok(clean.ok);
    assert.deepEqual([clean.value.width, clean.value.height], [8, 16]);
  });

  test('a SOF declaring 30000 × 30000 is DIMENSIONS before decoding', async () => {
    const small = await (await pattern(8, 8)).jpeg().toBuffer();
    const result = await reencodeWithoutMetadata(withJpegDimensions(small, 30000, 30000));
    assert.equal(codeOf(result), 'DIMENSIONS');
    assert.match(result.ok ? '' : (result.refusal.detail ?? ''), /^JPEG over/);
  });

  test('cut, marker-less and frame-less JPEGs are refused', async () => {
    const good = await (await pattern(32, 32)).jpeg().toBuffer();
    assert.equal(codeOf(inspectJpeg(good)), 'accepted');
    for (const cut of [3, 10, 100, good.length - 2]) assert.equal(codeOf(inspectJpeg(good.subarray(0, cut))), 'TRUNCATED', `cut at ${cut}`);
    // Entropy-coded data cut short but closed with an EOI: structurally whole, so sharp is the wall.
    // With failOn 'error' libjpeg only warns and fills the missing rows with grey; 'warning' refuses.
    const damaged = Buffer.concat([good.subarray(0, good.length - 40), Buffer.from([0xff, 0xd9])]);
    assert.equal(codeOf(inspectJpeg(damaged)), 'accepted');
    assert.equal(codeOf(await reencodeWithoutMetadata(damaged)), 'TRUNCATED');
    assert.equal(codeOf(await reencodeWithoutMetadata(damaged, { failOn: 'error' })), 'accepted', 'why the default is warning');
    const noFrame = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from([0xff, 0xda, 0x00, 0x02]), Buffer.from([0x00, 0xff, 0xd9])]);
    assert.equal(codeOf(inspectJpeg(noFrame)), 'MALFORMED');
    assert.equal(codeOf(inspectJpeg(Buffer.from([0xff, 0xd8, 0x12, 0x34]))), 'MALFORMED');
  });

  test('inspectImage dispatches by signature and refuses anything else', async () => {
    assert.equal(codeOf(inspectImage(await (await pattern(2, 2)).png().toBuffer())), 'accepted');
    assert.equal(codeOf(inspectImage(await (await pattern(2, 2)).jpeg().toBuffer())), 'accepted');
    assert.equal(codeOf(inspectImage(await (await pattern(2, 2)).webp().toBuffer())), 'UNSUPPORTED_TYPE');
  });
});
