import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { verifyAuditLog } from '../../src/audit/audit-verifier.ts';
import { verifyConsistency, verifyInclusion } from '../../src/audit/merkle.ts';
import type { AuditDatabase } from '../../src/data/schema.ts';
import { TestClient } from '../helpers/http-client.ts';
import { addUser, newTenantWithAdmin, strongPassword, type SignedInUser } from '../helpers/journeys.ts';
import { assignToCareTeam, createPatient } from '../helpers/patients.ts';
import { startTestSystem, testEnvironment, type TestSystem } from '../helpers/test-system.ts';

let system: TestSystem;
let admin: SignedInUser;
let clinician: SignedInUser;
let patient: string;
const fixture = { mrn: 'AUDIT-PHI-77', givenName: 'Zebulon', familyName: 'Quintessa', birthDate: '1961-07-04', email: 'zebulon.quintessa@example.org', phone: '+441632960777' };

before(async () => {
  system = await startTestSystem();
  admin = await newTenantWithAdmin(system);
  clinician = await addUser(system, admin, ['Clinician']);
  patient = await createPatient(admin, { ...fixture, sex: 'male', address: '77 Quintessa Lane' });
  await assignToCareTeam(admin, patient, clinician.userId);
});
after(async () => system.close());

const auditAdminUrl = () => system.databases.env.AUDIT_DATABASE_MIGRATION_URL as string;

/** Runs work as the database superuser inside a transaction that is rolled back afterwards. */
async function tampered<T>(tamper: (client: pg.Client) => Promise<void>, inspect: (db: Kysely<AuditDatabase>) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: auditAdminUrl() });
  await client.connect();
  const pool = { connect: async () => Object.assign(client, { release: () => undefined }), end: async () => undefined };
  const db = new Kysely<AuditDatabase>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) });
  try {
    await client.query('begin');
    for (const table of ['audit_entries', 'audit_checkpoints']) await client.query(`alter table ${table} disable trigger user`);
    await tamper(client);
    return await inspect(db);
  } finally {
    await client.query('rollback');
    await client.end();
  }
}

