/**
 * Research exports, consent and pixel review end to end (issue 7; DEID-1..4, PRIV-1, AUD-1): a
 * Radiologist exports studies de-identified; consent per patient and purpose and the burned-in text
 * gate decide what may leave; the archive is checked by independent code — Python's zipfile and
 * pydicom (`scripts/check-deid.py`, Debian's python3-pydicom) — not by Clarus's own readers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { TABLE_PATH } from '../fixtures/deid/marker-instance.ts';
import type { Principal } from '../../src/services/context.ts';
import { dicomInstance, element, EXPLICIT_LITTLE_ENDIAN } from '../fixtures/ingest/builders.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient, patientBody } from '../helpers/patients.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';

const checker = resolve(import.meta.dirname, '../../scripts/check-deid.py');
const US_MULTIFRAME = '1.2.840.10008.5.1.4.1.1.6.1';
const OPTIONS = ['retain-longitudinal-modified-dates', 'retain-patient-characteristics'];

let system: TestSystem;
let admin: SignedInUser;
let radiologist: SignedInUser;
let viewer: SignedInUser;
let work: string;
const patient = { id: '', mrn: '', family: '' };
const other = { id: '', mrn: '' };
const ids = { ctStudy: '', usStudy: '', usInstance: '', usSeries: '', otherStudy: '', ctSeries: '' };
const originals = new Map<number, string>();

/** An ultrasound frame whose top two rows are "text" (0xFF): a reviewer masks them. */
function ultrasound(mrn: string, n = 0, rows = 8, columns = 8): Buffer {
  const uid = (k: number) => `1.2.826.0.1.3680043.8.498.9${n}${k}`;
  const pixels = Buffer.alloc(rows * columns, 0x20);
  pixels.fill(0xff, 0, 2 * columns);
  const meta = Buffer.concat([
    element(0x00020001, 'OB', Buffer.from([0, 1])), element(0x00020002, 'UI', US_MULTIFRAME), element(0x00020003, 'UI', uid(0)),
    element(0x00020010, 'UI', EXPLICIT_LITTLE_ENDIAN), element(0x00020012, 'UI', '1.2.826.0.1.3680043.8.498.0'),
  ]);
  const dataSet = Buffer.concat([
    element(0x00080016, 'UI', US_MULTIFRAME), element(0x00080018, 'UI', uid(0)), element(0x00080020, 'DA', '20240301'),
    element(0x00080060, 'CS', 'US'), element(0x00080070, 'LO', 'ACME'), element(0x00100010, 'PN', 'Lovelace^Ada'), element(0x00100020, 'LO', mrn),
    element(0x00101010, 'AS', '095Y'), element(0x0020000d, 'UI', uid(1)), element(0x0020000e, 'UI', uid(2)),
    element(0x00280002, 'US', 1), element(0x00280004, 'CS', 'MONOCHROME2'), element(0x00280008, 'IS', '1'), element(0x00280010, 'US', rows), element(0x00280011, 'US', columns),
    element(0x00280100, 'US', 8), element(0x00280101, 'US', 8), element(0x00280103, 'US', 0), element(0x7fe00010, 'OB', pixels),
  ]);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), element(0x00020000, 'UL', meta.length), meta, dataSet]);
}

async function upload(user: SignedInUser, patientId: string, bytes: Buffer): Promise<{ instanceId: string; studyId: string; seriesId: string }> {
  const reply = await user.client.request('POST', `/api/patients/${patientId}/images`, bytes, { 'content-type': 'application/dicom' });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body as { instanceId: string; studyId: string; seriesId: string };
}

async function stepUp(user: SignedInUser): Promise<void> {
  assert.equal((await user.client.post('/api/auth/step-up', { code: user.nextCode() })).status, 200);
}

function principalOf(user: SignedInUser, roles: string[]): Principal {
  return { kind: 'user', tenantId: user.tenantId, userId: user.userId, sessionId: '', stage: 'full', roles, stepUpAt: null, patientRestriction: null };
}

