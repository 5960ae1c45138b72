import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';
import type { Reply } from '../helpers/http-client.ts';

/**
 * The viewer's API (DCM-3) on compressed DICOM: an RLE Lossless and a JPEG Baseline file of
 * pydicom's test data, uploaded through `POST /api/patients/{id}/images`, answer their frame's pixel
 * values and a PNG thumbnail (200); JPEG 2000 still answers 415 (image-viewer-api.test.ts).
 * Uploads run unscanned (image-upload.test.ts scans).
 */
const pydicom = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
let system: TestSystem;
let admin: SignedInUser;
/** One patient for all (pydicom's SC_rgb_* files share their study). */
let patient: string;

before(async () => {
  system = await startTestSystem({ env: { CLARUS_ALLOW_UNSCANNED: 'true' } });
  admin = await newTenantWithAdmin(system);
  patient = await createPatient(admin);
});
after(async () => {
  await system.close();
});

async function upload(name: string): Promise<string> {
  const reply = await admin.client.request('POST', `/api/patients/${patient}/images`, readFileSync(join(pydicom, name)), { 'content-type': 'application/dicom' });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body.instanceId as string;
}

const headers = (reply: Reply) => ['x-clarus-rows', 'x-clarus-columns', 'x-clarus-samples', 'x-clarus-pixel-type', 'x-clarus-photometric', 'x-clarus-frames'].map((h) => reply.headers[h]);

/** The stored values pydicom reads from the raw Pixel Data of an uncompressed little-endian file. */
function pydicomValues(file: string): number[] {
  const script = `
import json, struct, sys, pydicom
d = pydicom.dcmread(sys.argv[1])
n = d.Rows * d.Columns * d.SamplesPerPixel
code = {8: 'b', 16: 'h'}[d.BitsAllocated]
code = code if d.PixelRepresentation == 1 else code.upper()
print(json.dumps(list(struct.unpack('<' + str(n) + code, d.PixelData[: n * d.BitsAllocated // 8]))))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, join(pydicom, file)], { encoding: 'utf8' })) as number[];
}

async function thumbnailOf(id: string): Promise<{ width: number; height: number; levels: number }> {
  const reply = await admin.client.get(`/api/images/instances/${id}/thumbnail`);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.headers['content-type'], 'image/png');
  const { data, info } = await sharp(reply.raw.rawPayload).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, levels: new Set(data).size };
}

test('RLE Lossless: MR_small_RLE answers exactly the stored values pydicom reads from uncompressed MR_small, and a thumbnail', async () => {
  const id = await upload('MR_small_RLE.dcm');
  const reply = await admin.client.get(`/api/images/instances/${id}/frames/1/pixels`);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.headers['content-type'], 'application/octet-stream');
  assert.deepEqual(headers(reply), ['64', '64', '1', 'int16', 'MONOCHROME2', '1']);
  assert.deepEqual(Array.from(new Int16Array(new Uint8Array(reply.raw.rawPayload).buffer)), pydicomValues('MR_small.dcm'));
  const thumbnail = await thumbnailOf(id);
  assert.deepEqual([thumbnail.width, thumbnail.height], [64, 64]);
  assert.ok(thumbnail.levels > 16, 'windowed, not blank');
});

test('RLE Lossless colour, two frames: each frame is 8-bit RGB', async () => {
  const id = await upload('SC_rgb_rle_2frame.dcm');
  for (const frame of [1, 2]) {
    const reply = await admin.client.get(`/api/images/instances/${id}/frames/${frame}/pixels`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(headers(reply), ['100', '100', '3', 'uint8', 'RGB', '2']);
    assert.equal(reply.raw.rawPayload.length, 100 * 100 * 3);
  }
  assert.equal((await admin.client.get(`/api/images/instances/${id}/frames/3/pixels`)).status, 404);
});

test('JPEG Baseline with a YBR_FULL header: RGB pixels (converted once) and a thumbnail', async () => {
  const id = await upload('SC_rgb_jpeg_dcmtk.dcm');
  const reply = await admin.client.get(`/api/images/instances/${id}/frames/1/pixels`);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.deepEqual(headers(reply), ['100', '100', '3', 'uint8', 'RGB', '1']);
  const pixels = reply.raw.rawPayload;
  assert.equal(pixels.length, 100 * 100 * 3);
  // The first rows of pydicom's colour-bar image are pure red: R high, G and B low (lossy: a margin).
  const [r, g, b] = [pixels[0] ?? 0, pixels[1] ?? 255, pixels[2] ?? 255];
  assert.ok(r > 240 && g < 15 && b < 15, `first pixel ${r},${g},${b}`);
  const thumbnail = await thumbnailOf(id);
  assert.deepEqual([thumbnail.width, thumbnail.height], [100, 100]);
});

test('JPEG Extended 12-bit stays 415 CLARUS_ERR_RENDER_UNSUPPORTED, and its file still downloads', async () => {
  const id = await upload('JPEG-lossy.dcm');
  for (const path of ['frames/1/pixels', 'thumbnail']) {
    const reply = await admin.client.get(`/api/images/instances/${id}/${path}`);
    assert.deepEqual([reply.status, reply.body.code], [415, 'CLARUS_ERR_RENDER_UNSUPPORTED'], path);
  }
  assert.equal((await admin.client.get(`/api/images/instances/${id}/file`)).status, 200);
});
