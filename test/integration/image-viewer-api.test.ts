import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import sharp from 'sharp';
import { dicomInstance, niftiFile } from '../fixtures/ingest/builders.ts';
import { adminUrl } from '../helpers/test-databases.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { assignToCareTeam, createPatient } from '../helpers/patients.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';
import type { Reply } from '../helpers/http-client.ts';

/**
 * The viewer's API (DCM-3): raw pixels equal what pydicom reads, NIfTI slices in three planes,
 * JPEG 2000 refused with a stable code (RLE and JPEG baseline render: compressed-frames-api.test.ts),
 * thumbnails, the DICOM tag panel for
 * images.metadata only, every read an audited view, and one 404 for everything out of reach.
 * Malware scanning is not under test here: uploads run unscanned (image-upload.test.ts scans).
 */
const pydicom = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
let system: TestSystem;
let admin: SignedInUser;
let radiologist: SignedInUser;
let technician: SignedInUser;
let viewer: SignedInUser;
let foreign: SignedInUser;
let patient: string;
let audit: pg.Client;
/** CT_small.dcm, uploaded by the Administrator and matched to the patient with MRN 1CT1 (its Patient ID). */
let ct: string;

before(async () => {
  system = await startTestSystem({ env: { CLARUS_ALLOW_UNSCANNED: 'true' } });
  admin = await newTenantWithAdmin(system);
  radiologist = await addUser(system, admin, ['Radiologist']);
  technician = await addUser(system, admin, ['Technician']);
  viewer = await addUser(system, admin, ['Viewer']);
  foreign = await newTenantWithAdmin(system);
  patient = await createPatient(admin, { mrn: '1CT1' });
  audit = new pg.Client({ connectionString: adminUrl(`${system.databases.mainName}_audit`) });
  await audit.connect();
  ct = await upload(admin, readFileSync(join(pydicom, 'CT_small.dcm')), 'application/dicom', null);
});
after(async () => {
  await audit.end();
  await system.close();
});

async function upload(user: SignedInUser, bytes: Buffer, type: string, to: string | null = patient): Promise<string> {
  const reply = await user.client.request('POST', to === null ? '/api/images' : `/api/patients/${to}/images`, bytes, { 'content-type': type });
  assert.ok(reply.status === 201 || reply.status === 200, JSON.stringify(reply.body));
  return reply.body.instanceId as string;
}

const instanceUrl = (id: string) => `/api/images/instances/${id}`;

/** The typed pixel values of a pixel answer, from its headers. */
function pixelsOf(reply: Reply): number[] {
  const body = reply.raw.rawPayload;
  const type = reply.headers['x-clarus-pixel-type'];
  const copy = new Uint8Array(body).buffer;
  switch (type) {
    case 'int16': return Array.from(new Int16Array(copy));
    case 'uint16': return Array.from(new Uint16Array(copy));
    case 'uint8': return Array.from(new Uint8Array(copy));
    case 'float32': return Array.from(new Float32Array(copy));
    case undefined:
    default: throw new Error(`pixel type ${String(type)}`);
  }
}