before(async () => {
  system = await startTestSystem({ env: { CLARUS_ALLOW_UNSCANNED: 'true', CLARUS_STEP_UP_WINDOW: '300' } });
  work = mkdtempSync(join(tmpdir(), 'clarus-export-'));
  admin = await newTenantWithAdmin(system);
  radiologist = await addUser(system, admin, ['Radiologist']);
  viewer = await addUser(system, admin, ['Viewer']);
  const body = patientBody({ birthDate: '1931-05-02' });
  patient.mrn = body.mrn as string;
  patient.family = body.familyName as string;
  patient.id = await createPatient(admin, body);
  const otherBody = patientBody();
  other.mrn = otherBody.mrn as string;
  other.id = await createPatient(admin, otherBody);
  for (const rows of [4, 5, 6]) {
    const bytes = dicomInstance({ patientId: patient.mrn, rows, columns: 4, sopInstanceUid: `1.2.826.0.1.3680043.8.498.10${rows}`, studyInstanceUid: '1.2.826.0.1.3680043.8.498.100', seriesInstanceUid: '1.2.826.0.1.3680043.8.498.101' });
    const stored = await upload(radiologist, patient.id, bytes);
    ids.ctStudy = stored.studyId;
    ids.ctSeries = stored.seriesId;
    const path = join(work, `original-${rows}.dcm`);
    writeFileSync(path, bytes);
    originals.set(rows, path);
  }
  const us = await upload(radiologist, patient.id, ultrasound(patient.mrn));
  Object.assign(ids, { usStudy: us.studyId, usInstance: us.instanceId, usSeries: us.seriesId });
  ids.otherStudy = (await upload(radiologist, other.id, dicomInstance({ patientId: other.mrn, sopInstanceUid: '1.2.826.0.1.3680043.8.498.200', studyInstanceUid: '1.2.826.0.1.3680043.8.498.201', seriesInstanceUid: '1.2.826.0.1.3680043.8.498.202' }))).studyId;
});

after(async () => {
  await system.close();
  rmSync(work, { recursive: true, force: true });
});

test('consent is recorded per patient and purpose by staff who reach the patient, and audited', async () => {
  const before = await radiologist.client.get(`/api/patients/${patient.id}/consents`);
  assert.equal(before.status, 200);
  assert.deepEqual((before.body.consents as Array<{ purpose: string; status: string }>).map((c) => [c.purpose, c.status]), [['research', 'unknown'], ['clinical-ai', 'unknown']]);
  assert.equal((await viewer.client.request('PUT', `/api/patients/${patient.id}/consents/research`, { status: 'granted' })).status, 403);
  assert.equal((await radiologist.client.request('PUT', `/api/patients/${patient.id}/consents/research`, { status: 'granted' })).status, 403, 'Radiologists do not record consent');
  assert.equal((await admin.client.request('PUT', `/api/patients/${patient.id}/consents/marketing`, { status: 'granted' })).status, 400);
  assert.equal((await admin.client.request('PUT', `/api/patients/${patient.id}/consents/research`, { status: 'maybe' })).status, 400);
  const granted = await admin.client.request('PUT', `/api/patients/${patient.id}/consents/research`, { status: 'granted' });
  assert.equal(granted.status, 200, JSON.stringify(granted.body));
  const research = (granted.body.consents as Array<{ purpose: string; status: string; recordedBy: { id: string } }>).find((c) => c.purpose === 'research');
  assert.equal(research?.status, 'granted');
  assert.equal(research?.recordedBy.id, admin.userId);
  const foreign = await newTenantWithAdmin(system);
  assert.equal((await foreign.client.get(`/api/patients/${patient.id}/consents`)).status, 404);
  assert.equal((await foreign.client.request('PUT', `/api/patients/${patient.id}/consents/research`, { status: 'granted' })).status, 404);
});

