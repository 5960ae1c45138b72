import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { adminUrl } from '../helpers/test-databases.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';
import { newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient, patientBody } from '../helpers/patients.ts';

let system: TestSystem;
let admin: SignedInUser;
let db: pg.Client;

before(async () => {
  system = await startTestSystem();
  admin = await newTenantWithAdmin(system);
  // A superuser view of the raw tables: what someone with the database files would see.
  db = new pg.Client({ connectionString: adminUrl(system.databases.mainName) });
  await db.connect();
});
after(async () => {
  await db.end();
  await system.close();
});

async function rawPatient(id: string): Promise<Record<string, Buffer | null>> {
  const { rows } = await db.query('select * from patients where id = $1', [id]);
  assert.equal(rows.length, 1);
  return rows[0] as Record<string, Buffer | null>;
}

async function highEvents(kind: string): Promise<number> {
  const { rows } = await db.query("select count(*)::int as n from security_events where kind = $1 and severity = 'High'", [kind]);
  return (rows[0] as { n: number }).n;
}

describe('patient fields at rest', () => {
  test('every PHI field is ciphertext in the database, and reads back exactly through the API', async () => {
    const body = patientBody({ givenName: 'Zoë-Marker', familyName: 'Ångström-Marker', email: 'marker.person@example.org', address: '7 Marker Lane' });
    const id = await createPatient(admin, body);
    const row = await rawPatient(id);
    const everything = JSON.stringify(row) + Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v))).join('|');
    for (const value of [body.mrn, 'Zoë-Marker', 'Ångström-Marker', 'marker.person@example.org', '7 Marker Lane', body.birthDate, body.phone]) {
      assert.ok(!everything.includes(String(value)), `no ${String(value)} in the stored row`);
    }
    assert.ok(Buffer.isBuffer(row.given_name_enc) && row.given_name_enc.length > 29, 'the name is sealed');
    const read = await admin.client.get(`/api/patients/${id}`);
    assert.equal(read.status, 200);
    const patient = read.body.patient as Record<string, unknown>;
    assert.equal(patient.givenName, 'Zoë-Marker');
    assert.equal(patient.familyName, 'Ångström-Marker');
    assert.equal(patient.address, '7 Marker Lane');
    const tokens = await db.query('select count(*)::int as n, max(length(token))::int as len from patient_name_index where patient_id = $1', [id]);
    assert.ok((tokens.rows[0] as { n: number }).n > 5, 'name-prefix tokens exist');
    assert.equal((tokens.rows[0] as { len: number }).len, 2, 'name tokens are truncated to 16 bits');
  });

  test('MRN, e-mail and phone are found through blind indexes; names by prefix, with or without diacritics', async () => {
    const id = await createPatient(admin, { givenName: 'Søren', familyName: 'Müller-Index', email: 'Soren.Index@Example.org', phone: '+4930123456' });
    const mrn = ((await admin.client.get(`/api/patients/${id}`)).body.patient as { mrn: string }).mrn;
    const ids = async (criteria: object) => ((await admin.client.post('/api/patients/search', criteria)).body.patients as { patient: { id: string } }[]).map((p) => p.patient.id);
    assert.deepEqual(await ids({ mrn }), [id]);
    assert.deepEqual(await ids({ email: 'soren.index@example.org' }), [id], 'e-mail matches without regard to case');
    assert.deepEqual(await ids({ phone: '+4930123456' }), [id]);
    assert.ok((await ids({ name: 'mull' })).includes(id), 'folded prefix');
    assert.ok((await ids({ name: 'Müller-Ind' })).includes(id), 'longer than the token length, filtered after decryption');
    assert.ok((await ids({ name: 'index' })).includes(id), 'a later word of the name');
    assert.ok((await ids({ name: 'sø' })).includes(id), 'given name');
    assert.deepEqual(await ids({ name: 'Müller-Inx' }), [], 'a token hit that does not match is filtered out');
    assert.deepEqual(await ids({ mrn: `${mrn}X` }), []);
  });

  test('a flipped bit in a stored field is refused with a safe error and a High security event', async () => {
    const id = await createPatient(admin);
    const row = await rawPatient(id);
    const altered = Buffer.from(row.family_name_enc as Buffer);
    altered[20] = (altered[20] as number) ^ 0x01;
    const eventsBefore = await highEvents('crypto.decrypt-failed');
    await db.query('update patients set family_name_enc = $1 where id = $2', [altered, id]);
    const reply = await admin.client.get(`/api/patients/${id}`);
    assert.equal(reply.status, 500);
    assert.equal(reply.body.code, 'CLARUS_ERR_DATA_INTEGRITY');
    assert.ok(!JSON.stringify(reply.body).includes('family_name'), 'no internals in the answer');
    assert.equal(await highEvents('crypto.decrypt-failed'), eventsBefore + 1);
    await db.query('update patients set family_name_enc = $1 where id = $2', [row.family_name_enc, id]);
    assert.equal((await admin.client.get(`/api/patients/${id}`)).status, 200, 'the original ciphertext opens again');
  });

  test('ciphertext moved to another patient, or to another field, does not open', async () => {
    const a = await createPatient(admin);
    const b = await createPatient(admin);
    const rowA = await rawPatient(a);
    const rowB = await rawPatient(b);
    await db.query('update patients set given_name_enc = $1 where id = $2', [rowA.given_name_enc, b]);
    assert.equal((await admin.client.get(`/api/patients/${b}`)).body.code, 'CLARUS_ERR_DATA_INTEGRITY', 'swapped between patients');
    await db.query('update patients set given_name_enc = family_name_enc, family_name_enc = given_name_enc where id = $1', [a]);
    assert.equal((await admin.client.get(`/api/patients/${a}`)).body.code, 'CLARUS_ERR_DATA_INTEGRITY', 'swapped between fields');
    // A data key moved to another patient does not unwrap either (its id is bound in).
    await db.query('update patients set given_name_enc = family_name_enc, family_name_enc = given_name_enc where id = $1', [a]);
    await db.query('update patients set given_name_enc = $1 where id = $2', [rowB.given_name_enc, b]);
    const keyA = await db.query('select wrapped_key from patient_keys where patient_id = $1', [a]);
    const keyB = await db.query('select wrapped_key from patient_keys where patient_id = $1', [b]);
    await db.query('update patient_keys set wrapped_key = $1 where patient_id = $2', [(keyA.rows[0] as { wrapped_key: Buffer }).wrapped_key, b]);
    assert.equal((await admin.client.get(`/api/patients/${b}`)).body.code, 'CLARUS_ERR_DATA_INTEGRITY', 'data key moved');
    assert.equal((await admin.client.get(`/api/patients/${a}`)).status, 200);
    await db.query('update patient_keys set wrapped_key = $1 where patient_id = $2', [(keyB.rows[0] as { wrapped_key: Buffer }).wrapped_key, b]);
    assert.equal((await admin.client.get(`/api/patients/${b}`)).status, 200, 'restored');
  });

  test('break-the-glass reasons are sealed too', async () => {
    const { rows } = await db.query("select column_name from information_schema.columns where table_name = 'break_glass_grants' and column_name like 'reason%'");
    assert.deepEqual(rows.map((r: { column_name: string }) => r.column_name), ['reason_enc']);
  });
});

