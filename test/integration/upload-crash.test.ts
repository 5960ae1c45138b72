import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startClamd, type ClamdInstance } from '../helpers/clamd.ts';
import { adminUrl, createTestDatabases, type TestDatabases } from '../helpers/test-databases.ts';
import { testEnvironment } from '../helpers/test-system.ts';
import { dicomInstance } from '../fixtures/ingest/builders.ts';

/**
 * ING-7: `clarus serve` is killed with SIGKILL while 20 uploads are in flight; after a restart every
 * acknowledged upload is intact, and no orphan object or index row remains.
 */
const bin = resolve(import.meta.dirname, '../../bin/clarus.mjs');
let clamd: ClamdInstance;
let databases: TestDatabases;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let base = '';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/** Starts `clarus serve` and resolves once it says it is running (the orphan sweep runs before that). */
function serve(): Promise<{ child: ChildProcess; output: string[] }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output.push(chunk);
      if (output.join('').includes('Clarus is running at')) ok({ child, output });
    });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('exit', (code) => fail(new Error(`serve exited ${code}: ${output.join('')}`)));
    setTimeout(() => fail(new Error(`serve did not start in 60 s: ${output.join('')}`)), 60_000).unref();
  });
}

/** Resolves once the child has exited — also when it already had (an 'exit' listener added late never fires). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => child.once('exit', () => ok()));
}

before(async () => {
  clamd = await startClamd();
  databases = await createTestDatabases();
  dataDir = mkdtempSync(join(tmpdir(), 'clarus-crash-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...testEnvironment(databases, dataDir, { PORT: String(port), CLAMD_URL: clamd.url, CLARUS_ORPHAN_SWEEP_AGE: '0', CLARUS_PUBLIC_URL: base }) };
});
after(async () => {
  await databases.drop();
  rmSync(dataDir, { recursive: true, force: true });
  await clamd.stop();
});

test('SIGKILL during 20 concurrent uploads: acknowledged uploads are intact, nothing is left half-stored', { timeout: 180_000 }, async (t) => {
  let server = await serve();
  const key = spawnSync(process.execPath, [bin, 'apikeys', 'create', '--tenant', 'main', '--role', 'Technician', '--name', 'crash-test'], { env, encoding: 'utf8' });
  assert.equal(key.status, 0, key.stderr);
  const apiKey = key.stdout.trim().split('\n').at(-1) as string;
  const headers = { 'x-api-key': apiKey };
  const created = await fetch(`${base}/api/patients`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ mrn: 'CRASH-1', givenName: 'Crash', familyName: 'Test', birthDate: '1970-01-01', sex: 'other' }),
  });
  assert.equal(created.status, 201);
  const patientId = ((await created.json()) as { patient: { id: string } }).patient.id;

  const files = Array.from({ length: 20 }, (_, i) => dicomInstance({ sopInstanceUid: `1.2.826.0.1.3680043.8.498.5000.${i + 1}`, rows: 1024, columns: 1024 }));
  const acknowledged = new Map<string, Buffer>();
  let killed = false;
  const uploads = files.map(async (file) => {
    try {
      // A client that gets no answer counts the upload as not acknowledged (the signal bounds the wait).
      const reply = await fetch(`${base}/api/patients/${patientId}/images`, { method: 'POST', headers: { ...headers, 'content-type': 'application/dicom' }, body: file, signal: AbortSignal.timeout(30_000) });
      if (reply.status === 201) {
        acknowledged.set(((await reply.json()) as { instanceId: string }).instanceId, file);
        // Kill at the first acknowledgement: the others are somewhere in the pipeline.
        if (acknowledged.size >= 1 && !killed) {
          killed = true;
          server.child.kill('SIGKILL');
        }
      }
    } catch {
      // Connection reset by the kill: not acknowledged, so it may or may not exist — but never half.
    }
  });
  await Promise.all(uploads);
  if (!killed) server.child.kill('SIGKILL');
  await exited(server.child);
  assert.ok(acknowledged.size >= 1, `an upload was acknowledged before the kill (${acknowledged.size})`);

  server = await serve();
  t.diagnostic(`acknowledged ${acknowledged.size} of 20; restart: ${server.output.join('').match(/removed \d+ object\(s\)[^\n]*/)?.[0] ?? 'no orphan object to remove'}`);
  try {
    for (const [instanceId, file] of acknowledged) {
      const reply = await fetch(`${base}/api/images/instances/${instanceId}/file`, { headers, signal: AbortSignal.timeout(30_000) });
      assert.equal(reply.status, 200, `acknowledged ${instanceId} is retrievable`);
      const bytes = Buffer.from(await reply.arrayBuffer());
      assert.ok(bytes.subarray(128).equals(file.subarray(128)), 'and intact');
    }
    const db = new pg.Client({ connectionString: adminUrl(databases.mainName) });
    await db.connect();
    try {
      const pending = await db.query('select count(*)::int as n from pending_objects');
      assert.equal((pending.rows[0] as { n: number }).n, 0, 'no announcement outlives the restart');
      const ids = new Set((await db.query('select id::text from instances union all select id::text from quarantine')).rows.map((r: { id: string }) => r.id));
      const objectsDir = join(dataDir, 'objects');
      const stored = readdirSync(objectsDir).filter((d) => d !== '.tmp').flatMap((shard) => readdirSync(join(objectsDir, shard)));
      assert.deepEqual(new Set(stored), ids, 'every object is indexed and every index row has its object');
      assert.deepEqual(readdirSync(join(objectsDir, '.tmp')), [], 'no temporary file remains');
      for (const id of acknowledged.keys()) assert.ok(ids.has(id));
    } finally {
      await db.end();
    }
  } finally {
    server.child.kill('SIGTERM');
    await exited(server.child);
  }
});
