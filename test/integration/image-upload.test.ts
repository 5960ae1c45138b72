import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import sharp from 'sharp';
import { eicarTestString } from '../helpers/clamd.ts';
import type { TestSystem } from '../helpers/test-system.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import { dicomInstance, mzHeader } from '../fixtures/ingest/builders.ts';
import { startUploadSystem, type UploadSystem } from '../helpers/upload-system.ts';

const pydicom = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const LIMIT = 2 * 1024 * 1024;
let system: TestSystem;
let admin: SignedInUser;
let technician: SignedInUser;
let db: pg.Client;

let uploads: UploadSystem;

before(async () => {
  uploads = await startUploadSystem({ CLARUS_UPLOAD_MAX_BYTES: String(LIMIT) });
  ({ system, admin, technician, db } = uploads);
});
after(async () => uploads.close());

const upload = (user: SignedInUser, url: string, bytes: Buffer, type: string) => user.client.request('POST', url, bytes, { 'content-type': type });
const count = async (table: string) => ((await db.query(`select count(*)::int as n from ${table}`)).rows[0] as { n: number }).n;
const securityEvents = async (kind: string) => ((await db.query('select count(*)::int as n from security_events where kind = $1', [kind])).rows[0] as { n: number }).n;

describe('uploads', () => {
  test('DICOM is matched by Patient ID ↔ MRN, stored with its preamble zeroed, idempotent, and retrievable', async () => {
    const patient = await createPatient(admin, { mrn: '1CT1' });
    const original = readFileSync(join(pydicom, 'CT_small.dcm'));
    const stored = await upload(technician, '/api/images', original, 'application/dicom');
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    assert.equal(stored.body.patientId, patient);
    assert.equal(stored.body.kind, 'dicom');
    const again = await upload(technician, '/api/images', original, 'application/dicom');
    assert.equal(again.status, 200);
    assert.deepEqual([again.body.status, again.body.instanceId], ['duplicate', stored.body.instanceId]);
    const file = await admin.client.get(`/api/images/instances/${stored.body.instanceId as string}/file`);
    assert.equal(file.status, 200);
    const bytes = file.raw.rawPayload;
    assert.ok(bytes.subarray(0, 128).equals(Buffer.alloc(128)), 'the preamble is zeroed');
    assert.ok(bytes.subarray(128).equals(original.subarray(128)), 'everything else is byte-for-byte');
    const studies = await admin.client.get(`/api/patients/${patient}/studies`);
    const study = (studies.body.studies as { modalities: string[]; studyInstanceUid: string; series: { instances: { rows: number }[] }[] }[])[0];
    assert.deepEqual(study?.modalities, ['CT']);
    assert.equal(study?.series[0]?.instances[0]?.rows, 128);
    assert.match(study?.studyInstanceUid ?? '', /^1\.3\.6\.1\.4\.1\.5962\./);
  });

  test('unmatched DICOM waits for reconciliation unless a patient is chosen; another file with the same SOP Instance UID is a 409', async () => {
    const mr = readFileSync(join(pydicom, 'MR_small.dcm'));
    // No patient has its Patient ID as MRN: held in the reconciliation list (reconciliation.test.ts).
    const unmatched = await upload(technician, '/api/images', mr, 'application/dicom');
    assert.equal(unmatched.status, 202);
    assert.equal(unmatched.body.status, 'reconciliation');
    const patient = await createPatient(admin);
    assert.equal((await upload(technician, `/api/patients/${patient}/images`, mr, 'application/dicom')).status, 201);
    const conflict = await upload(technician, `/api/patients/${patient}/images`, readFileSync(join(pydicom, 'MR_small_bigendian.dcm')), 'application/dicom');
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.code, 'CLARUS_ERR_INSTANCE_CONFLICT');
  });

  test('type comes from the bytes and must agree with Content-Type; truncated and oversize files leave nothing', async () => {
    const patient = await createPatient(admin);
    const before = { instances: await count('instances'), studies: await count('studies') };
    const ct = readFileSync(join(pydicom, 'CT_small.dcm'));
    const mismatch = await upload(technician, `/api/patients/${patient}/images`, ct, 'image/png');
    assert.deepEqual([mismatch.status, mismatch.body.code], [415, 'CLARUS_ERR_FILE_TYPE_MISMATCH']);
    const unknown = await upload(technician, `/api/patients/${patient}/images`, Buffer.from('%PDF-1.7 not an image'), 'application/octet-stream');
    assert.deepEqual([unknown.status, unknown.body.code], [415, 'CLARUS_ERR_FILE_UNSUPPORTED_TYPE']);
    const truncated = await upload(technician, `/api/patients/${patient}/images`, readFileSync(join(pydicom, 'MR_truncated.dcm')), 'application/dicom');
    assert.deepEqual([truncated.status, truncated.body.code], [422, 'CLARUS_ERR_FILE_TRUNCATED']);
    const cut = await upload(technician, `/api/patients/${patient}/images`, ct.subarray(0, ct.length - 1000), 'application/dicom');
    assert.equal(cut.status, 422);
    const big = Buffer.concat([ct, Buffer.alloc(LIMIT)]);
    const oversize = await upload(technician, `/api/patients/${patient}/images`, big, 'application/dicom');
    assert.deepEqual([oversize.status, oversize.body.code], [413, 'CLARUS_ERR_FILE_TOO_LARGE']);
    assert.ok((await securityEvents('ingest.oversize')) >= 1);
    assert.deepEqual({ instances: await count('instances'), studies: await count('studies') }, before, 'nothing partially stored');
  });

  test('a DICOM/executable polyglot is accepted only with its preamble zeroed', async () => {
    const patient = await createPatient(admin);
    const polyglot = dicomInstance({ preamble: mzHeader(), sopInstanceUid: '1.2.826.0.1.3680043.8.498.77' });
    const stored = await upload(technician, `/api/patients/${patient}/images`, polyglot, 'application/dicom');
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    const file = await admin.client.get(`/api/images/instances/${stored.body.instanceId as string}/file`);
    assert.ok(!file.raw.rawPayload.subarray(0, 2).equals(Buffer.from('MZ')), 'no MZ header is served');
  });

  test('EICAR alone, in a DICOM preamble and in a PNG is refused, quarantined, and a Critical event', async () => {
    const patient = await createPatient(admin);
    const eicar = eicarTestString();
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
    const inPng = Buffer.concat([png.subarray(0, png.length - 12), eicar, png.subarray(png.length - 12)]);
    const inDicom = dicomInstance({ preamble: Buffer.concat([eicar, Buffer.alloc(128 - eicar.length)]), sopInstanceUid: '1.2.826.0.1.3680043.8.498.78' });
    const quarantinedBefore = await count('quarantine');
    const criticalBefore = await securityEvents('ingest.malware');
    for (const [bytes, type] of [[eicar, 'application/octet-stream'], [inDicom, 'application/dicom'], [inPng, 'image/png']] as const) {
      const reply = await upload(technician, `/api/patients/${patient}/images`, bytes, type);
      assert.deepEqual([reply.status, reply.body.code], [422, 'CLARUS_ERR_FILE_INFECTED']);
    }
    assert.equal(await count('quarantine'), quarantinedBefore + 3);
    assert.equal(await securityEvents('ingest.malware'), criticalBefore + 3);
    const severity = await db.query("select distinct severity from security_events where kind = 'ingest.malware'");
    assert.deepEqual(severity.rows, [{ severity: 'Critical' }]);
  });

  test('parallel uploads of one new study and series land in one study and one series', async () => {
    const patient = await createPatient(admin);
    const files = Array.from({ length: 8 }, (_, i) => dicomInstance({
      sopInstanceUid: `1.2.826.0.1.3680043.8.498.600.${i + 1}`, studyInstanceUid: '1.2.826.0.1.3680043.8.498.601', seriesInstanceUid: '1.2.826.0.1.3680043.8.498.602', patientId: 'PARALLEL-1',
    }));
    const replies = await Promise.all(files.map((file) => upload(technician, `/api/patients/${patient}/images`, file, 'application/dicom')));
    assert.deepEqual(replies.map((r) => r.status), files.map(() => 201), JSON.stringify(replies.map((r) => r.body.code)));
    assert.equal(new Set(replies.map((r) => r.body.studyId)).size, 1);
    assert.equal(new Set(replies.map((r) => r.body.seriesId)).size, 1);
  });

  test('PNG and JPEG are stored without metadata', async () => {
    const patient = await createPatient(admin);
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } }).withMetadata({ exif: { IFD0: { ImageDescription: 'PATIENT-NAME-IN-EXIF' } } }).png().toBuffer();
    const stored = await upload(technician, `/api/patients/${patient}/images`, png, 'image/png');
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    const file = (await admin.client.get(`/api/images/instances/${stored.body.instanceId as string}/file`)).raw.rawPayload;
    assert.ok(!file.includes(Buffer.from('PATIENT-NAME-IN-EXIF')));
    assert.ok(!file.includes(Buffer.from('eXIf')));
  });
});