/** What pydicom reads: rows, columns, the stored values (from the raw Pixel Data, in the file's byte order), rescale and window. */
function pydicomPixels(file: string): { rows: number; columns: number; values: number[]; slope: number; intercept: number; center: number | null; width: number | null } {
  const script = `
import json, struct, sys, pydicom
d = pydicom.dcmread(sys.argv[1])
n = d.Rows * d.Columns * d.SamplesPerPixel
code = {8: 'b', 16: 'h', 32: 'i'}[d.BitsAllocated]
code = code if d.PixelRepresentation == 1 else code.upper()
order = '<' if d.file_meta.TransferSyntaxUID.is_little_endian else '>'
values = struct.unpack(order + str(n) + code, d.PixelData[: n * d.BitsAllocated // 8])
first = lambda v: None if v is None else float(v[0] if isinstance(v, pydicom.multival.MultiValue) else v)
print(json.dumps({'rows': d.Rows, 'columns': d.Columns, 'values': list(values), 'slope': float(d.get('RescaleSlope', 1)),
  'intercept': float(d.get('RescaleIntercept', 0)), 'center': first(d.get('WindowCenter')), 'width': first(d.get('WindowWidth'))}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, join(pydicom, file)], { encoding: 'utf8' })) as ReturnType<typeof pydicomPixels>;
}

const viewsOf = async (instanceId: string): Promise<number> =>
  ((await audit.query("select count(*)::int as n from audit_entries where action = 'image.view' and resource_id = $1", [instanceId])).rows[0] as { n: number }).n;

describe('pixels', () => {
  test('CT_small: the stored values, rescale and window are what pydicom reads; every read is an audited view', async () => {
    const id = ct;
    const expected = pydicomPixels('CT_small.dcm');
    const reply = await admin.client.get(`${instanceUrl(id)}/frames/1/pixels`);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/octet-stream');
    assert.equal(reply.headers['cache-control'], 'no-store');
    assert.deepEqual(
      [reply.headers['x-clarus-rows'], reply.headers['x-clarus-columns'], reply.headers['x-clarus-samples'], reply.headers['x-clarus-pixel-type'], reply.headers['x-clarus-photometric'], reply.headers['x-clarus-frames']],
      ['128', '128', '1', 'int16', 'MONOCHROME2', '1'],
    );
    assert.equal(Number(reply.headers['x-clarus-rescale-slope']), expected.slope);
    assert.equal(Number(reply.headers['x-clarus-rescale-intercept']), expected.intercept);
    if (expected.center !== null) assert.equal(Number(reply.headers['x-clarus-window-center']), expected.center);
    if (expected.width !== null) assert.equal(Number(reply.headers['x-clarus-window-width']), expected.width);
    const values = pixelsOf(reply);
    assert.equal(values.length, 128 * 128);
    assert.deepEqual(values, expected.values);
    assert.equal(await viewsOf(id), 1);
    assert.equal((await radiologist.client.get(`${instanceUrl(id)}/frames/1/pixels`)).status, 200);
    assert.equal(await viewsOf(id), 2, 'a second read is a second view');
  });

  test('big-endian and implicit-VR MR_small decode to the same values as pydicom reads from each', async () => {
    // Both files carry the same SOP Instance UID: one per tenant.
    for (const [file, user] of [['MR_small_bigendian.dcm', admin], ['MR_small_implicit.dcm', foreign]] as const) {
      const id = await upload(user, readFileSync(join(pydicom, file)), 'application/dicom', await createPatient(user));
      const reply = await user.client.get(`${instanceUrl(id)}/frames/1/pixels`);
      assert.equal(reply.status, 200, file);
      assert.deepEqual(pixelsOf(reply), pydicomPixels(file).values, file);
    }
  });

  test('frames: 1-based; past the end or 0 is 404, not a number is 400, and a refused request is no view', async () => {
    const pixels = Buffer.alloc(2 * 2 * 3);
    pixels.set([1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
    const bytes = dicomInstance({ sopInstanceUid: '1.2.826.0.1.3680043.8.498.77', rows: 2, columns: 2, frames: 3, extra: Buffer.alloc(0) });
    // Replace the builder's constant pixel bytes with distinct values per frame.
    pixels.copy(bytes, bytes.length - pixels.length);
    const id = await upload(admin, bytes, 'application/dicom');
    const frame = await admin.client.get(`${instanceUrl(id)}/frames/2/pixels`);
    assert.equal(frame.status, 200);
    assert.deepEqual([frame.headers['x-clarus-pixel-type'], frame.headers['x-clarus-frames']], ['uint8', '3']);
    assert.deepEqual(pixelsOf(frame), [11, 12, 13, 14]);
    assert.deepEqual(pixelsOf(await admin.client.get(`${instanceUrl(id)}/frames/3/pixels`)), [21, 22, 23, 24]);
    const views = await viewsOf(id);
    for (const [path, status] of [['frames/4/pixels', 404], ['frames/0/pixels', 404], ['frames/first/pixels', 400], ['nifti/axial/0/pixels', 415]] as const) {
      const reply = await admin.client.get(`${instanceUrl(id)}/${path}`);
      assert.equal(reply.status, status, `${path}: ${JSON.stringify(reply.body)}`);
    }
    assert.equal(await viewsOf(id), views, 'requests refused before reading open nothing and record no view');
  });

  test('PNG: frame 1 is its RGB values; a Technician reads what they uploaded', async () => {
    const raw = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const png = await sharp(raw, { raw: { width: 2, height: 2, channels: 3 } }).png().toBuffer();
    const id = await upload(technician, png, 'image/png');
    const reply = await technician.client.get(`${instanceUrl(id)}/frames/1/pixels`);
    assert.equal(reply.status, 200);
    assert.deepEqual([reply.headers['x-clarus-samples'], reply.headers['x-clarus-photometric'], reply.headers['x-clarus-pixel-type']], ['3', 'RGB', 'uint8']);
    assert.deepEqual(pixelsOf(reply), [...raw]);
  });

  test('compressed DICOM (JPEG 2000) is stored but not rendered: 415 CLARUS_ERR_RENDER_UNSUPPORTED', async () => {
    const id = await upload(admin, readFileSync(join(pydicom, 'JPEG2000.dcm')), 'application/dicom', await createPatient(admin));
    for (const path of ['frames/1/pixels', 'thumbnail']) {
      const reply = await admin.client.get(`${instanceUrl(id)}/${path}`);
      assert.deepEqual([reply.status, reply.body.code], [415, 'CLARUS_ERR_RENDER_UNSUPPORTED'], path);
      assert.equal(typeof reply.body.requestId, 'string');
    }
    // The file itself still downloads, and its tags still show.
    assert.equal((await admin.client.get(`${instanceUrl(id)}/file`)).status, 200);
    assert.equal((await admin.client.get(`${instanceUrl(id)}/tags`)).status, 200);
  });
});

describe('NIfTI', () => {
  // x × y × z = 4 × 3 × 2, int16, voxel (x, y, z) = x + 10·y + 100·z; scl_slope 2, scl_inter −5;
  // voxels 0.5 × 0.75 × 2 mm (pixdim[1..3]); no qform/sform: RAS+ (nifti1.h method 1).
  const [nx, ny, nz] = [4, 3, 2];
  function volume(): Buffer {
    const file = niftiFile({ dims: [nx, ny, nz], datatype: 4, bitpix: 16 });
    file.writeFloatLE(2, 112);
    file.writeFloatLE(-5, 116);
    [0.5, 0.75, 2].forEach((size, i) => file.writeFloatLE(size, 80 + 4 * i));
    const start = 352;
    for (let z = 0; z < nz; z += 1) for (let y = 0; y < ny; y += 1) for (let x = 0; x < nx; x += 1) file.writeInt16LE(x + 10 * y + 100 * z, start + 2 * (x + nx * (y + ny * z)));
    return gzipSync(file);
  }
  let id = '';
  before(async () => {
    id = await upload(admin, volume(), 'application/gzip');
  });

  /**
   * Radiological convention (docs/api-images.md): rows top to bottom carry the most anterior
   * (axial, highest y) or superior (coronal, sagittal: highest z) voxels first; columns left to
   * right run from the patient's right (highest x) to left, or (sagittal) from anterior (highest
   * y) to posterior.
   */
  const cases = [
    { plane: 'axial', index: 1, rows: ny, columns: nx, value: (r: number, c: number) => (nx - 1 - c) + 10 * (ny - 1 - r) + 100 * 1, frames: nz, spacing: '0.75,0.5' },
    { plane: 'coronal', index: 2, rows: nz, columns: nx, value: (r: number, c: number) => (nx - 1 - c) + 10 * 2 + 100 * (nz - 1 - r), frames: ny, spacing: '2,0.5' },
    { plane: 'sagittal', index: 3, rows: nz, columns: ny, value: (r: number, c: number) => 3 + 10 * (ny - 1 - c) + 100 * (nz - 1 - r), frames: nx, spacing: '2,0.75' },
  ] as const;

  for (const { plane, index, rows, columns, value, frames, spacing } of cases) {
    test(`${plane} slice ${index}`, async () => {
      const reply = await admin.client.get(`${instanceUrl(id)}/nifti/${plane}/${index}/pixels`);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual(
        [reply.headers['x-clarus-rows'], reply.headers['x-clarus-columns'], reply.headers['x-clarus-frames'], reply.headers['x-clarus-dims'], reply.headers['x-clarus-pixel-type'], reply.headers['x-clarus-pixel-spacing']],
        [String(rows), String(columns), String(frames), `${nx},${ny},${nz}`, 'int16', spacing],
      );
      assert.deepEqual([Number(reply.headers['x-clarus-rescale-slope']), Number(reply.headers['x-clarus-rescale-intercept'])], [2, -5]);
      const expected = Array.from({ length: rows * columns }, (_, i) => value(Math.floor(i / columns), i % columns));
      assert.deepEqual(pixelsOf(reply), expected);
    });
  }

  test('slices outside the volume are 404, unknown planes 400, and frames are for DICOM and images', async () => {
    assert.equal((await admin.client.get(`${instanceUrl(id)}/nifti/axial/${nz}/pixels`)).status, 404);
    assert.equal((await admin.client.get(`${instanceUrl(id)}/nifti/oblique/0/pixels`)).status, 400);
    assert.equal((await admin.client.get(`${instanceUrl(id)}/nifti/axial/-1/pixels`)).status, 400);
    const frames = await admin.client.get(`${instanceUrl(id)}/frames/1/pixels`);
    assert.deepEqual([frames.status, frames.body.code], [415, 'CLARUS_ERR_RENDER_UNSUPPORTED']);
  });

  test('its thumbnail is the middle axial slice as a small PNG; it has no DICOM tags', async () => {
    const thumbnail = await admin.client.get(`${instanceUrl(id)}/thumbnail`);
    assert.equal(thumbnail.status, 200);
    assert.equal(thumbnail.headers['content-type'], 'image/png');
    const meta = await sharp(thumbnail.raw.rawPayload).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', nx, ny]);
    const tags = await admin.client.get(`${instanceUrl(id)}/tags`);
    assert.deepEqual(tags.body, { dataSet: {}, keywords: {} });
  });
});

describe('thumbnails and tags', () => {
  test('a thumbnail is a PNG of at most 128 pixels a side, windowed (not blank)', async () => {
    const reply = await radiologist.client.get(`${instanceUrl(ct)}/thumbnail`);
    assert.equal(reply.status, 200);
    const { data, info } = await sharp(reply.raw.rawPayload).raw().toBuffer({ resolveWithObject: true });
    assert.ok(info.width <= 128 && info.height <= 128);
    assert.ok(new Set(data).size > 16, 'many grey levels');
  });

  test('tags: the DICOM JSON model with keywords, no Pixel Data, for images.metadata only', async () => {
    const reply = await radiologist.client.get(`${instanceUrl(ct)}/tags`);
    assert.equal(reply.status, 200);
    const dataSet = reply.body.dataSet as Record<string, { vr: string; Value?: unknown[]; InlineBinary?: string }>;
    const keywords = reply.body.keywords as Record<string, string>;
    assert.deepEqual(dataSet['00280010'], { vr: 'US', Value: [128] });
    assert.deepEqual(dataSet['00100020'], { vr: 'LO', Value: ['1CT1'] });
    assert.equal(dataSet['00080060']?.Value?.[0], 'CT');
    assert.equal(dataSet['7FE00010'], undefined);
    assert.deepEqual([keywords['00100010'], keywords['00280010']], ['PatientName', 'Rows']);
    for (const element of Object.values(dataSet)) assert.ok((element.InlineBinary?.length ?? 0) <= Math.ceil(1024 / 3) * 4, 'no bulk over 1 KiB');
    // Technicians, Clinicians and Viewers have no images.metadata: 403 before any lookup.
    assert.deepEqual([(await technician.client.get(`${instanceUrl(ct)}/tags`)).status, (await viewer.client.get(`${instanceUrl(ct)}/tags`)).status], [403, 403]);
  });
});

describe('reach', () => {
  test('another tenant, an unassigned Viewer, a Technician who did not upload, and a random id: the same 404 on every viewer route', async () => {
    const id = ct;
    const paths = ['frames/1/pixels', 'nifti/axial/0/pixels', 'thumbnail', 'tags', 'frames/x/pixels', 'nifti/x/y/pixels'];
    const foreignAdmin = foreign;
    const views = await viewsOf(id);
    for (const [name, user] of [['other tenant', foreignAdmin], ['unassigned viewer', viewer], ['technician', technician]] as const) {
      for (const path of paths) {
        const reply = await user.client.get(`${instanceUrl(id)}/${path}`);
        const want = path === 'tags' && user !== foreignAdmin ? 403 : 404;
        assert.equal(reply.status, want, `${name} ${path}: ${JSON.stringify(reply.body)}`);
        if (want === 404) assert.equal(reply.body.code, 'CLARUS_ERR_NOT_FOUND');
      }
    }
    for (const path of paths) assert.equal((await admin.client.get(`${instanceUrl('3f0c8f8e-1d2b-4c55-9f1e-000000000000')}/${path}`)).status, 404, path);
    assert.equal(await viewsOf(id), views, 'nothing out of reach was opened');
    // Assigned to the patient, the Viewer sees it.
    await assignToCareTeam(admin, patient, viewer.userId);
    assert.equal((await viewer.client.get(`${instanceUrl(id)}/frames/1/pixels`)).status, 200);
  });
});
