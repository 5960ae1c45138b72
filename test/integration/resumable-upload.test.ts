import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { eicarTestString } from '../helpers/clamd.ts';
import type { Reply } from '../helpers/http-client.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import type { TestSystem } from '../helpers/test-system.ts';
import { dicomInstance, element } from '../fixtures/ingest/builders.ts';
import { startUploadSystem, type UploadSystem } from '../helpers/upload-system.ts';

/**
 * Resumable uploads over the tus 1.0.0 protocol (issue 6 item 1, docs/api-images.md): chunks are
 * encrypted at rest, an interrupted PATCH keeps what arrived, the completed upload takes the same
 * ingest pipeline (clamd included) as a plain one, sessions belong to their owner only.
 */
const LIMIT = 2 * 1024 * 1024;
const TUS = { 'tus-resumable': '1.0.0' };
let system: TestSystem;
let admin: SignedInUser;
let technician: SignedInUser;
let db: pg.Client;
let port = 0;

let uploads: UploadSystem;

before(async () => {
  uploads = await startUploadSystem({ CLARUS_UPLOAD_MAX_BYTES: String(LIMIT) });
  ({ system, admin, technician, db } = uploads);
  await system.app.listen({ port: 0, host: '127.0.0.1' });
  port = (system.app.server.address() as AddressInfo).port;
});
after(async () => uploads.close());

const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64');
const metadata = (contentType: string, patientId?: string) => [`contentType ${b64(contentType)}`, ...(patientId ? [`patientId ${b64(patientId)}`] : [])].join(',');

async function create(user: SignedInUser, length: number, contentType: string, patientId?: string): Promise<string> {
  const reply = await user.client.request('POST', '/api/uploads', undefined, { ...TUS, 'upload-length': String(length), 'upload-metadata': metadata(contentType, patientId) });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  assert.equal(reply.headers['tus-resumable'], '1.0.0');
  const location = String(reply.headers.location);
  assert.match(location, /^\/api\/uploads\/[0-9a-f-]{36}$/);
  return location;
}

const patch = (user: SignedInUser, url: string, offset: number, bytes: Buffer, extra: Record<string, string> = {}): Promise<Reply> =>
  user.client.request('PATCH', url, bytes, { ...TUS, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), ...extra });

const head = (user: SignedInUser, url: string): Promise<Reply> => user.client.request('HEAD' as 'GET', url, undefined, TUS);

async function offsetOf(user: SignedInUser, url: string): Promise<number> {
  const reply = await head(user, url);
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['cache-control'], 'no-store');
  return Number(reply.headers['upload-offset']);
}

/** Sends `bytes` in PATCHes of `size` from `offset` to the end; the last answer. */
async function sendRest(user: SignedInUser, url: string, bytes: Buffer, offset: number, size: number): Promise<Reply> {
  let reply: Reply | undefined;
  for (let at = offset; at < bytes.length; at += size) {
    reply = await patch(user, url, at, bytes.subarray(at, Math.min(at + size, bytes.length)));
    if (at + size < bytes.length) assert.equal(reply.status, 204, JSON.stringify(reply.body));
  }
  return reply as Reply;
}

/**
 * A PATCH over a real connection whose body stops after `sent` bytes of the `declared` ones: the
 * client's network fails mid-request (the socket is reset, the server never gets the rest).
 */