test('an export is refused without step-up, without consent, with a Safe Harbor-breaking option, or with unreviewed pixels', async () => {
  const body = { studyIds: [ids.ctStudy, ids.usStudy, ids.otherStudy], purpose: 'Lung nodule study 2026', options: OPTIONS };
  const preflight = await radiologist.client.post('/api/research-exports/preflight', body);
  assert.equal(preflight.status, 200, JSON.stringify(preflight.body));
  assert.equal(preflight.body.ready, false);
  const studies = preflight.body.studies as Array<{ studyId: string; consent: string; instances: number; held: Array<{ instanceId: string; reason: string }> }>;
  assert.equal(studies.find((s) => s.studyId === ids.otherStudy)?.consent, 'unknown');
  assert.deepEqual(studies.find((s) => s.studyId === ids.usStudy)?.held.map((h) => [h.instanceId, h.reason]), [[ids.usInstance, 'ultrasound']]);
  assert.equal(studies.find((s) => s.studyId === ids.ctStudy)?.held.length, 0);

  system.clock.advance(400); // past the step-up of the enrolment
  assert.equal((await radiologist.client.post('/api/research-exports', body)).body.code, 'CLARUS_ERR_STEP_UP_REQUIRED');
  await stepUp(radiologist);
  assert.equal((await radiologist.client.post('/api/research-exports', body)).body.code, 'CLARUS_ERR_CONSENT_MISSING');
  const mine = { ...body, studyIds: [ids.ctStudy, ids.usStudy] };
  assert.equal((await radiologist.client.post('/api/research-exports', mine)).body.code, 'CLARUS_ERR_PIXEL_REVIEW_PENDING');
  const refused = await radiologist.client.post('/api/research-exports', { ...mine, options: ['retain-uids'] });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'CLARUS_ERR_DEID_OPTION_REFUSED');
  assert.equal((await radiologist.client.post('/api/research-exports', { ...mine, options: ['no-such-option'] })).status, 400);
  assert.equal((await radiologist.client.post('/api/research-exports', { ...mine, studyIds: [crypto.randomUUID()] })).status, 404);
  assert.equal((await viewer.client.post('/api/research-exports/preflight', mine)).status, 403);
  assert.equal((await radiologist.client.get('/api/research-exports')).body.exports instanceof Array, true);
  assert.equal(((await radiologist.client.get('/api/research-exports')).body.exports as unknown[]).length, 0, 'nothing was queued');
});

