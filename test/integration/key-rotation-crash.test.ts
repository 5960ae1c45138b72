import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { compose } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Principal } from '../../src/services/principal.ts';
import { startTestSystem, testEnvironment, type TestSystem } from '../helpers/test-system.ts';
import { newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';

/**
 * KEY-3: a rotation killed at any moment (a real SIGKILL of the `clarus keys rotate` process) leaves
 * every patient readable, and the next run finishes it. Kill points come from seeded random numbers.
 */
const bin = resolve(import.meta.dirname, '../../bin/clarus.mjs');
const PATIENTS = 120;
const BATCH = '8';
let system: TestSystem;
let admin: SignedInUser;
let slug: string;
let patients: string[];

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...testEnvironment(system.databases, system.config.dataDir, { CLARUS_KEY_REWRAP_BATCH: BATCH, ...extra }) };
}

/** mulberry32: a small seeded generator, so that a failing kill point can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs `clarus keys rotate` and SIGKILLs it once its progress bar has passed `killAt` patient keys. */
function rotateAndKill(killAt: number): Promise<{ signal: NodeJS.Signals | null; progressSeen: number }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, 'keys', 'rotate', '--tenant', slug], { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let progressSeen = 0;
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      for (const match of chunk.matchAll(/(\d+)\/(\d+)/g)) progressSeen = Math.max(progressSeen, Number(match[1]));
      if (progressSeen >= killAt && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (signal === null && code !== 0) fail(new Error(`rotate exited ${code}: ${stderr}`));
      else done({ signal, progressSeen });
    });
  });
}

const principal = (): Principal => ({ kind: 'user', tenantId: admin.tenantId, userId: admin.userId, sessionId: '', stage: 'full', roles: ['Administrator'], stepUpAt: null, patientRestriction: null });
const origin = { sourceAddress: null, requestId: null };

/** Lists every patient through the service, which decrypts each one with its own data key. */
async function everyPatientReadable(services: TestSystem['composition']['services']): Promise<void> {
  const seen: string[] = [];
  for (let offset = 0; offset < PATIENTS; offset += 100) {
    const page = await services.patients.search(principal(), { limit: 100, offset }, origin);
    for (const view of page) {
      assert.match(view.patient.mrn, /^MRN-/);
      seen.push(view.patient.id);
    }
  }
  assert.deepEqual(seen.sort(), [...patients].sort());
}

before(async () => {
  system = await startTestSystem({ env: { CLARUS_KEY_REWRAP_BATCH: BATCH } });
  admin = await newTenantWithAdmin(system);
  slug = ((await admin.client.get('/api/auth/me')).body.user as { tenant: { slug: string } }).tenant.slug;
  patients = [];
  for (let i = 0; i < PATIENTS; i += 1) patients.push(await createPatient(admin));
});
after(async () => system.close());

for (const seed of [7, 1234, 99_991]) {
  test(`rotation killed at a random point (seed ${seed}) loses nothing and is finished by the next run`, async () => {
    const killAt = 1 + Math.floor(seeded(seed)() * (PATIENTS - 2));
    const before = await system.composition.services.keys.status(admin.tenantId);
    const activeBefore = before.keys.find((k) => k.purpose === 'kek' && k.state === 'active')?.version ?? 0;
    const { signal, progressSeen } = await rotateAndKill(killAt);
    assert.equal(signal, 'SIGKILL', `the process was killed (progress ${progressSeen}, kill at ${killAt})`);
    const mid = await system.composition.services.keys.status(admin.tenantId);
    const keks = mid.keys.filter((k) => k.purpose === 'kek');
    assert.equal(keks.filter((k) => k.state === 'active').length, 1, 'exactly one active version at every moment');
    assert.equal(keks.find((k) => k.state === 'active')?.version, activeBefore + 1);
    // Mid-rotation: patient keys are split between the retiring and the new version; all still open.
    await everyPatientReadable(system.composition.services);
    const resumed = spawnSync(process.execPath, [bin, 'keys', 'resume'], { env: childEnv(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(resumed.status, 0, resumed.stderr);
    const after = await system.composition.services.keys.status(admin.tenantId);
    const afterKeks = after.keys.filter((k) => k.purpose === 'kek');
    assert.deepEqual(afterKeks.filter((k) => k.state !== 'retired').map((k) => [k.version, k.state, k.patientKeys]), [[activeBefore + 1, 'active', PATIENTS]]);
    await everyPatientReadable(system.composition.services);
  });
}

test('root-key rotation re-wraps every tenant key; afterwards the old root key is not needed', async () => {
  const oldRoot = readFileSync(join(system.config.dataDir, 'secrets', 'root.key'), 'utf8').trim();
  const newRoot = randomBytes(32).toString('base64');
  const rotated = spawnSync(process.execPath, [bin, 'keys', 'rotate-root'], { env: childEnv({ CLARUS_ROOT_KEY: newRoot, CLARUS_ROOT_KEY_PREVIOUS: oldRoot }), encoding: 'utf8', timeout: 60_000 });
  assert.equal(rotated.status, 0, rotated.stderr);
  assert.match(rotated.stdout, /tenant key\(s\) re-wrapped/);
  // A fresh process that knows only the new root key reads every patient.
  const config = loadConfig(testEnvironment(system.databases, system.config.dataDir, { CLARUS_ROOT_KEY: newRoot }));
  const fresh = await compose(config);
  try {
    const status = await fresh.services.keys.status(admin.tenantId);
    assert.ok(status.keys.filter((k) => k.state !== 'retired').every((k) => k.rootKeyId === status.rootKeyId), 'every live tenant key is under the new root key');
    await everyPatientReadable(fresh.services);
  } finally {
    await fresh.close();
  }
});
