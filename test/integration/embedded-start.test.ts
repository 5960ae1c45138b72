import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const bin = resolve(import.meta.dirname, '../../bin/clarus.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'clarus-embedded-'));
let child: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => ok(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((ok) => child?.once('exit', ok));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `clarus serve` on the embedded default and resolves with its output once it prints the enrolment link. */
function startServer(port: number, pgPort: number): Promise<{ lines: string[]; seconds: number }> {
  const started = Date.now();
  child = spawn(process.execPath, [bin, 'serve'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', CLARUS_DATA_DIR: dataDir, PORT: String(port), CLARUS_EMBEDDED_PG_PORT: String(pgPort), CLARUS_LOG_LEVEL: 'warn' },
  });
  const lines: string[] = [];
  return new Promise((ok, fail) => {
    child?.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      lines.push(...chunk.split('\n').filter(Boolean));
      if (lines.some((l) => l.includes('/enrol#token='))) ok({ lines, seconds: (Date.now() - started) / 1000 });
    });
    child?.stderr?.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk));
    child?.once('exit', (code) => fail(new Error(`clarus serve exited with ${String(code)}: ${lines.join('\n')}`)));
  });
}

test('the embedded default starts with one command, prints its URL and a one-time enrolment link, and stops cleanly', async () => {
  const port = await freePort();
  const { lines, seconds } = await startServer(port, await freePort());
  process.stdout.write(`# embedded default ready in ${seconds.toFixed(1)} s (first start, including initdb)\n`);
  assert.ok(lines.some((l) => l.includes(`Clarus is running at http://localhost:${port}`)), lines.join('\n'));
  assert.match(lines.at(-1) ?? '', new RegExp(`^http://localhost:${port}/enrol#token=`));
  assert.ok(lines.some((l) => l.includes('generated local secrets')), 'says that it generated development secrets');
  const ready = await fetch(`http://127.0.0.1:${port}/ready`);
  assert.equal(ready.status, 200);
  // Secrets on disk are readable by the owner only.
  assert.equal(statSync(join(dataDir, 'secrets', 'secret.key')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dataDir, 'secrets')).mode & 0o777, 0o700);
  const exited = new Promise<number | null>((ok) => child?.once('exit', ok));
  child?.kill('SIGTERM');
  assert.equal(await exited, 0);
  const refused = await fetch(`http://127.0.0.1:${port}/health`).then(() => 'answered', () => 'refused');
  assert.equal(refused, 'refused');
});
