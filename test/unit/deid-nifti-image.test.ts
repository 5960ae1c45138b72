import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { deidentifyImage } from '../../src/deid/image-deidentify.ts';
import { deidentifyNifti } from '../../src/deid/nifti-deidentify.ts';
import { validateNifti } from '../../src/ingest/nifti-validate.ts';
import { insertAfterIhdr, jpegSegments, niftiFile, pngChunk, pngChunkTypes } from '../fixtures/ingest/builders.ts';

const secret = 'Roe^Jane 19610412 MRN-42';

/** A NIfTI file with PHI in every text field and in two extensions, voxels counting up. */
function phiNifti(version: 1 | 2, littleEndian: boolean): Buffer {
  const bytes = niftiFile({ version, littleEndian, dims: [3, 4, 5], datatype: 2, bitpix: 8, descrip: secret, extensions: [{ code: 6, content: Buffer.from(`comment ${secret}`) }, { code: 2, content: Buffer.from(`DICM ${secret}`) }] });
  const header = version === 1 ? 348 : 540;
  const text = (offset: number, width: number): void => {
    bytes.write(secret.slice(0, width - 1), offset, 'latin1');
  };
  if (version === 1) {
    text(4, 10); // data_type
    text(14, 18); // db_name
    text(228, 24); // aux_file
    text(328, 16); // intent_name
  } else {
    text(320, 24);
    text(508, 16);
    text(525, 15);
  }
  const voxOffset = bytes.length - 60;
  for (let i = 0; i < 60; i += 1) bytes[voxOffset + i] = i;
  assert.ok(bytes.subarray(header).includes(Buffer.from(secret)));
  return bytes;
}

const hasSecretText = (bytes: Buffer): boolean => ['Roe', 'Jane', 'MRN', '1961', 'comment', 'DICM'].some((needle) => bytes.includes(Buffer.from(needle)));

describe('NIfTI: header text cleared, extensions dropped (DEID-3)', () => {
  for (const version of [1, 2] as const) {
    for (const littleEndian of [true, false]) {
      test(`NIfTI-${version} ${littleEndian ? 'LE' : 'BE'}: no text left, voxels at ${version === 1 ? 352 : 544}, identical`, async () => {
        const input = phiNifti(version, littleEndian);
        const result = await deidentifyNifti(input);
        assert.ok(result.ok, result.ok ? '' : result.reason);
        assert.equal(hasSecretText(result.bytes), false);
        const header = validateNifti(result.bytes);
        assert.ok(header.ok);
        assert.equal(header.value.voxOffset, version === 1 ? 352 : 544);
        assert.deepEqual([header.value.hasExtensions, header.value.descrip, header.value.auxFile, header.value.intentName], [false, '', '', '']);
        assert.deepEqual(result.bytes.subarray(header.value.voxOffset), input.subarray(input.length - 60));
        assert.equal(result.report.extensionsDropped, 2);
        assert.ok(result.report.clearedFields.includes('descrip'));
      });
    }
  }

  test('.nii.gz in, .nii.gz out, without a file name or time in the gzip header', async () => {
    const input = gzipSync(phiNifti(1, true));
    const result = await deidentifyNifti(input);
    assert.ok(result.ok);
    assert.equal(result.report.gzip, true);
    assert.deepEqual([...result.bytes.subarray(0, 3)], [0x1f, 0x8b, 0x08]);
    assert.equal(result.bytes[3], 0, 'FLG: no FNAME, FCOMMENT, FEXTRA');
    assert.equal(result.bytes.readUInt32LE(4), 0, 'MTIME 0');
    assert.equal(hasSecretText(gunzipSync(result.bytes)), false);
  });

  test('refuses what it cannot read', async () => {
    const result = await deidentifyNifti(phiNifti(1, true).subarray(0, 300));
    assert.equal(result.ok, false);
  });
});

describe('PNG and JPEG: re-encoded without any metadata (DEID-3)', () => {
  const raw = Buffer.alloc(16 * 12 * 3);
  for (let i = 0; i < raw.length; i += 1) raw[i] = (i * 37) % 251;
  const exif = { IFD0: { ImageDescription: secret, Artist: secret } };

  test('PNG: eXIf, iCCP and text chunks gone; only image chunks (and libvips\' 9-byte pHYs density) remain', async () => {
    const base = await sharp(raw, { raw: { width: 16, height: 12, channels: 3 } }).withExif(exif).withIccProfile('p3').png().toBuffer();
    const input = insertAfterIhdr(base, [pngChunk('tEXt', Buffer.from(`Author\0${secret}`, 'latin1')), pngChunk('iTXt', Buffer.from(`Description\0\0\0en\0\0${secret}`, 'utf8'))]);
    const result = await deidentifyImage(input);
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.ok(result.report.metadataDropped.includes('tEXt'));
    // pHYs holds two 4-byte pixel densities and a unit byte (ISO 15948 §11.3.5.3): no text.
    assert.deepEqual([...new Set(pngChunkTypes(result.bytes))].filter((t) => !['IHDR', 'PLTE', 'IDAT', 'IEND', 'pHYs'].includes(t)), []);
    assert.equal(hasSecretText(result.bytes), false);
  });

  test('JPEG: no APP1 (EXIF/XMP), APP2 (ICC) or COM', async () => {
    const encoded = await sharp(raw, { raw: { width: 16, height: 12, channels: 3 } }).withExif(exif).withIccProfile('p3').jpeg().toBuffer();
    const comment = Buffer.from(secret, 'latin1');
    const input = Buffer.concat([encoded.subarray(0, 2), Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment, encoded.subarray(2)]);
    const result = await deidentifyImage(input);
    assert.ok(result.ok);
    const markers = jpegSegments(result.bytes).map((s) => s.marker);
    assert.deepEqual(markers.filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe), []);
    assert.equal(hasSecretText(result.bytes), false);
    for (const needle of ['Exif', 'ICC_PROFILE', 'http://ns.adobe.com']) assert.equal(result.bytes.includes(Buffer.from(needle)), false, needle);
  });
});
