import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { TestClient } from '../helpers/http-client.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { assignToCareTeam, createPatient, patientBody } from '../helpers/patients.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';

let system: TestSystem;
let admin: SignedInUser;
let clinician: SignedInUser;
let viewer: SignedInUser;
let technician: SignedInUser;
let radiologist: SignedInUser;
let otherAdmin: SignedInUser;

before(async () => {
  // Long idle and absolute timeouts: these tests move the clock by hours to expire grants and care teams.
  system = await startTestSystem({ env: { CLARUS_IDLE_TIMEOUT: '86400', CLARUS_ABSOLUTE_TIMEOUT: '604800' } });
  admin = await newTenantWithAdmin(system);
  clinician = await addUser(system, admin, ['Clinician']);
  viewer = await addUser(system, admin, ['Viewer']);
  technician = await addUser(system, admin, ['Technician']);
  radiologist = await addUser(system, admin, ['Radiologist']);
  otherAdmin = await newTenantWithAdmin(system);
});
after(async () => system.close());

describe('patients: validation', () => {
  test('names in several scripts round-trip exactly', async () => {
    const names: [string, string][] = [["Seán", "O'Brien"], ['Jean-Luc', 'Dupré'], ['José', 'Álvarez'], ['Thị', 'Nguyễn'], ['小明', '王'], ['Ольга', 'Иванова'], ['محمد', 'العلي']];
    for (const [givenName, familyName] of names) {
      const id = await createPatient(admin, { givenName, familyName });
      const reply = await admin.client.get(`/api/patients/${id}`);
      const patient = reply.body.patient as { givenName: string; familyName: string };
      assert.equal(patient.givenName, givenName.normalize('NFC'));
      assert.equal(patient.familyName, familyName.normalize('NFC'));
    }
  });

  test('each invalid field gets its own message, nothing is stored', async () => {
    const before = ((await admin.client.post('/api/patients/search', {})).body.patients as unknown[]).length;
    const reply = await admin.client.post('/api/patients', {
      mrn: '', givenName: 'R2-D2 <b>', familyName: '', birthDate: '2999-01-01', sex: 'robot', email: 'not-mail', phone: '0123', address: 'a\u0000b',
    });
    assert.equal(reply.status, 400);
    const paths = (reply.body.fields as { path: string }[]).map((f) => f.path).sort();
    assert.deepEqual(paths, ['address', 'birthDate', 'email', 'familyName', 'givenName', 'mrn', 'phone', 'sex']);
    for (const birthDate of ['1899-12-31', '2021-02-30', '12/01/1990']) {
      const bad = await admin.client.post('/api/patients', patientBody({ birthDate }));
      assert.deepEqual((bad.body.fields as { path: string }[]).map((f) => f.path), ['birthDate'], birthDate);
    }
    const after = ((await admin.client.post('/api/patients/search', {})).body.patients as unknown[]).length;
    assert.equal(after, before);
  });

  test("the tenant's MRN format is enforced, and an MRN is unique within the tenant only", async () => {
    const lower = await admin.client.post('/api/patients', patientBody({ mrn: 'lowercase-mrn' }));
    assert.equal(lower.status, 400);
    assert.deepEqual((lower.body.fields as { path: string }[]).map((f) => f.path), ['mrn']);
    await createPatient(admin, { mrn: 'SHARED-001' });
    const duplicate = await admin.client.post('/api/patients', patientBody({ mrn: 'SHARED-001' }));
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.code, 'CLARUS_ERR_MRN_TAKEN');
    await createPatient(otherAdmin, { mrn: 'SHARED-001' });
  });

  test('injection strings are stored as plain text or refused, never executed', async () => {
    const address = "'; drop table patients; -- {{7*7}} ${7*7} <script>alert(1)</script>";
    const id = await createPatient(admin, { address });
    const reply = await admin.client.get(`/api/patients/${id}`);
    assert.equal((reply.body.patient as { address: string }).address, address);
    assert.equal(reply.headers['content-type'], 'application/json; charset=utf-8');
    const search = await admin.client.post('/api/patients/search', { name: "%' or 1=1 --" });
    assert.equal(search.status, 400, 'search terms are names only');
    const wildcard = await admin.client.post('/api/patients/search', { mrn: '%' });
    assert.deepEqual(wildcard.body.patients, [], 'a LIKE wildcard is not a wildcard');
    assert.equal((await admin.client.post('/api/patients', patientBody({ givenName: 'Bob\u0000' }))).status, 400);
    assert.equal((await admin.client.get('/api/patients/search')).status, 400, 'not an id');
  });
});