async function cutPatch(user: SignedInUser, url: string, offset: number, declared: number, sent: Buffer): Promise<void> {
  const token = await user.client.csrf();
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write([
    `PATCH ${url} HTTP/1.1`, 'Host: 127.0.0.1', `Cookie: ${user.client.cookieHeader()}`, `X-CSRF-Token: ${token}`, 'Tus-Resumable: 1.0.0',
    'Content-Type: application/offset+octet-stream', `Upload-Offset: ${offset}`, `Content-Length: ${declared}`, '', '',
  ].join('\r\n'));
  socket.write(sent);
  await delay(300);
  socket.resetAndDestroy();
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const count = async (sql: string, params: unknown[] = []) => ((await db.query(sql, params)).rows[0] as { n: number }).n;

describe('resumable uploads (tus 1.0.0)', () => {
  test('OPTIONS announces the version, the extensions and the size limit', async () => {
    const reply = await technician.client.request('OPTIONS' as 'GET', '/api/uploads');
    assert.equal(reply.status, 204);
    assert.equal(reply.headers['tus-version'], '1.0.0');
    assert.deepEqual(String(reply.headers['tus-extension']).split(','), ['creation', 'termination', 'expiration']);
    assert.equal(reply.headers['tus-max-size'], String(LIMIT));
  });

  test('a DICOM sent in several PATCHes, one cut short, resumes from HEAD and is ingested byte for byte; no plaintext at rest meanwhile', async () => {
    const patient = await createPatient(admin, { mrn: 'RESUME-1' });
    const marker = `RESUMABLE-MARKER-${process.pid}-7f3a`;
    const file = dicomInstance({
      sopInstanceUid: '1.2.826.0.1.3680043.8.498.901', studyInstanceUid: '1.2.826.0.1.3680043.8.498.902', seriesInstanceUid: '1.2.826.0.1.3680043.8.498.903',
      // Image Comments (0020,4000) carries the marker that must never be found in the clear on disk.
      patientId: 'RESUME-1', rows: 512, columns: 512, extra: element(0x00204000, 'LT', marker),
    });
    file.write('DICM', 0, 'latin1'); // a non-zero preamble, zeroed on store
    const url = await create(technician, file.length, 'application/dicom', patient);
    assert.equal(await offsetOf(technician, url), 0);

    const first = await patch(technician, url, 0, file.subarray(0, 64 * 1024));
    assert.equal(first.status, 204, JSON.stringify(first.body));
    assert.equal(first.headers['upload-offset'], String(64 * 1024));
    assert.ok(first.headers['upload-expires']);

    // The network fails during the second PATCH: 100 KiB of 150 KiB arrive.
    await cutPatch(technician, url, 64 * 1024, 150 * 1024, file.subarray(64 * 1024, 164 * 1024));
    const resumed = await offsetOf(technician, url);
    assert.equal(resumed, 164 * 1024, 'what arrived before the cut is kept, and only that');

    // Mid-upload, nothing of the file is on disk in the clear.
    const objectFiles = filesUnder(system.config.objectsDir);
    assert.ok(objectFiles.length >= 2, 'the chunks are stored');
    for (const path of objectFiles) assert.equal(readFileSync(path).includes(Buffer.from(marker)), false, `plaintext marker in ${path}`);
    for (const path of filesUnder(system.config.dataDir)) {
      if (!path.includes(`${join(system.config.dataDir, 'postgres')}`)) assert.equal(readFileSync(path).includes(Buffer.from(marker)), false, `plaintext marker in ${path}`);
    }

    const stale = await patch(technician, url, 64 * 1024, file.subarray(64 * 1024, 80 * 1024));
    assert.deepEqual([stale.status, stale.body.code], [409, 'CLARUS_ERR_UPLOAD_OFFSET_MISMATCH']);
    const chunkIds = ((await db.query('select chunk_ids from resumable_uploads where id = $1', [url.split('/').pop()])).rows[0] as { chunk_ids: string[] }).chunk_ids;
    assert.equal(chunkIds.length, 2);

    const last = await sendRest(technician, url, file, resumed, 96 * 1024);
    assert.equal(last.status, 204, JSON.stringify(last.body));
    assert.equal(last.headers['upload-offset'], String(file.length));
    assert.equal(last.headers['clarus-upload-status'], 'stored');
    const instanceId = String(last.headers['clarus-instance-id']);

    const status = await technician.client.get(url);
    assert.equal(status.status, 200);
    assert.equal(status.body.state, 'done');
    const outcome = status.body.outcome as { status: string; instanceId: string; patientId: string };
    assert.deepEqual([outcome.status, outcome.instanceId, outcome.patientId], ['stored', instanceId, patient]);

    const stored = await admin.client.get(`/api/images/instances/${instanceId}/file`);
    assert.equal(stored.status, 200);
    const bytes = stored.raw.rawPayload;
    assert.ok(bytes.subarray(0, 128).equals(Buffer.alloc(128)), 'the preamble is zeroed');
    assert.ok(bytes.subarray(128).equals(file.subarray(128)), 'everything else is byte for byte');

    for (const id of chunkIds) assert.equal(filesUnder(system.config.objectsDir).some((p) => p.endsWith(id)), false, 'chunks are removed');
    assert.equal(await count('select count(*)::int as n from pending_objects'), 0);
    const again = await patch(technician, url, file.length, Buffer.alloc(0));
    assert.equal(again.status, 409, 'a finished upload takes no more data');
  });

  test('DICOM without a chosen patient is matched by Patient ID ↔ MRN', async () => {
    const patient = await createPatient(admin, { mrn: 'RESUME-2' });
    const file = dicomInstance({ sopInstanceUid: '1.2.826.0.1.3680043.8.498.911', studyInstanceUid: '1.2.826.0.1.3680043.8.498.912', patientId: 'RESUME-2' });
    const url = await create(technician, file.length, 'application/dicom');
    const last = await sendRest(technician, url, file, 0, 100);
    assert.equal(last.status, 204, JSON.stringify(last.body));
    const status = await technician.client.get(url);
    assert.equal((status.body.outcome as { patientId: string }).patientId, patient);
  });

  test('over the limit: 413 at creation; beyond the declared length: 413; wrong version: 412; wrong body type: 415', async () => {
    const over = await technician.client.request('POST', '/api/uploads', undefined, { ...TUS, 'upload-length': String(LIMIT + 1), 'upload-metadata': metadata('application/dicom') });
    assert.deepEqual([over.status, over.body.code], [413, 'CLARUS_ERR_FILE_TOO_LARGE']);
    const url = await create(technician, 1000, 'application/dicom');
    const beyond = await patch(technician, url, 0, Buffer.alloc(1001));
    assert.deepEqual([beyond.status, beyond.body.code], [413, 'CLARUS_ERR_UPLOAD_LENGTH_EXCEEDED']);
    assert.equal(await offsetOf(technician, url), 0);
    const version = await technician.client.request('PATCH', url, Buffer.alloc(10), { 'tus-resumable': '0.2.2', 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' });
    assert.deepEqual([version.status, version.body.code], [412, 'CLARUS_ERR_TUS_VERSION']);
    const type = await patch(technician, url, 0, Buffer.alloc(10), { 'content-type': 'application/octet-stream' });
    assert.deepEqual([type.status, type.body.code], [415, 'CLARUS_ERR_UNSUPPORTED_MEDIA_TYPE']);
    const named = await technician.client.request('POST', '/api/uploads', undefined, { ...TUS, 'upload-length': '10', 'upload-metadata': `${metadata('application/dicom')},filename ${b64('Jane Doe.dcm')}` });
    assert.deepEqual([named.status, named.body.code], [400, 'CLARUS_ERR_VALIDATION'], 'no file name is ever taken');
  });

  test("another user's or tenant's session does not exist for the caller (404)", async () => {
    const url = await create(technician, 1000, 'application/dicom');
    assert.equal((await patch(technician, url, 0, Buffer.alloc(10))).status, 204);
    const colleague = await addUser(system, admin, ['Technician']);
    const foreign = await newTenantWithAdmin(system);
    for (const other of [colleague, admin, foreign]) {
      assert.equal((await head(other, url)).status, 404);
      assert.equal((await other.client.get(url)).status, 404);
      assert.deepEqual([(await patch(other, url, 10, Buffer.alloc(10))).status], [404]);
      assert.equal((await other.client.request('DELETE', url, undefined, TUS)).status, 404);
    }
    assert.equal(await offsetOf(technician, url), 10, 'untouched by the others');
  });

  test('EICAR in a resumable upload is refused with the same code as a plain upload, and quarantined', async () => {
    const patient = await createPatient(admin);
    const eicar = eicarTestString();
    const quarantined = await count('select count(*)::int as n from quarantine');
    const events = await count("select count(*)::int as n from security_events where kind = 'ingest.malware'");
    const url = await create(technician, eicar.length, 'application/octet-stream', patient);
    assert.equal((await patch(technician, url, 0, eicar.subarray(0, 30))).status, 204);
    const last = await patch(technician, url, 30, eicar.subarray(30));
    assert.deepEqual([last.status, last.body.code], [422, 'CLARUS_ERR_FILE_INFECTED']);
    assert.equal(await count('select count(*)::int as n from quarantine'), quarantined + 1);
    assert.equal(await count("select count(*)::int as n from security_events where kind = 'ingest.malware'"), events + 1);
    const status = await technician.client.get(url);
    assert.deepEqual([status.body.state, status.body.outcome], ['done', { status: 'refused', code: 'CLARUS_ERR_FILE_INFECTED' }]);
  });

  test('a user holds at most 16 unfinished uploads (429); finishing or cancelling one frees a place', async () => {
    const uploader = await addUser(system, admin, ['Technician']);
    const urls: string[] = [];
    for (let i = 0; i < 16; i += 1) urls.push(await create(uploader, 1000, 'application/dicom'));
    const refused = await uploader.client.request('POST', '/api/uploads', undefined, { ...TUS, 'upload-length': '1000', 'upload-metadata': metadata('application/dicom') });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'CLARUS_ERR_UPLOAD_LIMIT');
    assert.equal((await uploader.client.request('DELETE', urls[0] as string, undefined, TUS)).status, 204);
    await create(uploader, 1000, 'application/dicom');
    await create(technician, 1000, 'application/dicom'); // another user's count is their own
  });

  test('termination removes the session and its chunks', async () => {
    const url = await create(technician, 1000, 'application/dicom');
    assert.equal((await patch(technician, url, 0, Buffer.alloc(500, 1))).status, 204);
    const [chunk] = ((await db.query('select chunk_ids from resumable_uploads where id = $1', [url.split('/').pop()])).rows[0] as { chunk_ids: string[] }).chunk_ids;
    assert.ok(chunk && filesUnder(system.config.objectsDir).some((p) => p.endsWith(chunk)));
    const deleted = await technician.client.request('DELETE', url, undefined, TUS);
    assert.equal(deleted.status, 204);
    assert.equal((await head(technician, url)).status, 404);
    assert.equal(filesUnder(system.config.objectsDir).some((p) => p.endsWith(chunk)), false);
  });

  test('an API key uploads without CSRF; an abandoned session expires and the janitor removes it with its chunks', async () => {
    const slug = ((await admin.client.get('/api/auth/me')).body.user as { tenant: { slug: string } }).tenant.slug;
    const { key } = await system.composition.services.serviceAccounts.createForTenant(slug, { name: 'modality-gateway', role: 'Technician', patientIds: null, expiresDays: 10 });
    const call = (method: 'POST' | 'PATCH' | 'HEAD', url: string, headers: Record<string, string>, payload?: Buffer) =>
      system.app.inject({ method, url, headers: { 'x-api-key': key, ...TUS, ...headers }, ...(payload ? { payload } : {}) });
    const created = await call('POST', '/api/uploads', { 'upload-length': '1000', 'upload-metadata': metadata('application/dicom') });
    assert.equal(created.statusCode, 201, created.body);
    const url = String(created.headers.location);
    const sent = await call('PATCH', url, { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' }, Buffer.alloc(400, 2));
    assert.equal(sent.statusCode, 204, sent.body);
    const id = url.split('/').pop() as string;
    const [chunk] = ((await db.query('select chunk_ids from resumable_uploads where id = $1', [id])).rows[0] as { chunk_ids: string[] }).chunk_ids;
    system.clock.advance(25 * 3600);
    assert.equal((await call('HEAD', url, {})).statusCode, 404, 'expired');
    await system.composition.services.janitor.sweep(900);
    assert.equal(await count('select count(*)::int as n from resumable_uploads where id = $1', [id]), 0);
    assert.ok(chunk);
    assert.equal(filesUnder(system.config.objectsDir).some((p) => p.endsWith(chunk)), false);
  });
});
