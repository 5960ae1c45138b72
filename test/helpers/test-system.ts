import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDependencies } from '../../src/app.ts';
import { compose, type Composition } from '../../src/compose.ts';
import { startExportJobs } from '../../src/jobs/background-jobs.ts';
import { loadConfig, type Config } from '../../src/config/load-config.ts';
import { createTestDatabases, type TestDatabases } from './test-databases.ts';
import { TestClock } from './test-clock.ts';

export interface TestSystem {
  app: FastifyInstance;
  composition: Composition;
  config: Config;
  clock: TestClock;
  databases: TestDatabases;
  /** Every log line the server wrote (JSON text), to assert that no PHI or secret is logged. */
  logLines: string[];
  close(): Promise<void>;
}

/** Environment for a test system: fresh databases, random secrets, a throwaway data directory. */
export function testEnvironment(databases: TestDatabases, dataDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    CLARUS_DATA_DIR: dataDir,
    CLARUS_PUBLIC_URL: 'http://localhost:8080',
    CLARUS_LOG_LEVEL: 'info',
    CLARUS_JWT_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    CLARUS_SECRET_KEY: randomBytes(32).toString('base64'),
    CLARUS_RATE_LIMIT_PER_MINUTE: '10000',
    ...databases.env,
    ...overrides,
  };
}

/** A whole Clarus (real PostgreSQL, real services, real HTTP app) for one test file. */
export async function startTestSystem(options: { env?: Record<string, string>; extraRoutes?: AppDependencies['extraRoutes']; webDistDir?: string; /** Run research exports in the background, as `clarus serve` does. */ exportJobs?: boolean } = {}): Promise<TestSystem> {
  const databases = await createTestDatabases();
  const dataDir = mkdtempSync(join(tmpdir(), 'clarus-test-'));
  const config = loadConfig(testEnvironment(databases, dataDir, options.env));
  const clock = new TestClock();
  const composition = await compose(config, { clock: clock.now });
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const app = await buildApp({ config, services: composition.services, logStream, extraRoutes: options.extraRoutes, ...(options.webDistDir ? { webDistDir: options.webDistDir } : {}) });
  await app.ready();
  const jobs = options.exportJobs ? startExportJobs(composition.services.researchExports, (error) => logLines.push(`export job failed: ${String(error)}`), 500) : undefined;
  return {
    app, composition, config, clock, databases, logLines,
    async close() {
      await jobs?.stop();
      await app.close();
      await composition.close();
      await databases.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