describe('patients: who sees what', () => {
  test('a Technician creates patients and sees only name and MRN (minimum necessary)', async () => {
    const id = await createPatient(technician);
    for (const reply of [await technician.client.get(`/api/patients/${id}`), await admin.client.get(`/api/patients/${id}`)]) assert.equal(reply.status, 200);
    const view = (await technician.client.get(`/api/patients/${id}`)).body;
    assert.equal(view.fields, 'minimal');
    assert.deepEqual(Object.keys(view.patient as object).sort(), ['familyName', 'givenName', 'id', 'mrn']);
    const listed = (await technician.client.post('/api/patients/search', {})).body.patients as { patient: object }[];
    assert.ok(listed.length > 0);
    for (const item of listed) assert.deepEqual(Object.keys(item.patient).sort(), ['familyName', 'givenName', 'id', 'mrn']);
    assert.equal((await technician.client.request('PATCH', `/api/patients/${id}`, { givenName: 'Changed' })).status, 403);
  });

  test('a Clinician sees exactly the assigned patients; others answer like missing ones', async () => {
    const assigned = await createPatient(admin);
    const unassigned = await createPatient(admin, { mrn: 'HIDDEN-CLIN-1' });
    await assignToCareTeam(admin, assigned, clinician.userId);
    const list = (await clinician.client.post('/api/patients/search', {})).body.patients as { patient: { id: string }; access: { via: string } }[];
    assert.deepEqual(list.map((p) => p.patient.id), [assigned]);
    assert.equal(list[0]?.access.via, 'care-team');
    const hidden = await clinician.client.get(`/api/patients/${unassigned}`);
    const missing = await clinician.client.get(`/api/patients/${randomUUID()}`);
    assert.equal(hidden.status, 404);
    assert.deepEqual({ ...hidden.body, requestId: '' }, { ...missing.body, requestId: '' });
    const byMrn = await clinician.client.post('/api/patients/search', { mrn: 'HIDDEN-CLIN-1' });
    assert.deepEqual(byMrn.body.patients, []);
    const adminByMrn = await admin.client.post('/api/patients/search', { mrn: 'HIDDEN-CLIN-1' });
    assert.equal((adminByMrn.body.patients as unknown[]).length, 1, 'the MRN search itself works');
  });

  test('a care-team assignment with an end date stops at that date', async () => {
    const patient = await createPatient(admin);
    const endsAt = new Date(system.clock.now().getTime() + 3600_000).toISOString();
    await assignToCareTeam(admin, patient, viewer.userId, endsAt);
    assert.equal((await viewer.client.get(`/api/patients/${patient}`)).status, 200);
    system.clock.advance(3601);
    await viewer.client.post('/api/auth/refresh');
    assert.equal((await viewer.client.get(`/api/patients/${patient}`)).status, 404);
  });

  test('a Viewer reads assigned patients and can change nothing', async () => {
    const patient = await createPatient(admin);
    await assignToCareTeam(admin, patient, viewer.userId);
    assert.equal((await viewer.client.get(`/api/patients/${patient}`)).body.fields, 'full');
    assert.equal((await viewer.client.request('PATCH', `/api/patients/${patient}`, { givenName: 'X' })).status, 403);
    assert.equal((await viewer.client.post('/api/patients', patientBody())).status, 403);
    assert.equal((await viewer.client.post(`/api/patients/${patient}/care-team`, { userId: viewer.userId })).status, 403);
  });

  test('a Radiologist reads every patient of the tenant, and none of another tenant', async () => {
    const patient = await createPatient(admin);
    assert.equal((await radiologist.client.get(`/api/patients/${patient}`)).body.fields, 'full');
    const foreign = await createPatient(otherAdmin);
    assert.equal((await radiologist.client.get(`/api/patients/${foreign}`)).status, 404);
  });

  test('break-the-glass opens a patient for the configured time, is marked and records a High event', async () => {
    const patient = await createPatient(admin);
    const short = await clinician.client.post(`/api/patients/${patient}/break-glass`, { reason: 'urgent' });
    assert.equal(short.status, 400, 'a reason of at least 10 characters');
    const opened = await clinician.client.post(`/api/patients/${patient}/break-glass`, { reason: 'Patient unconscious in the emergency department' });
    assert.equal(opened.status, 200);
    const access = opened.body.access as { via: string; expiresAt: string };
    assert.equal(access.via, 'break-glass');
    assert.equal(new Date(access.expiresAt).getTime() - system.clock.now().getTime() <= 60 * 60_000, true);
    assert.equal((await clinician.client.get(`/api/patients/${patient}`)).body.fields, 'full');
    const events = await system.composition.services.securityEvents.listRecent(admin.tenantId);
    const event = events.find((e) => e.kind === 'access.break-glass' && e.subjectId === patient);
    assert.equal(event?.severity, 'High');
    assert.ok(!JSON.stringify(event).includes('unconscious'), 'the reason stays out of the event');
    system.clock.advance(3601);
    await clinician.client.post('/api/auth/refresh');
    assert.equal((await clinician.client.get(`/api/patients/${patient}`)).status, 404, 'the grant expired');
    assert.equal((await technician.client.post(`/api/patients/${patient}/break-glass`, { reason: 'Patient unconscious in the emergency department' })).status, 403);
  });

  test("another tenant's patient ids are 404 everywhere, search included", async () => {
    const patient = await createPatient(admin, { mrn: 'CROSS-TENANT-1' });
    for (const [method, url, body] of [
      ['GET', `/api/patients/${patient}`, undefined], ['PATCH', `/api/patients/${patient}`, { givenName: 'Mallory' }],
      ['GET', `/api/patients/${patient}/care-team`, undefined], ['POST', `/api/patients/${patient}/care-team`, { userId: otherAdmin.userId }],
    ] as const) {
      const reply = await otherAdmin.client.request(method, url, body);
      assert.equal(reply.status, 404, `${method} ${url}`);
    }
    assert.deepEqual((await otherAdmin.client.get('/api/patients?mrn=CROSS-TENANT-1')).body.patients, []);
    assert.equal((await admin.client.get(`/api/patients/${patient}`)).body.patient && true, true);
    assert.equal(((await admin.client.get(`/api/patients/${patient}`)).body.patient as { givenName: string }).givenName, 'Ada', 'not changed');
  });
});

