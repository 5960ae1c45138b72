/**
 * The reconciliation list (issue 6 item 1): DICOM sent without a chosen patient whose Patient ID
 * matches no MRN waits, encrypted, until it is filed to a patient or discarded — through the web
 * upload, STOW-RS and DIMSE C-STORE (dcmtk's storescu), with a real clamd.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import sharp from 'sharp';
import { DimseListener } from '../../src/dimse/dimse-listener.ts';
import { startClamd, type ClamdInstance } from '../helpers/clamd.ts';
import { adminUrl } from '../helpers/test-databases.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import { dicomInstance } from '../fixtures/ingest/builders.ts';

let clamd: ClamdInstance;
let system: TestSystem;
let admin: SignedInUser;
let technician: SignedInUser;
let otherTechnician: SignedInUser;
let viewer: SignedInUser;
let stranger: SignedInUser;
let db: pg.Client;
let listener: DimseListener;
let port = 0;
let work: string;
const slug = `recon-${process.pid}`;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'clarus-recon-'));
  clamd = await startClamd();
  system = await startTestSystem({ env: { CLAMD_URL: clamd.url } });
  admin = await newTenantWithAdmin(system, slug);
  technician = await addUser(system, admin, ['Technician']);
  otherTechnician = await addUser(system, admin, ['Technician']);
  viewer = await addUser(system, admin, ['Viewer']);
  stranger = await newTenantWithAdmin(system);
  await system.composition.services.dimsePeers.addForTenant(slug, { aeTitle: 'RECON_MOD', role: 'Technician', patientIds: null, hosts: null });
  const log = () => () => undefined;
  listener = new DimseListener({ host: '127.0.0.1', aeTitle: 'CLARUS', maxAssociations: 4, maxBytes: system.config.ingest.maxBytes, port: 0 }, system.composition.services, { info: log(), warn: log(), error: log() });
  port = (await listener.start()).port;
  db = new pg.Client({ connectionString: adminUrl(system.databases.mainName) });
  await db.connect();
});

after(async () => {
  await listener.stop();
  await db.end();
  await system.close();
  await clamd.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Item { id: string; dicomPatientId: string | null; patientName: string | null; studyDate: string | null; sopInstanceUid: string; channel: string; uploadedBy: string | null }

const upload = (user: SignedInUser, bytes: Buffer) => user.client.request('POST', '/api/images', bytes, { 'content-type': 'application/dicom' });
const list = async (user: SignedInUser) => {
  const reply = await user.client.get('/api/reconciliation');
  return { status: reply.status, items: (reply.body.items ?? []) as Item[] };
};
const count = async (table: string) => ((await db.query(`select count(*)::int as n from ${table}`)).rows[0] as { n: number }).n;
const objectExists = (id: string) => existsSync(join(system.config.objectsDir, id.slice(0, 2), id));
const uid = (n: number) => `1.2.826.0.1.3680043.8.498.${process.pid}.${n}`;

/** storescu with TCP_NODELAY=1 (otherwise every C-STORE waits on a delayed ACK). */
function storescu(files: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('storescu', ['-v', '-aet', 'RECON_MOD', '-aec', 'CLARUS', '127.0.0.1', String(port), ...files], { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

describe('reconciliation list', () => {
  test('unmatched DICOM uploaded without a patient is held (202), sealed, listed to its uploader and Administrators only', async () => {
    const file = dicomInstance({ patientId: 'UNKNOWN-77', sopInstanceUid: uid(1), studyInstanceUid: uid(100), seriesInstanceUid: uid(101) });
    const before = await count('instances');
    const held = await upload(technician, file);
    assert.equal(held.status, 202, JSON.stringify(held.body));
    assert.equal(held.body.status, 'reconciliation');
    const id = held.body.reconciliationId as string;
    assert.match(id, /^[0-9a-f-]{36}$/u);
    assert.equal(await count('instances'), before, 'nothing is indexed for a patient');
    assert.ok(objectExists(id), 'the parked copy is an object');
    // Same bytes again: idempotent, the same item. Other bytes with the same SOP Instance UID: 409.
    const again = await upload(technician, file);
    assert.deepEqual([again.status, again.body.reconciliationId], [202, id]);
    const conflict = await upload(technician, dicomInstance({ patientId: 'UNKNOWN-77', sopInstanceUid: uid(1), rows: 8, columns: 8 }));
    assert.deepEqual([conflict.status, conflict.body.code], [409, 'CLARUS_ERR_INSTANCE_CONFLICT']);
    // Only ciphertext at rest: no identifying value in the row.
    const row = (await db.query('select * from reconciliation_items where id = $1', [id])).rows[0] as Record<string, unknown>;
    assert.ok(row);
    assert.ok(!JSON.stringify(row).includes('UNKNOWN-77') && !Buffer.concat(Object.values(row).filter((v): v is Buffer => Buffer.isBuffer(v))).includes('UNKNOWN-77'));
    assert.ok(!readFileSync(join(system.config.objectsDir, id.slice(0, 2), id)).includes('Synthetic^Patient'), 'the object is encrypted');

    const mine = await list(technician);
    assert.equal(mine.status, 200);
    const item = mine.items.find((i) => i.id === id);
    assert.deepEqual([item?.dicomPatientId, item?.patientName, item?.studyDate, item?.sopInstanceUid, item?.channel, item?.uploadedBy], ['UNKNOWN-77', 'Synthetic^Patient', '20240102', uid(1), 'upload', technician.userId]);
    assert.ok((await list(admin)).items.some((i) => i.id === id), 'Administrators see every item');
    assert.ok(!(await list(otherTechnician)).items.some((i) => i.id === id), 'another Technician does not');
    assert.equal((await list(viewer)).status, 403);
    assert.deepEqual((await list(stranger)).items, [], 'another tenant sees nothing');
    for (const user of [otherTechnician, stranger]) {
      assert.equal((await user.client.request('DELETE', `/api/reconciliation/${id}`)).status, 404);
      assert.equal((await user.client.post(`/api/reconciliation/${id}/assign`, { patientId: await createPatient(admin) })).status, 404);
    }
    assert.equal((await viewer.client.request('DELETE', `/api/reconciliation/${id}`)).status, 403);
    assert.ok(objectExists(id));
  });

  test('a mismatch with a chosen patient is still refused; a file that is not DICOM is never held', async () => {
    const owner = await createPatient(admin, { mrn: `OWN-${process.pid}` });
    const other = await createPatient(admin);
    const matched = dicomInstance({ patientId: `OWN-${process.pid}`, sopInstanceUid: uid(2), studyInstanceUid: uid(200), seriesInstanceUid: uid(201) });
    assert.equal((await upload(technician, matched)).status, 201);
    const misfiled = await technician.client.request('POST', `/api/patients/${other}/images`, matched, { 'content-type': 'application/dicom' });
    assert.deepEqual([misfiled.status, misfiled.body.code], [422, 'CLARUS_ERR_PATIENT_MISMATCH']);
    assert.ok(owner);
    // A PNG without a chosen patient has no Patient ID to reconcile by: refused as before.
    const png = await technician.client.request('POST', '/api/images', await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000000' } }).png().toBuffer(), { 'content-type': 'image/png' });
    assert.deepEqual([png.status, png.body.code], [422, 'CLARUS_ERR_PATIENT_UNMATCHED']);
  });

  test('assign files the instance to the chosen patient (bytes retrievable, preamble zeroed), audited, and removes the parked copy', async () => {
    const file = dicomInstance({ patientId: 'UNKNOWN-88', sopInstanceUid: uid(3), studyInstanceUid: uid(300), seriesInstanceUid: uid(301), preamble: Buffer.from('MZ-not-really-an-executable') });
    const held = await upload(technician, file);
    assert.equal(held.status, 202);
    const id = held.body.reconciliationId as string;
    const patient = await createPatient(admin);
    const bad = await technician.client.post(`/api/reconciliation/${id}/assign`, { patientId: 'nope' });
    assert.deepEqual([bad.status, bad.body.code], [400, 'CLARUS_ERR_VALIDATION']);
    const unknownPatient = await technician.client.post(`/api/reconciliation/${id}/assign`, { patientId: '00000000-0000-4000-8000-000000000000' });
    assert.deepEqual([unknownPatient.status, unknownPatient.body.code], [404, 'CLARUS_ERR_NOT_FOUND']);
    const assigned = await technician.client.post(`/api/reconciliation/${id}/assign`, { patientId: patient });
    assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
    assert.equal(assigned.body.patientId, patient);
    const instanceId = assigned.body.instanceId as string;
    assert.ok(!(await list(admin)).items.some((i) => i.id === id), 'off the list');
    assert.ok(!objectExists(id), 'the parked copy is gone');
    assert.equal(((await db.query('select count(*)::int as n from pending_objects where id = $1', [id])).rows[0] as { n: number }).n, 0);
    const studies = await admin.client.get(`/api/patients/${patient}/studies`);
    const study = (studies.body.studies as { studyInstanceUid: string; series: { instances: { id: string }[] }[] }[])[0];
    assert.equal(study?.studyInstanceUid, uid(300));
    assert.equal(study?.series[0]?.instances[0]?.id, instanceId);
    // The Technician filed it, so it is theirs to see (image-access), and the bytes are the upload's.
    const bytes = (await technician.client.get(`/api/images/instances/${instanceId}/file`)).raw.rawPayload;
    assert.ok(bytes.subarray(0, 128).equals(Buffer.alloc(128)), 'the preamble is zeroed');
    assert.ok(bytes.subarray(128).equals(file.subarray(128)), 'byte-for-byte otherwise');
    // Assigning again: the item is gone.
    assert.equal((await technician.client.post(`/api/reconciliation/${id}/assign`, { patientId: patient })).status, 404);
    // The same upload again now is a duplicate of the stored instance, not a new item.
    const resent = await upload(technician, file);
    assert.deepEqual([resent.status, resent.body.status, resent.body.instanceId], [200, 'duplicate', instanceId]);
    const audit = await admin.client.get('/api/audit/entries?action=reconciliation.assign');
    assert.equal(audit.status, 200);
    const entry = (audit.body.entries as { resourceId: string | null; patientId: string | null }[]).find((e) => e.resourceId === id);
    assert.equal(entry?.patientId, patient);
  });

  test('discard removes the item and its object; it is audited with ids only', async () => {
    const held = await upload(technician, dicomInstance({ patientId: 'UNKNOWN-99', sopInstanceUid: uid(4), studyInstanceUid: uid(400), seriesInstanceUid: uid(401) }));
    const id = held.body.reconciliationId as string;
    assert.ok(objectExists(id));
    const gone = await admin.client.request('DELETE', `/api/reconciliation/${id}`);
    assert.equal(gone.status, 204);
    assert.ok(!objectExists(id));
    assert.ok(!(await list(admin)).items.some((i) => i.id === id));
    assert.equal((await admin.client.request('DELETE', `/api/reconciliation/${id}`)).status, 404);
    const audit = await admin.client.get('/api/audit/entries?action=reconciliation.discard');
    assert.equal(audit.status, 200);
    const text = JSON.stringify(audit.body);
    assert.ok(text.includes(id));
    assert.ok(!text.includes('UNKNOWN-99') && !text.includes('Synthetic'), 'no PHI in audit entries');
  });

  test('STOW-RS answers 202 with the held instance referenced without a Retrieve URL, and a Warning header', async () => {
    const key = (await system.composition.services.serviceAccounts.createForTenant(slug, { name: 'stow', role: 'Technician', patientIds: null, expiresDays: 1 })).key;
    const boundary = 'recon-boundary';
    const part = dicomInstance({ patientId: 'UNKNOWN-STOW', sopInstanceUid: uid(5), studyInstanceUid: uid(500), seriesInstanceUid: uid(501) });
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), part, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const reply = await system.app.inject({ method: 'POST', url: '/dicom-web/studies', headers: { 'x-api-key': key, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' }, payload: body });
    assert.equal(reply.statusCode, 202, reply.body);
    assert.match(String(reply.headers.warning), /^299 clarus "1 instance\(s\) held for patient reconciliation"$/u);
    const answer = JSON.parse(reply.body) as Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }>;
    const referenced = answer['00081199']?.Value ?? [];
    assert.equal(referenced.length, 1);
    assert.deepEqual(referenced[0]?.['00081155']?.Value, [uid(5)]);
    assert.equal(referenced[0]?.['00081190']?.Value, undefined, 'no Retrieve URL until it is filed');
    assert.equal(answer['00081198'], undefined);
    assert.ok((await list(admin)).items.some((i) => i.sopInstanceUid === uid(5) && i.channel === 'stow'));
  });

  test('DIMSE C-STORE of an unmatched instance answers Success and the instance is listed', async () => {
    const path = join(work, 'unmatched.dcm');
    writeFileSync(path, dicomInstance({ patientId: 'UNKNOWN-DIMSE', sopInstanceUid: uid(6), studyInstanceUid: uid(600), seriesInstanceUid: uid(601) }));
    const out = await storescu([path]);
    assert.match(out, /Received Store Response \(Success\)/u, out);
    const item = (await list(admin)).items.find((i) => i.sopInstanceUid === uid(6));
    assert.equal(item?.channel, 'dimse');
    assert.equal(item?.dicomPatientId, 'UNKNOWN-DIMSE');
    // Sent again by the modality: idempotent, still one item.
    assert.match(await storescu([path]), /Received Store Response \(Success\)/u);
    assert.equal((await list(admin)).items.filter((i) => i.sopInstanceUid === uid(6)).length, 1);
    // An Administrator files it; a Technician (not the DIMSE peer's account) never saw it.
    assert.ok(!(await list(technician)).items.some((i) => i.sopInstanceUid === uid(6)));
    const patient = await createPatient(admin);
    const assigned = await admin.client.post(`/api/reconciliation/${item?.id ?? ''}/assign`, { patientId: patient });
    assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
  });
});
