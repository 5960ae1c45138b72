import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { adminUrl } from '../helpers/test-databases.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { assignToCareTeam, createPatient } from '../helpers/patients.ts';

/**
 * Issue 5 "no plaintext at rest": after a full scenario, no file under the data directory, the
 * database cluster's files for this system (tables and WAL), or the server log holds a fixture
 * patient's name, MRN, birth date, e-mail or break-the-glass reason, or a slice of an image's bytes.
 */
let system: TestSystem;
let admin: SignedInUser;
let superuser: pg.Client;
const startedAt = Date.now();

/** Random letters: names allow letters only, and a marker must not occur by chance. */
const letters = (n: number): string => Array.from(randomBytes(n), (b) => String.fromCharCode(97 + (b % 26))).join('');
const fixtures = Array.from({ length: 4 }, (_, i) => ({
  mrn: `PLAIN${i}XQ${randomBytes(3).toString('hex').toUpperCase()}`,
  givenName: `Quilla${letters(6)}`,
  familyName: `Zebedee${letters(6)}`,
  birthDate: `193${i}-0${i + 1}-1${i}`,
  email: `leak.check.${i}.${randomBytes(3).toString('hex')}@example.org`,
  phone: `+4479460${String(10_000 + i)}`,
  sex: 'female',
  address: `${i} Plaintext Marker Road`,
}));
const renamed = `Ottoline${letters(6)}`;
const reason = `Emergency: ${fixtures[0]?.givenName ?? ''} arrived unconscious ${letters(6)}`;
const images = [randomBytes(700_000), randomBytes(90_000)];

before(async () => {
  system = await startTestSystem();
  admin = await newTenantWithAdmin(system);
  superuser = new pg.Client({ connectionString: adminUrl(system.databases.mainName) });
  await superuser.connect();
});
after(async () => {
  await superuser.end();
  await system.close();
});

function filesUnder(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

test('a full scenario leaves no readable PHI and no image bytes at rest', async () => {
  // The scenario: create, read, search, update, break the glass, store and read images, erase one.
  const ids: string[] = [];
  for (const f of fixtures) ids.push(await createPatient(admin, f));
  const viewer = await addUser(system, admin, ['Viewer']);
  await assignToCareTeam(admin, ids[1] as string, viewer.userId);
  assert.equal((await admin.client.post('/api/patients/search', { name: 'zebedee' })).status, 200);
  assert.equal((await admin.client.post('/api/patients/search', { mrn: fixtures[2]?.mrn })).status, 200);
  assert.equal((await admin.client.post('/api/patients/search', { email: fixtures[3]?.email })).status, 200);
  assert.equal((await admin.client.request('PATCH', `/api/patients/${ids[3]}`, { givenName: renamed })).status, 200);
  const glass = await viewer.client.post(`/api/patients/${ids[0]}/break-glass`, { reason });
  assert.equal(glass.status, 200, JSON.stringify(glass.body));
  const objectIds = [randomUUID(), randomUUID()];
  const { objects } = system.composition.services;
  for (const [i, image] of images.entries()) {
    await objects.put(admin.tenantId, ids[i] as string, objectIds[i] as string, Readable.from([image.subarray(0, 1000), image.subarray(1000)]));
    assert.ok((await buffer(await objects.open(admin.tenantId, objectIds[i] as string))).equals(image), 'the object reads back');
  }
  system.clock.advance(400);
  await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
  assert.equal((await admin.client.post(`/api/patients/${ids[1]}/erase`, { confirm: 'erase-permanently' })).status, 200);
  await assert.rejects(async () => buffer(await objects.open(admin.tenantId, objectIds[1] as string)), 'the erased patient\'s image does not open');

  // Everything reaches the files: a checkpoint writes dirty pages; WAL holds every change anyway.
  await superuser.query('checkpoint');
  const dataDirectory = (await superuser.query('show data_directory')).rows[0].data_directory as string;
  const ours = await superuser.query('select oid::text from pg_database where datname = any($1)', [[system.databases.mainName, `${system.databases.mainName}_audit`]]);
  assert.equal(ours.rows.length, 2);
  const files = [
    ...filesUnder(system.config.dataDir),
    ...ours.rows.flatMap((r: { oid: string }) => filesUnder(join(dataDirectory, 'base', r.oid))),
    ...filesUnder(join(dataDirectory, 'pg_wal')).filter((f) => statSync(f).mtimeMs >= startedAt - 1000),
    ...filesUnder(join(dataDirectory, 'global')),
  ];
  const needles: [string, Buffer][] = [];
  for (const f of fixtures) {
    for (const value of [f.mrn, f.givenName, f.familyName, f.birthDate, f.email, f.phone, f.address]) needles.push([value, Buffer.from(value, 'utf8')]);
  }
  needles.push([renamed, Buffer.from(renamed)], ['reason', Buffer.from(reason)]);
  for (const [i, image] of images.entries()) {
    for (const offset of [0, 65_536 - 20, image.length - 64]) needles.push([`image ${i} @${offset}`, image.subarray(offset, offset + 48)]);
  }
  let scanned = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    scanned += bytes.length;
    for (const [name, needle] of needles) assert.equal(bytes.indexOf(needle), -1, `${name} found in ${file}`);
  }
  const log = Buffer.from(system.logLines.join(''));
  for (const [name, needle] of needles) assert.equal(log.indexOf(needle), -1, `${name} found in the server log`);
  assert.ok(files.length > 20 && scanned > 1_000_000, `the scan covered the files (${files.length} files, ${scanned} bytes)`);
  // The control: the same scan finds a value that is stored in the clear (a user's e-mail is not PHI).
  const control = Buffer.from(viewer.email);
  assert.ok(files.some((file) => readFileSync(file).includes(control)), 'the scan does find what is there');
});