describe('patients: the database is the second wall', () => {
  test('a query that forgets the tenant still sees only the tenant set for the transaction', async () => {
    const mine = await createPatient(admin);
    const client = new pg.Client({ connectionString: system.databases.env.DATABASE_URL });
    await client.connect();
    try {
      await client.query('begin');
      await client.query("select set_config('app.tenant_id', $1, true)", [otherAdmin.tenantId]);
      const all = await client.query<{ id: string; tenant_id: string }>('select id, tenant_id from patients');
      assert.ok(all.rows.every((r) => r.tenant_id === otherAdmin.tenantId));
      assert.ok(!all.rows.some((r) => r.id === mine));
      await client.query('rollback');
      assert.equal((await client.query('select count(*)::int as n from patients')).rows[0].n, 0, 'no tenant set: nothing');
    } finally {
      await client.end();
    }
  });
});

describe('service accounts and API keys', () => {
  test('a key is shown once, works as X-API-Key without cookies or CSRF, respects its patient scope, and can be revoked', async () => {
    const inScope = await createPatient(admin);
    const outOfScope = await createPatient(admin);
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    const created = await admin.client.post('/api/service-accounts', { name: `pacs-bridge-${randomUUID().slice(0, 6)}`, role: 'Radiologist', patientIds: [inScope], expiresDays: 30 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = created.body.apiKey as string;
    assert.match(key, /^clarus_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    const listed = await admin.client.get('/api/service-accounts');
    assert.ok(!JSON.stringify(listed.body).includes(key.slice(-43)), 'the key is never shown again');

    const call = (method: 'GET' | 'POST', url: string, payload?: object, apiKey = key) =>
      system.app.inject({ method, url, headers: { 'x-api-key': apiKey }, ...(payload ? { payload } : {}) });
    assert.equal((await call('GET', `/api/patients/${inScope}`)).statusCode, 200);
    assert.equal((await call('GET', `/api/patients/${outOfScope}`)).statusCode, 404);
    const search = JSON.parse((await call('POST', '/api/patients/search', {})).body) as { patients: { patient: { id: string } }[] };
    assert.deepEqual(search.patients.map((p) => p.patient.id), [inScope]);
    assert.equal((await call('GET', '/api/auth/me')).statusCode, 403, 'no session routes for service accounts');
    assert.equal((await call('POST', '/api/patients', patientBody())).statusCode, 403, 'a Radiologist key cannot create');

    const keyId = ((listed.body.serviceAccounts as { name: string; keys: { id: string }[] }[]).find((a) => a.name.startsWith('pacs-bridge'))?.keys[0]?.id) as string;
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    assert.equal((await admin.client.post(`/api/service-accounts/keys/${keyId}/revoke`)).status, 204);
    assert.equal((await call('GET', `/api/patients/${inScope}`)).statusCode, 401);
  });

  test('the CLI-facing service creates keys limited to patients of the tenant only', async () => {
    const foreign = await createPatient(otherAdmin);
    const slug = ((await admin.client.get('/api/auth/me')).body.user as { tenant: { slug: string } }).tenant.slug;
    await assert.rejects(system.composition.services.serviceAccounts.createForTenant(slug, { name: 'foreign-scope', role: 'Viewer', patientIds: [foreign], expiresDays: 10 }), /not valid/);
  });
  test('keys expire, and wrong keys are refused alike and end in an address lockout', async () => {
    const slug = ((await admin.client.get('/api/auth/me')).body.user as { tenant: { slug: string } }).tenant.slug;
    // Runs last in this file: it moves the clock by a day, past every session's idle timeout.
    const { key } = await system.composition.services.serviceAccounts.createForTenant(slug, { name: `expiring-${randomUUID().slice(0, 6)}`, role: 'Viewer', patientIds: null, expiresDays: 1 });
    const ok = await system.app.inject({ method: 'GET', url: '/api/patients', headers: { 'x-api-key': key }, remoteAddress: '10.7.0.1' });
    assert.equal(ok.statusCode, 200);
    system.clock.advance(86_401);
    const expired = await system.app.inject({ method: 'GET', url: '/api/patients', headers: { 'x-api-key': key }, remoteAddress: '10.7.0.1' });
    assert.equal(expired.statusCode, 401);
    const codes: string[] = [];
    for (const guess of ['nonsense', `clarus_${'0'.repeat(32)}_${'A'.repeat(43)}`, key.slice(0, -1) + 'x', 'a', 'b', 'c']) {
      const reply = await system.app.inject({ method: 'GET', url: '/api/patients', headers: { 'x-api-key': guess }, remoteAddress: '10.7.0.2' });
      codes.push(JSON.parse(reply.body).code as string);
    }
    assert.deepEqual(codes, [...Array(5).fill('CLARUS_ERR_UNAUTHENTICATED'), 'CLARUS_ERR_AUTH_LOCKED']);
  });

});

test('anonymous clients get 401 from the patient API, with no hint of existence', async () => {
  const reply = await new TestClient(system.app).get(`/api/patients/${randomUUID()}`);
  assert.equal(reply.status, 401);
});
