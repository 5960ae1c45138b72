import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.ts';
import { compose, type Composition } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { totpAt } from '../../src/crypto/totp.ts';
import { TestClient } from '../helpers/http-client.ts';
import { newTenantWithAdmin, strongPassword, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import { TestClock } from '../helpers/test-clock.ts';
import { adminUrl, createTestDatabases, type TestDatabases } from '../helpers/test-databases.ts';
import { startTestSystem, testEnvironment, type TestSystem } from '../helpers/test-system.ts';

const bin = resolve(import.meta.dirname, '../../bin/clarus.mjs');

function clarus(args: string[], env: Record<string, string>): { code: number; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (process.env.CLI_DEBUG) process.stderr.write(`${args.join(' ')} => ${result.status}\n${result.stdout}\n${result.stderr}\n`);
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

async function count(url: string, query: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number(((await client.query(query)).rows[0] as { n: string }).n);
  } finally {
    await client.end();
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let source: TestSystem;
let sourceEnv: Record<string, string>;
let target: TestDatabases;
let targetDir: string;
let targetEnv: Record<string, string>;
let work: string;
let archive: string;
let adminA: SignedInUser;
let adminB: SignedInUser;
const fixtures: string[] = [];
const patientsA: string[] = [];
const patientsB: string[] = [];
let erased: string;
const objects: { id: string; bytes: Buffer }[] = [];
/** What the source answered, by request, to compare with the restored instance. */
const answers = new Map<string, unknown>();

/** Status and body of a reply, without the request id (new for every request). */
function answer(reply: { status: number; body: Record<string, unknown> }): unknown {
  const body = { ...reply.body };
  delete body.requestId;
  return [reply.status, body];
}

function requests(admin: SignedInUser, own: string[]): { key: string; run: (c: TestClient) => Promise<unknown> }[] {
  const reads = [...own, erased].map((id) => ({ key: `${admin.email} GET ${id}`, run: async (c: TestClient) => answer(await c.get(`/api/patients/${id}`)) }));
  const searches = [{ name: 'Backupfix' }, { name: 'Restoreva' }, { email: 'quirinus.backup@example.org' }, { name: 'Shredwell' }, {}].map((criteria) => ({
    key: `${admin.email} search ${JSON.stringify(criteria)}`,
    run: async (c: TestClient) => answer(await c.post('/api/patients/search', criteria)),
  }));
  return [...reads, ...searches, { key: `${admin.email} list`, run: async (c: TestClient) => answer(await c.get('/api/patients')) }];
}

before(async () => {
  source = await startTestSystem();
  const { config } = source;
  sourceEnv = { ...testEnvironment(source.databases, config.dataDir), CLARUS_SECRET_KEY: config.secrets.secretKey.toString('base64'), CLARUS_JWT_KEY: config.secrets.jwtKey };
  adminA = await newTenantWithAdmin(source);
  adminB = await newTenantWithAdmin(source);
  const people = [
    { givenName: 'Quirinus', familyName: 'Backupfixture', email: 'quirinus.backup@example.org', address: '12 Archive Row, Dumpton' },
    { givenName: 'Philippa', familyName: 'Backupfixtura', email: 'philippa.fixture@example.org' },
    { givenName: 'Ottoline', familyName: 'Snapshotter', email: 'ottoline.snap@example.org' },
  ];
  for (const person of people) patientsA.push(await createPatient(adminA, { ...person, mrn: `BKA-${patientsA.length}-${process.pid}` }));
  erased = await createPatient(adminA, { givenName: 'Erasmus', familyName: 'Shredwell', email: 'erasmus.shred@example.org', mrn: `BKX-${process.pid}` });
  for (const person of [{ givenName: 'Bettina', familyName: 'Restoreva', email: 'bettina.restore@example.org' }, { givenName: 'Konrad', familyName: 'Walfile', email: 'konrad.wal@example.org' }]) {
    patientsB.push(await createPatient(adminB, { ...person, mrn: `BKB-${patientsB.length}-${process.pid}` }));
  }
  for (const person of [...people, { givenName: 'Erasmus', familyName: 'Shredwell', email: 'erasmus.shred@example.org' }, { givenName: 'Bettina', familyName: 'Restoreva', email: 'bettina.restore@example.org' }]) {
    fixtures.push(person.givenName, person.familyName, person.email);
  }
  fixtures.push('12 Archive Row', `BKA-0-${process.pid}`, `BKB-0-${process.pid}`, `BKX-${process.pid}`, adminA.email, adminB.email);
  // Crypto-shredding through the API (step-up), and a rotated key-encryption key.
  source.clock.advance(400);
  assert.equal((await adminA.client.post('/api/auth/step-up', { code: adminA.nextCode() })).status, 200);
  assert.equal((await adminA.client.post(`/api/patients/${erased}/erase`, { confirm: 'erase-permanently' })).status, 200);
  const services = source.composition.services;
  await services.keys.rotateTenant(adminA.tenantId, { tenantId: adminA.tenantId, kind: 'user', id: adminA.userId }, { sourceAddress: null, requestId: null });
  // Objects under a patient's key: one of several segments, one small one whose plaintext names the patient.
  for (const bytes of [randomBytes(300_000), Buffer.from('Quirinus Backupfixture, chest X-ray, 12 Archive Row')]) {
    const id = randomUUID();
    await services.objects.put(adminA.tenantId, patientsA[0] as string, id, Readable.from([bytes]));
    objects.push({ id, bytes });
  }
  for (const [admin, own] of [[adminA, patientsA], [adminB, patientsB]] as const) {
    for (const r of requests(admin, own)) answers.set(r.key, await r.run(admin.client));
  }
  work = mkdtempSync(join(tmpdir(), 'clarus-backup-'));
  archive = join(work, 'clarus.backup');
  target = await createTestDatabases();
  targetDir = mkdtempSync(join(tmpdir(), 'clarus-restore-'));
  const secrets = join(config.dataDir, 'secrets');
  targetEnv = {
    ...testEnvironment(target, targetDir),
    // The same root key (else nothing unwraps) and audit signing key (else old checkpoints fail verification);
    // the same secret key keeps second factors and API keys working.
    CLARUS_ROOT_KEY: readFileSync(join(secrets, 'root.key'), 'utf8').trim(),
    CLARUS_AUDIT_SIGNING_KEY: readFileSync(join(secrets, 'audit-ed25519.pem'), 'utf8').trim(),
    CLARUS_SECRET_KEY: sourceEnv.CLARUS_SECRET_KEY as string,
    CLARUS_JWT_KEY: sourceEnv.CLARUS_JWT_KEY as string,
  };
});

after(async () => {
  await source.close();
  await target.drop();
  rmSync(work, { recursive: true, force: true });
  rmSync(targetDir, { recursive: true, force: true });
});

async function targetIsEmpty(): Promise<void> {
  assert.equal(await count(adminUrl(target.mainName), 'select count(*) as n from tenants'), 0, 'no organisation restored');
  assert.equal(await count(adminUrl(target.mainName), 'select count(*) as n from patients'), 0);
  assert.equal(await count(adminUrl(`${target.mainName}_audit`), 'select count(*) as n from audit_entries'), 0, 'no audit entry restored');
  const objectsDir = join(targetDir, 'objects');
  const files = existsSync(objectsDir) ? readdirSync(objectsDir).filter((d) => d !== '.tmp').flatMap((d) => readdirSync(join(objectsDir, d))) : [];
  assert.deepEqual(files, [], 'no object left behind');
}

describe('backup and restore', () => {
  test('clarus backup writes one encrypted archive without readable PHI or keys', (t) => {
    // A recorded verification gives the audit database a row with a serial id: the restore must move its sequence on.
    assert.equal(clarus(['audit', 'verify'], sourceEnv).code, 0);
    const run = clarus(['backup', '--out', archive], sourceEnv);
    assert.equal(run.code, 0, run.stderr);
    assert.match(lastLine(run.stdout), /^backup [0-9a-f-]{36} written to .* \d+ rows in \d+ tables, 2 objects \(\d+ bytes\)$/);
    assert.match(run.stderr, /backing up rows \[#{20}\] 100%/);
    const bytes = readFileSync(archive);
    t.diagnostic(`backup: ${run.ms} ms (child process, with start-up), archive ${bytes.length} bytes`);
    assert.equal(bytes.subarray(0, 7).toString('latin1'), 'CLRSBAK');
    const text = bytes.toString('latin1');
    for (const value of fixtures) assert.ok(!text.includes(value) && !bytes.includes(Buffer.from(value, 'utf8')), `no "${value}" in the archive`);
    const rootKey = targetEnv.CLARUS_ROOT_KEY as string;
    assert.ok(!text.includes(rootKey) && !bytes.includes(Buffer.from(rootKey, 'base64')), 'never the root key');
    assert.ok(!text.includes('PRIVATE KEY'), 'never a private key from the secrets directory');
    assert.ok(!bytes.includes((objects[0] as { bytes: Buffer }).bytes.subarray(1000, 1064)), 'object bytes are not in the clear');
    assert.equal(existsSync(`${archive}.partial`), false);
  });

  test('a tampered or truncated archive, or the wrong keys, are refused with nothing restored', async () => {
    const bytes = readFileSync(archive);
    const flip = (at: number) => {
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] as number) ^ 0x01;
      return copy;
    };
    const variants: [string, Buffer, Record<string, string>][] = [
      ['header', flip(40), {}],
      ['middle', flip(Math.floor(bytes.length / 2)), {}],
      ['truncated', bytes.subarray(0, bytes.length - 100), {}],
      ['root key', bytes, { CLARUS_ROOT_KEY: randomBytes(32).toString('base64') }],
      ['audit key', bytes, { CLARUS_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }],
    ];
    const expected: Record<string, RegExp> = {
      header: /damaged|altered|does not unwrap/, middle: /damaged or was altered/, truncated: /damaged or was altered/,
      'root key': /backup key does not unwrap: it is wrapped by root key local:/, 'audit key': /audit checkpoints are signed by audit key/,
    };
    for (const [name, content, env] of variants) {
      const file = join(work, `${name.replace(' ', '-')}.backup`);
      writeFileSync(file, content);
      const run = clarus(['restore', '--in', file], { ...targetEnv, ...env });
      assert.notEqual(run.code, 0, `${name}: ${run.stdout}`);
      assert.match(lastLine(run.stderr), /^clarus: .*nothing was restored$/, `${name}: ${run.stderr}`);
      assert.match(lastLine(run.stderr), expected[name] as RegExp, name);
      await targetIsEmpty();
    }
  });

  test('restore into an empty instance verifies everything before it commits; a second restore is refused', async (t) => {
    const run = clarus(['restore', '--in', archive], targetEnv);
    assert.equal(run.code, 0, run.stderr);
    t.diagnostic(`restore: ${run.ms} ms (child process, with start-up); ${run.stdout.trim().replace(/\n/g, ' | ')}`);
    assert.match(run.stdout, /verified: 2 organisation\(s\), \d+ tenant key\(s\) and 5 patient key\(s\) unwrap, 5 patient\(s\) decrypt, audit log of \d+ entries/);
    assert.doesNotMatch(run.stderr, /warning/);

    const again = clarus(['restore', '--in', archive], targetEnv);
    assert.notEqual(again.code, 0);
    assert.match(lastLine(again.stderr), /^clarus: the main database is not empty \(.*tenants has 2 row\(s\).*nothing was restored$/);
  });

  test('an audit database that did not commit is restored alone with --only audit', async () => {
    // The state a failed audit commit leaves: main and objects restored, the audit database empty.
    const auditName = `${target.mainName}_audit`;
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await admin.query(`drop database ${auditName} with (force)`);
      await admin.query(`create database ${auditName}`);
    } finally {
      await admin.end();
    }
    const run = clarus(['restore', '--in', archive, '--only', 'audit'], targetEnv);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /verified: 2 organisation\(s\).* 5 patient\(s\) decrypt/);
    assert.equal(await count(adminUrl(target.mainName), 'select count(*) as n from tenants'), 2, 'main untouched');
  });

  test('the restored instance answers like the original, its objects decrypt and its audit log verifies', async () => {
    const verify = clarus(['audit', 'verify'], targetEnv);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /audit log verified/);
    const auditUrl = adminUrl(`${target.mainName}_audit`);
    assert.equal(await count(auditUrl, "select count(*) as n from audit_entries where action = 'backup.restore'"), 1);
    assert.equal(await count(adminUrl(`${source.databases.mainName}_audit`), "select count(*) as n from audit_entries where action = 'backup.create'"), 1);

    // The restored instance, composed over the restored databases, for the same administrators.
    const clock = new TestClock();
    clock.advance((source.clock.now().getTime() - Date.now()) / 1000 + 120);
    const config = loadConfig(targetEnv);
    const restored: Composition = await compose(config, { clock: clock.now });
    const app: FastifyInstance = await buildApp({ config, services: restored.services, logStream: new Writable({ write: (_c, _e, done) => done() }) });
    await app.ready();
    try {
      for (const [admin, own] of [[adminA, patientsA], [adminB, patientsB]] as const) {
        const client = new TestClient(app);
        assert.equal((await client.post('/api/auth/login', { email: admin.email, password: strongPassword })).status, 200);
        clock.advance(30);
        const mfa = await client.post('/api/auth/mfa/totp', { code: totpAt(admin.totpSecret, clock.now().getTime()) });
        assert.equal(mfa.status, 200, JSON.stringify(mfa.body));
        for (const r of requests(admin, own)) assert.deepEqual(await r.run(client), answers.get(r.key), r.key);
      }
      for (const object of objects) {
        assert.ok((await readAll(await restored.services.objects.open(adminA.tenantId, object.id))).equals(object.bytes), 'the object decrypts to the same bytes');
      }
    } finally {
      await app.close();
      await restored.close();
    }
  });
});