describe('keys', () => {
  test('administrators see versions, ages and the next rotation; rotation needs step-up and loses nothing', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, () => createPatient(admin)));
    const status = await admin.client.get('/api/admin/keys');
    assert.equal(status.status, 200);
    const keys = status.body.keys as { purpose: string; version: number; state: string; patientKeys: number | null; nextRotation: string | null }[];
    const kek = keys.find((k) => k.purpose === 'kek' && k.state === 'active');
    assert.ok(kek?.nextRotation, 'the next rotation is shown');
    assert.ok(!JSON.stringify(status.body).match(/wrapped/i), 'no key material');
    system.clock.advance(400); // past the step-up window of the enrolment
    assert.equal((await admin.client.post('/api/admin/keys/rotate')).body.code, 'CLARUS_ERR_STEP_UP_REQUIRED');
    assert.equal((await admin.client.post('/api/auth/step-up', { code: admin.nextCode() })).status, 200);
    const rotated = await admin.client.post('/api/admin/keys/rotate');
    assert.equal(rotated.status, 200);
    await system.composition.services.keys.idle();
    const after = (await admin.client.get('/api/admin/keys')).body.keys as { purpose: string; version: number; state: string; patientKeys: number | null }[];
    const keks = after.filter((k) => k.purpose === 'kek');
    assert.equal(keks.filter((k) => k.state === 'active').length, 1);
    assert.equal(keks.find((k) => k.state === 'active')?.version, (kek?.version ?? 0) + 1);
    assert.equal(keks.find((k) => k.version === kek?.version)?.state, 'retired', 'the old version is retired once nothing uses it');
    const material = await db.query("select count(*)::int as n from tenant_keys where state = 'retired' and wrapped_key is not null");
    assert.equal((material.rows[0] as { n: number }).n, 0, 'retired versions hold no key material');
    for (const id of ids) assert.equal((await admin.client.get(`/api/patients/${id}`)).status, 200);
  });

  test('crypto-shredding: one patient becomes unreadable and unfindable, everyone else stays readable, the audit keeps ids', async () => {
    const victim = await createPatient(admin, { givenName: 'Shred', familyName: 'Subject' });
    const neighbour = await createPatient(admin);
    const mrn = ((await admin.client.get(`/api/patients/${victim}`)).body.patient as { mrn: string }).mrn;
    system.clock.advance(400);
    assert.equal((await admin.client.post(`/api/patients/${victim}/erase`, { confirm: 'erase-permanently' })).body.code, 'CLARUS_ERR_STEP_UP_REQUIRED');
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    assert.equal((await admin.client.post(`/api/patients/${victim}/erase`, {})).status, 400, 'the confirmation is required');
    const erased = await admin.client.post(`/api/patients/${victim}/erase`, { confirm: 'erase-permanently' });
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    assert.equal((await admin.client.get(`/api/patients/${victim}`)).status, 404);
    assert.deepEqual((await admin.client.post('/api/patients/search', { mrn })).body.patients, []);
    assert.equal((await admin.client.get(`/api/patients/${neighbour}`)).status, 200);
    const key = await db.query('select wrapped_key, destroyed_at from patient_keys where patient_id = $1', [victim]);
    assert.equal((key.rows[0] as { wrapped_key: Buffer | null }).wrapped_key, null, 'no usable key remains');
    const row = await rawPatient(victim);
    for (const column of ['mrn_enc', 'given_name_enc', 'family_name_enc', 'mrn_index', 'email_index']) assert.equal(row[column], null, column);
    assert.ok(row.erased_at, 'a tombstone remains');
    const tokens = await db.query('select count(*)::int as n from patient_name_index where patient_id = $1', [victim]);
    assert.equal((tokens.rows[0] as { n: number }).n, 0, 'index rows purged');
    assert.equal((await admin.client.post(`/api/patients/${victim}/erase`, { confirm: 'erase-permanently' })).status, 404, 'erasing twice finds nothing');
    const audit = await admin.client.get(`/api/audit/entries?patientId=${victim}`);
    const actions = (audit.body.entries as { action: string }[] | undefined)?.map((e) => e.action) ?? [];
    assert.ok(actions.includes('patient.erase') && actions.includes('patient.create'), `the audit log keeps its entries: ${actions.join(',')}`);
  });
});