test('a reviewer masks the ultrasound; the exported archive passes the independent checker and carries no identifier', async () => {
  const review = await radiologist.client.get(`/api/images/instances/${ids.usInstance}/pixel-review`);
  assert.equal(review.status, 200);
  assert.equal(review.body.hold, true);
  assert.equal(review.body.decision, null);
  assert.equal((await viewer.client.post(`/api/images/instances/${ids.usInstance}/pixel-review`, { decision: 'confirmed-clean' })).status, 403);
  assert.equal((await radiologist.client.post(`/api/images/instances/${ids.usInstance}/pixel-review`, { decision: 'masked', regions: [{ x: 0, y: 0, width: 9, height: 2 }] })).status, 400, 'outside the 8×8 image');
  const masked = await radiologist.client.post(`/api/images/instances/${ids.usInstance}/pixel-review`, { decision: 'masked', regions: [{ x: 0, y: 0, width: 8, height: 2 }] });
  assert.equal(masked.status, 200, JSON.stringify(masked.body));
  assert.equal((masked.body.decision as { decision: string }).decision, 'masked');

  system.clock.advance(400);
  await stepUp(radiologist);
  const requested = await radiologist.client.post('/api/research-exports', { studyIds: [ids.ctStudy, ids.usStudy], purpose: 'Lung nodule study 2026', options: OPTIONS });
  assert.equal(requested.status, 202, JSON.stringify(requested.body));
  const exportId = requested.body.id as string;
  assert.equal(requested.body.state, 'queued');
  assert.deepEqual(requested.body.progress, { done: 0, total: 4 });
  assert.equal((await radiologist.client.get(`/api/research-exports/${exportId}/download`)).body.code, 'CLARUS_ERR_EXPORT_NOT_READY');

  const objectsBefore = objectFiles(system.config.objectsDir);
  assert.equal(await system.composition.services.researchExports.runPending(), 1);
  const archives = [...objectFiles(system.config.objectsDir).keys()].filter((id) => !objectsBefore.has(id));
  assert.equal(archives.length, 1, 'the run wrote one object: the archive');
  const archive = objectFiles(system.config.objectsDir).get(archives[0] as string) as string;
  const done = await radiologist.client.get(`/api/research-exports/${exportId}`);
  assert.equal(done.body.state, 'ready', JSON.stringify(done.body));
  assert.deepEqual(done.body.progress, { done: 4, total: 4 });
  assert.equal(done.body.withheld, 0);

  // Encrypted at rest: the archive object holds no manifest text and no ZIP signature in the clear.
  const stored = readFileSync(archive);
  assert.equal(stored.includes(Buffer.from('manifest.json')), false);
  assert.equal(stored.subarray(0, 2).toString('latin1') === 'PK', false);

  assert.equal((await admin.client.get(`/api/research-exports/${exportId}/download`)).body.code, 'CLARUS_ERR_STEP_UP_REQUIRED', 'AUTH-7: downloading is exporting');
  await stepUp(admin);
  assert.equal((await admin.client.get(`/api/research-exports/${exportId}/download`)).status, 404, 'only the requester downloads');
  assert.equal((await radiologist.client.request('POST', `/api/research-exports/${exportId}/download-check`)).status, 204);
  const download = await radiologist.client.get(`/api/research-exports/${exportId}/download`);
  assert.equal(download.status, 200);
  assert.equal(download.headers['content-type'], 'application/zip');
  const zip = download.raw.rawPayload;
  assert.equal(zip.length, done.body.size);
  for (const secret of [patient.mrn, patient.family, 'Lovelace', '19310502', '095Y']) assert.equal(zip.includes(Buffer.from(secret)), false, `${secret} is not in the archive`);

  const zipPath = join(work, 'export.zip');
  const out = join(work, 'unzipped');
  writeFileSync(zipPath, zip);
  const unzip = spawnSync('/usr/bin/python3', ['-c', 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nz.extractall(sys.argv[2])\nprint("\\n".join(z.namelist()))', zipPath, out], { encoding: 'utf8' });
  assert.equal(unzip.status, 0, unzip.stderr);
  const names = unzip.stdout.trim().split('\n');
  assert.equal(names.length, 5);
  assert.ok(names.includes('manifest.json'));
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { purpose: string; patients: Array<{ pseudonym: string; sex: string; birthYear: unknown }>; files: Array<{ path: string; kind: string }>; profile: { options: string[]; codes: string[] } };
  assert.equal(manifest.purpose, 'Lung nodule study 2026');
  assert.equal(manifest.patients.length, 1);
  assert.equal(manifest.patients[0]?.birthYear, '90 or older', 'Safe Harbor aggregates ages over 89');
  assert.deepEqual(manifest.profile.codes, ['113100', '113107', '113108']);
  const pseudonym = manifest.patients[0]?.pseudonym;
  assert.ok(names.filter((n) => n !== 'manifest.json').every((n) => pseudonym !== undefined && n.startsWith(`${pseudonym}/2.25.`) && n.endsWith('.dcm')));

  // Pair each de-identified CT with its original by its size (Rows), as nothing else links them.
  const outputs = names.filter((n) => n !== 'manifest.json').map((n) => join(out, n));
  const rowsOf = spawnSync('/usr/bin/python3', ['-c', 'import sys, pydicom\nfor p in sys.argv[1:]:\n  d = pydicom.dcmread(p)\n  print(p, d.Rows, d.Modality, d.get("PatientAge", "-"), d.PixelData[:16].hex())', ...outputs], { encoding: 'utf8' });
  assert.equal(rowsOf.status, 0, rowsOf.stderr);
  const described = rowsOf.stdout.trim().split('\n').map((line) => line.split(' '));
  const pairs = described.filter((d) => d[2] === 'CT').map((d) => ({ original: originals.get(Number(d[1])) as string, outputs: [d[0] as string] }));
  assert.equal(pairs.length, 3);
  const pairsFile = join(work, 'pairs.json');
  writeFileSync(pairsFile, JSON.stringify(pairs));
  const check = spawnSync('/usr/bin/python3', ['-W', 'ignore', checker, '--table', TABLE_PATH, '--pairs', pairsFile, ...OPTIONS.flatMap((o) => ['--option', o])], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);

  const us = described.find((d) => d[2] === 'US') as string[];
  assert.equal(us[3], '090Y', 'Patient Age over 89 is capped');
  assert.equal(us[4], '0'.repeat(32), 'the first two rows (the "text") are blanked');

  const after = await radiologist.client.get(`/api/research-exports/${exportId}`);
  assert.equal(after.body.state, 'downloaded');
  const foreign = await newTenantWithAdmin(system);
  assert.equal((await foreign.client.get(`/api/research-exports/${exportId}`)).status, 404);

  assert.equal((await radiologist.client.request('DELETE', `/api/research-exports/${exportId}`)).status, 204);
  assert.equal(existsSync(archive), false, 'the archive is destroyed');
  assert.equal((await radiologist.client.get(`/api/research-exports/${exportId}`)).body.state, 'expired');
  assert.equal((await radiologist.client.get(`/api/research-exports/${exportId}/download`)).body.code, 'CLARUS_ERR_EXPORT_NOT_READY');
});

test('withdrawing consent after the request stops the export, and nothing is kept', async () => {
  system.clock.advance(400);
  await stepUp(radiologist);
  const requested = await radiologist.client.post('/api/research-exports', { studyIds: [ids.ctStudy], purpose: 'Second look', options: [] });
  assert.equal(requested.status, 202, JSON.stringify(requested.body));
  assert.equal((await admin.client.request('PUT', `/api/patients/${patient.id}/consents/research`, { status: 'withdrawn' })).status, 200);
  const objectsBefore = objectFiles(system.config.objectsDir);
  await system.composition.services.researchExports.runPending();
  const failed = await radiologist.client.get(`/api/research-exports/${requested.body.id as string}`);
  assert.equal(failed.body.state, 'failed');
  assert.match(failed.body.error as string, /consent/);
  assert.deepEqual([...objectFiles(system.config.objectsDir).keys()].filter((id) => !objectsBefore.has(id)), [], 'no archive is kept');
  assert.equal((await admin.client.request('PUT', `/api/patients/${patient.id}/consents/research`, { status: 'granted' })).status, 200);
});

test('the AI input path hands out de-identified copies only, after consent and pixel review', async () => {
  const inputs = system.composition.services.deidentifiedInputs;
  const origin = { sourceAddress: null, requestId: null };
  await assert.rejects(inputs.forSeries(principalOf(radiologist, ['Radiologist']), ids.ctSeries, origin), { code: 'CLARUS_ERR_CONSENT_MISSING' });
  assert.equal((await admin.client.request('PUT', `/api/patients/${patient.id}/consents/clinical-ai`, { status: 'granted' })).status, 200);
  const series = await inputs.forSeries(principalOf(radiologist, ['Radiologist']), ids.ctSeries, origin);
  assert.equal(series.count, 3);
  let files = 0;
  for await (const file of series.files) {
    files += 1;
    assert.equal(file.bytes.includes(Buffer.from(patient.mrn)), false);
    assert.equal(file.bytes.includes(Buffer.from('Synthetic^Patient')), false);
    assert.equal(file.bytes.includes(Buffer.from(series.pseudonym)), true);
  }
  assert.equal(files, 3);
  await assert.rejects(inputs.forSeries(principalOf(viewer, ['Viewer']), ids.ctSeries, origin), { code: 'CLARUS_ERR_NOT_FOUND' }, 'a Viewer off the care team reaches nothing');
  // A second ultrasound, not reviewed, holds its series back.
  const unreviewed = await upload(radiologist, patient.id, ultrasound(patient.mrn, 5));
  await assert.rejects(inputs.forSeries(principalOf(radiologist, ['Radiologist']), unreviewed.seriesId, origin), { code: 'CLARUS_ERR_PIXEL_REVIEW_PENDING' });
});

/** Every object file of the blob store (src/storage/file-blob-store.ts), by id, with its path. */
function objectFiles(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.')) walk(join(dir, entry.name));
      } else {
        found.set(entry.name, join(dir, entry.name));
      }
    }
  };
  if (existsSync(root)) walk(root);
  return found;
}