async function entriesOf(action: string, filter: (e: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>[]> {
  const reply = await admin.client.get(`/api/audit/entries?action=${action}&limit=500`);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return (reply.body.entries as Record<string, unknown>[]).filter(filter);
}

describe('what is recorded', () => {
  test('a patient read yields its entry with actor, resource, outcome and request id; a miss and a denial are recorded too', async () => {
    const read = await clinician.client.get(`/api/patients/${patient}`);
    assert.equal(read.status, 200);
    const requestId = read.headers['x-request-id'];
    const [entry] = await entriesOf('patient.read', (e) => e.requestId === requestId);
    assert.equal(entry?.actorId, clinician.userId);
    assert.equal(entry?.patientId, patient);
    assert.equal(entry?.outcome, 'success');
    const missing = await clinician.client.get('/api/patients/00000000-0000-4000-8000-000000000000');
    assert.equal((await entriesOf('patient.read', (e) => e.requestId === missing.headers['x-request-id']))[0]?.outcome, 'failure');
    const denied = await clinician.client.get('/api/users');
    const request = await entriesOf('http.request', (e) => e.requestId === denied.headers['x-request-id']);
    assert.equal(request[0]?.outcome, 'denied');
    assert.deepEqual((request[0]?.details as Record<string, unknown>).route, '/api/users');
  });

  test('security events are audited too (break-the-glass: the action and its High event)', async () => {
    const other = await createPatient(admin);
    const opened = await clinician.client.post(`/api/patients/${other}/break-glass`, { reason: 'Unconscious in the emergency department' });
    assert.equal(opened.status, 200);
    const requestId = opened.headers['x-request-id'];
    assert.equal((await entriesOf('patient.break-glass', (e) => e.requestId === requestId))[0]?.patientId, other);
    const event = (await entriesOf('security.event', (e) => e.requestId === requestId))[0];
    assert.deepEqual(event?.details, { kind: 'access.break-glass', severity: 'High' });
    assert.equal(event?.actorId, clinician.userId);
  });

  test('sign-in attempts, successful and failed, are recorded', async () => {
    const client = new TestClient(system.app, '10.6.0.1');
    const bad = await client.post('/api/auth/login', { email: clinician.email, password: 'not the password at all' });
    const good = await client.post('/api/auth/login', { email: clinician.email, password: strongPassword });
    const attempts = await entriesOf('auth.sign-in', (e) => e.requestId === bad.headers['x-request-id'] || e.requestId === good.headers['x-request-id']);
    assert.deepEqual(attempts.map((e) => e.outcome).sort(), ['failure', 'success']);
    assert.ok(attempts.every((e) => e.actorId === clinician.userId && e.sourceAddress === '10.6.0.1'));
  });

  test('accounting of disclosures lists who accessed the patient, and exports as FHIR AuditEvent and CSV (with step-up)', async () => {
    await clinician.client.get(`/api/patients/${patient}`);
    const disclosures = await admin.client.get(`/api/patients/${patient}/disclosures`);
    const actors = new Set((disclosures.body.entries as { actorId: string }[]).map((e) => e.actorId));
    assert.ok(actors.has(clinician.userId) && actors.has(admin.userId));
    system.clock.advance(system.config.auth.stepUpWindow + 1);
    assert.equal((await admin.client.get(`/api/patients/${patient}/disclosures/export?format=fhir`)).body.code, 'CLARUS_ERR_STEP_UP_REQUIRED');
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    const fhir = await admin.client.get(`/api/patients/${patient}/disclosures/export?format=fhir`);
    const bundle = JSON.parse(fhir.raw.body) as { resourceType: string; entry: { resource: { resourceType: string; entity: { what: { reference?: string } }[] } }[] };
    assert.equal(bundle.resourceType, 'Bundle');
    assert.ok(bundle.entry.every((e) => e.resource.resourceType === 'AuditEvent'));
    assert.ok(bundle.entry.some((e) => e.resource.entity.some((x) => x.what.reference === `Patient/${patient}`)));
    system.clock.advance(system.config.auth.stepUpWindow + 1);
    const refused = await admin.client.get('/api/audit/export?format=csv');
    assert.equal(refused.body.code, 'CLARUS_ERR_STEP_UP_REQUIRED');
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    const csv = await admin.client.get(`/api/audit/export?format=csv&patientId=${patient}`);
    assert.equal(csv.status, 200);
    assert.match(csv.raw.body.split('\r\n')[0] ?? '', /^seq,at,actorKind,actorId,action/);
  });

  test('no PHI of the fixture patient appears anywhere in the audit database', async () => {
    await admin.client.post('/api/patients/search', { name: 'Zebul' });
    await admin.client.post('/api/patients/search', { mrn: fixture.mrn });
    const client = new pg.Client({ connectionString: auditAdminUrl() });
    await client.connect();
    try {
      const dump = JSON.stringify((await client.query('select * from audit_entries')).rows);
      assert.ok(dump.length > 1000, 'the scenario produced entries');
      for (const value of [...Object.values(fixture), '77 Quintessa Lane', 'Zebul']) assert.ok(!dump.includes(value), `audit rows contain ${value}`);
    } finally {
      await client.end();
    }
  });
});

test('no PHI of the fixture patient appears in the server logs either', () => {
  const logs = system.logLines.join('\n');
  assert.ok(logs.length > 1000);
  for (const value of [...Object.values(fixture), '77 Quintessa Lane']) assert.ok(!logs.includes(value), `logs contain ${value}`);
});

describe('proofs', () => {
  test('an inclusion proof of an entry and a consistency proof between checkpoints verify against signed roots', async () => {
    await system.composition.auditLog.checkpoint();
    const first = (await admin.client.get('/api/audit/status')).body.latestCheckpoint as { treeSize: number; rootHash: string };
    await clinician.client.get(`/api/patients/${patient}`);
    await system.composition.auditLog.checkpoint();
    const second = (await admin.client.get('/api/audit/status')).body.latestCheckpoint as { treeSize: number; rootHash: string };
    assert.ok(second.treeSize > first.treeSize);
    const inclusion = (await admin.client.get(`/api/audit/proofs/inclusion?seq=3&treeSize=${second.treeSize}`)).body as { leafHash: string; proof: string[] };
    const b64 = (s: string) => Buffer.from(s, 'base64');
    assert.ok(verifyInclusion(b64(inclusion.leafHash), 3, second.treeSize, inclusion.proof.map(b64), b64(second.rootHash)));
    const consistency = (await admin.client.get(`/api/audit/proofs/consistency?from=${first.treeSize}&to=${second.treeSize}`)).body as { proof: string[] };
    assert.ok(verifyConsistency(first.treeSize, second.treeSize, consistency.proof.map(b64), b64(first.rootHash), b64(second.rootHash)));
  });
});

describe('tampering is detected', () => {
  const key = () => system.composition.services.audit.publicKey().publicKeyPem;
  const cases: [string, (c: pg.Client) => Promise<void>, RegExp][] = [
    ['a changed field', (c) => c.query("update audit_entries set action = 'patient.create' where seq = 5").then(() => undefined), /entry 5 was altered/],
    ['a deleted entry', (c) => c.query('delete from audit_entries where seq = 7').then(() => undefined), /entry 7 is missing/],
    ['two swapped entries', async (c) => {
      await c.query('update audit_entries set seq = 999999999 where seq = 8');
      await c.query('update audit_entries set seq = 8 where seq = 9');
      await c.query('update audit_entries set seq = 9 where seq = 999999999');
    }, /entry 8 was altered/],
    ['an inserted entry', async (c) => {
      await c.query('update audit_entries set seq = seq + 1000000000 where seq >= 10');
      await c.query('update audit_entries set seq = seq - 1000000000 + 1 where seq >= 1000000000');
      await c.query("insert into audit_entries select 10, at, tenant_id, actor_kind, actor_id, 'patient.read', resource_type, resource_id, patient_id, outcome, source_address, request_id, details, leaf_hash from audit_entries where seq = 11");
    }, /entry 1[01] was altered/],
    ['a truncated tail', (c) => c.query('delete from audit_entries where seq >= 20').then(() => undefined), /covers entries that are missing/],
    ['a forged checkpoint', (c) => c.query("update audit_checkpoints set root_hash = decode(repeat('ab', 32), 'hex') where tree_size = (select min(tree_size) from audit_checkpoints)").then(() => undefined), /checkpoint at tree size \d+ does not match/],
  ];
  for (const [label, tamper, expected] of cases) {
    test(`${label}`, async () => {
      await system.composition.auditLog.checkpoint();
      const report = await tampered(tamper, (db) => verifyAuditLog(db, key()));
      assert.equal(report.ok, false);
      assert.match(report.problem ?? '', expected);
    });
  }

  test('the untouched log verifies', async () => {
    const report = await system.composition.services.audit.verify();
    assert.equal(report.ok, true, report.problem ?? '');
    assert.ok(report.entries > 20 && report.checkpoints >= 2);
  });

  test('the application role cannot change or delete entries', async () => {
    const client = new pg.Client({ connectionString: system.databases.env.AUDIT_DATABASE_URL });
    await client.connect();
    try {
      await assert.rejects(client.query("update audit_entries set outcome = 'success'"), /permission denied|append-only/);
      await assert.rejects(client.query('delete from audit_entries'), /permission denied|append-only/);
      await assert.rejects(client.query('truncate audit_entries'), /permission denied|append-only/);
    } finally {
      await client.end();
    }
  });

  test('even the owner is refused by the trigger', async () => {
    const client = new pg.Client({ connectionString: auditAdminUrl() });
    await client.connect();
    try {
      await assert.rejects(client.query("update audit_entries set outcome = 'success' where seq = 1"), /append-only/);
      await assert.rejects(client.query('truncate audit_checkpoints'), /append-only/);
    } finally {
      await client.end();
    }
  });
});

describe('audit database unavailable', () => {
  test('patient reads fail closed with a clear error and work again when it returns', async () => {
    const auditDb = new URL(auditAdminUrl()).pathname.slice(1);
    // Stop the audit database for this system: refuse new connections and end the open ones.
    const cluster = new pg.Client({ connectionString: auditAdminUrl().replace(`/${auditDb}`, '/postgres') });
    await cluster.connect();
    try {
      await cluster.query(`alter database ${auditDb} allow_connections false`);
      await cluster.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [auditDb]);
      const down = await clinician.client.get(`/api/patients/${patient}`);
      assert.equal(down.status, 503);
      assert.equal(down.body.code, 'CLARUS_ERR_AUDIT_UNAVAILABLE');
    } finally {
      await cluster.query(`alter database ${auditDb} allow_connections true`);
      await cluster.end();
    }
    const up = await clinician.client.get(`/api/patients/${patient}`);
    assert.equal(up.status, 200);
    const report = await system.composition.services.audit.verify();
    assert.equal(report.ok, true, report.problem ?? '');
  });
});

describe('clarus audit verify and the standalone verifier', () => {
  test('an export verifies with the standalone script, and an edited export does not', () => {
    const file = join(tmpdir(), `audit-${process.pid}.jsonl`);
    rmSync(file, { force: true });
    const bin = resolve(import.meta.dirname, '../../bin/clarus.mjs');
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...testEnvironment(system.databases, system.config.dataDir), CLARUS_JWT_KEY: system.config.secrets.jwtKey, CLARUS_SECRET_KEY: system.config.secrets.secretKey.toString('base64'), CLARUS_AUDIT_SIGNING_KEY: system.config.secrets.auditKey };
    const exported = spawnSync(process.execPath, [bin, 'audit', 'export', '--out', file], { env, encoding: 'utf8' });
    assert.equal(exported.status, 0, exported.stderr);
    const script = resolve(import.meta.dirname, '../../scripts/verify-audit-export.mjs');
    const ok = spawnSync(process.execPath, [script, file], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^OK: \d+ entries/);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[4] = (lines[4] ?? '').replace('"outcome":"success"', '"outcome":"failure"').replace('"outcome":"failure"', '"outcome":"denied"');
    writeFileSync(file, lines.join('\n'));
    const bad = spawnSync(process.execPath, [script, file], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /entry 3 was altered/);
    rmSync(file, { force: true });

    const verified = spawnSync(process.execPath, [bin, 'audit', 'verify'], { env, encoding: 'utf8' });
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stdout, /audit log verified: \d+ entries/);
  });
});