describe('who sees which images', () => {
  test('a Technician sees only their own uploads; an unassigned Viewer and another tenant see nothing', async () => {
    const patient = await createPatient(admin);
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#102030' } }).png().toBuffer();
    const mine = await upload(technician, `/api/patients/${patient}/images`, png, 'image/png');
    assert.equal(mine.status, 201);
    const instance = mine.body.instanceId as string;
    const otherTechnician = await addUser(system, admin, ['Technician']);
    const viewer = await addUser(system, admin, ['Viewer']);
    const stranger = await newTenantWithAdmin(system);
    assert.equal(((await technician.client.get(`/api/patients/${patient}/studies`)).body.studies as unknown[]).length, 1);
    assert.deepEqual((await otherTechnician.client.get(`/api/patients/${patient}/studies`)).body.studies, []);
    for (const user of [otherTechnician, viewer, stranger]) {
      assert.equal((await user.client.get(`/api/images/instances/${instance}`)).status, 404);
      assert.equal((await user.client.get(`/api/images/instances/${instance}/file`)).status, 404);
    }
    assert.equal((await viewer.client.get(`/api/patients/${patient}/studies`)).status, 404);
    assert.equal((await stranger.client.get(`/api/patients/${patient}/studies`)).status, 404);
    assert.equal((await viewer.client.request('POST', `/api/patients/${patient}/images`, Buffer.alloc(10), { 'content-type': 'application/dicom' })).status, 403);
  });
});
