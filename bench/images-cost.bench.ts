/**
 * What one image costs Clarus (issue 6, "Performance"): a real `clarus serve` child process, set up as
 * in images-vs-orthanc.bench.ts (its own PostgreSQL with fsync on, a real clamd, encryption and audit
 * on, an Administrator API key), then STOW-RS, QIDO-RS and WADO-RS phases on the same synthetic CT
 * instances. For each phase, per instance (or per search): CPU milliseconds of the node process (user +
 * system, from /proc, so a shared machine's load inflates them less than wall-clock rates), of its
 * PostgreSQL and of clamd, and the statements sent to the main and the audit database (counted in the
 * server by scripts/bench-count-statements.mjs). Prints one markdown table; results in docs/benchmarks.md.
 *
 *   npx tsx bench/images-cost.bench.ts
 *
 * Environment: BENCH_INSTANCES (default 500), BENCH_CLIENTS (default 4), BENCH_QUERIES (default 200),
 * BENCH_RETRIEVES (default 300), BENCH_BIN (the `clarus` entry to run, default this checkout's
 * bin/clarus.mjs: point it at another checkout to compare revisions), BENCH_CPU_PROFILE_DIR (start
 * the server with --cpu-prof, profile written there when it stops).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startClamd } from '../test/helpers/clamd.ts';
import { dicomInstance, element } from '../test/fixtures/ingest/builders.ts';
import { cpuBetween, freePort, ms, percentile, postgresCpu, startBenchPostgres, createClarusDatabases } from './bench-support.ts';

const instancesWanted = Number(process.env.BENCH_INSTANCES ?? 500);
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const queries = Number(process.env.BENCH_QUERIES ?? 200);
const retrieves = Number(process.env.BENCH_RETRIEVES ?? 300);
const bin = resolve(process.env.BENCH_BIN ?? resolve(import.meta.dirname, '../bin/clarus.mjs'));
const preload = resolve(import.meta.dirname, '../scripts/bench-count-statements.mjs');
const perStudy = 50;
const batch = 50;
const UID_ROOT = `1.2.826.0.1.3680043.8.498.${Date.now()}`;
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

interface Instance { study: string; series: string; sop: string; mrn: string; bytes: Buffer }

/** The same 152 × 128 16-bit CT instance as images-vs-orthanc.bench.ts (39,660 bytes). */
function ctInstance(index: number): Instance {
  const patient = Math.floor(index / perStudy);
  const study = `${UID_ROOT}.1.${patient}`;
  const series = `${study}.1`;
  const sop = `${UID_ROOT}.2.${index}`;
  const mrn = `BENCHCT${String(patient).padStart(5, '0')}`;
  const pixels = Buffer.alloc(152 * 128 * 2);
  for (let i = 0; i < pixels.length; i += 2) pixels.writeUInt16LE((i * 7 + index) & 0x0fff, i);
  const dataSet = Buffer.concat([
    element(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.2'), element(0x00080018, 'UI', sop),
    element(0x00080020, 'DA', `2024${String(1 + (patient % 12)).padStart(2, '0')}15`), element(0x00080050, 'SH', `ACC${patient}`),
    element(0x00080060, 'CS', 'CT'), element(0x0008103e, 'LO', 'Synthetic bench series'), element(0x00100010, 'PN', `Bench^Patient${patient}`),
    element(0x00100020, 'LO', mrn), element(0x00100030, 'DA', '19700101'), element(0x0020000d, 'UI', study), element(0x0020000e, 'UI', series),
    element(0x00200011, 'IS', '1'), element(0x00200013, 'IS', String((index % perStudy) + 1)), element(0x00280002, 'US', 1),
    element(0x00280004, 'CS', 'MONOCHROME2'), element(0x00280010, 'US', 152), element(0x00280011, 'US', 128), element(0x00280100, 'US', 16),
    element(0x00280101, 'US', 12), element(0x00280102, 'US', 11), element(0x00280103, 'US', 0), element(0x7fe00010, 'OW', pixels),
  ]);
  return { study, series, sop, mrn, bytes: dicomInstance({ sopInstanceUid: sop, rawDataSet: dataSet }) };
}

function multipart(parts: readonly Buffer[]): { body: Buffer; type: string } {
  const boundary = `bench-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1'), part, Buffer.from('\r\n', 'latin1'));
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), type: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

/** User and system CPU seconds of one process (all its threads: libuv's pool does the file I/O). */
function processCpu(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** CPU seconds of the clamd processes started from test/helpers/clamd.ts (their config is in a clarus-clamd- folder). */
function clamdCpu(): number {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'clamd' || !readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('clarus-clamd-')) continue;
      const { user, system } = processCpu(Number(name));
      total += user + system;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const pgc = await startBenchPostgres();
  const clamd = await startClamd();
  const dataDir = mkdtempSync(join(tmpdir(), 'clarus-bench-cost-'));
  const statementsFile = join(dataDir, 'statements.json');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const app = await createClarusDatabases(pgc);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'test', PORT: String(port), CLARUS_PUBLIC_URL: base, CLARUS_DATA_DIR: dataDir, CLARUS_LOG_LEVEL: 'warn',
    CLARUS_RATE_LIMIT_PER_MINUTE: '100000', CLAMD_URL: clamd.url, BENCH_STATEMENTS_FILE: statementsFile,
    DATABASE_URL: pgc.url('clarus', app), AUDIT_DATABASE_URL: pgc.url('clarus_audit', app),
    DATABASE_MIGRATION_URL: pgc.url('clarus'), AUDIT_DATABASE_MIGRATION_URL: pgc.url('clarus_audit'),
  };
  const profile = process.env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', preload, bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const pid = child.pid as number;
  try {
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    for (let i = 0; !output.includes('Clarus is running at'); i += 1) {
      if (i > 1200 || child.exitCode !== null) throw new Error(`clarus serve did not start:\n${output.slice(-3000)}`);
      await delay(100);
    }
    const key = spawnSync(process.execPath, [bin, 'apikeys', 'create', '--tenant', 'main', '--role', 'Administrator', '--name', 'bench'], { env, encoding: 'utf8' });
    if (key.status !== 0) throw new Error(`apikeys create failed: ${key.stderr}`);
    const headers = { 'x-api-key': key.stdout.trim().split('\n').at(-1) ?? '' };

    const data = Array.from({ length: instancesWanted }, (_, i) => ctInstance(i));
    const warm = Array.from({ length: 10 }, (_, i) => ctInstance(9_000_000 + i));
    for (const mrn of new Set([...data, ...warm].map((d) => d.mrn))) {
      const reply = await fetch(`${base}/api/patients`, {
        method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ mrn, givenName: 'Bench', familyName: `Bench${mrn.replace(/\d/g, (d) => 'abcdefghij'[Number(d)] ?? 'a')}`, birthDate: '1970-01-01', sex: 'other' }),
      });
      if (reply.status !== 201) throw new Error(`create patient: ${reply.status} ${await reply.text()}`);
    }
    const stow = async (parts: readonly Instance[]) => {
      const { body, type } = multipart(parts.map((p) => p.bytes));
      const reply = await fetch(`${base}/dicom-web/studies`, { method: 'POST', headers: { ...headers, 'content-type': type, accept: 'application/dicom+json' }, body });
      const text = await reply.text();
      if (reply.status !== 200) throw new Error(`STOW-RS: ${reply.status} ${text.slice(0, 500)}`);
    };
    const qido = async (mrn: string) => {
      const reply = await fetch(`${base}/dicom-web/studies?PatientID=${encodeURIComponent(mrn)}`, { headers: { ...headers, accept: 'application/dicom+json' } });
      const text = await reply.text();
      if (reply.status !== 200 || (JSON.parse(text) as unknown[]).length !== 1) throw new Error(`QIDO-RS: ${reply.status} ${text.slice(0, 300)}`);
    };
    const wado = async (instance: Instance, check: boolean) => {
      const reply = await fetch(`${base}/dicom-web/studies/${instance.study}/series/${instance.series}/instances/${instance.sop}`, { headers: { ...headers, accept: 'multipart/related; type="application/dicom"' } });
      const body = Buffer.from(await reply.arrayBuffer());
      if (reply.status !== 200) throw new Error(`WADO-RS: ${reply.status}`);
      if (check && !body.includes(instance.bytes.subarray(128))) throw new Error('WADO-RS: the bytes differ from those stored');
    };
    await stow(warm);
    await wado(warm[0] as Instance, true);

    const statements = async (): Promise<Record<string, number>> => {
      rmSync(statementsFile, { force: true });
      child.kill('SIGUSR2');
      for (let i = 0; i < 200; i += 1) {
        await delay(10);
        try {
          return JSON.parse(readFileSync(statementsFile, 'utf8')) as Record<string, number>;
        } catch {
          // not written yet
        }
      }
      throw new Error('the server did not report its statement counts');
    };
    const rows: string[] = [];
    /** Runs `tasks` requests from `workers` clients; costs are divided by `units` (instances or searches). */
    const phase = async (name: string, tasks: number, units: number, workers: number, task: (i: number) => Promise<void>) => {
      const latencies: number[] = [];
      let next = 0;
      const s0 = await statements();
      const [n0, p0, c0] = [processCpu(pid), postgresCpu(pgc.dataDir), clamdCpu()];
      const t0 = performance.now();
      await Promise.all(Array.from({ length: workers }, async () => {
        while (next < tasks) {
          const i = next++;
          const start = performance.now();
          await task(i);
          latencies.push(performance.now() - start);
        }
      }));
      const seconds = (performance.now() - t0) / 1000;
      const [n1, p1, c1] = [processCpu(pid), postgresCpu(pgc.dataDir), clamdCpu()];
      const s1 = await statements();
      const per = (seconds_: number) => (1000 * seconds_ / units).toFixed(2);
      const count = (db: string) => (((s1[db] ?? 0) - (s0[db] ?? 0)) / units).toFixed(1);
      rows.push(`| ${name} | ${(units / seconds).toFixed(1)} | ${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 95))} | ${per(n1.user - n0.user + n1.system - n0.system)} (${per(n1.system - n0.system)}) | ${per(cpuBetween(p0, p1))} | ${per(c1 - c0)} | ${count('clarus')} | ${count('clarus_audit')} |`);
      log(rows.at(-1) ?? '');
    };
    const batches: Instance[][] = [];
    for (let i = 0; i < data.length; i += batch) batches.push(data.slice(i, i + batch));
    const mrns = [...new Set(data.map((d) => d.mrn))];
    const load0 = loadavg();
    await phase(`STOW-RS, per instance (batches of ${batch}, ${clients} clients; latency per request)`, batches.length, data.length, clients, (i) => stow(batches[i] as Instance[]));
    for (let i = 0; i < 10; i += 1) await qido(mrns[i % mrns.length] as string);
    await phase('QIDO-RS studies?PatientID=, per search (1 client)', queries, queries, 1, (i) => qido(mrns[i % mrns.length] as string));
    await phase(`WADO-RS instance, per retrieval (${clients} clients)`, retrieves, retrieves, clients, (i) => wado(data[(i * 7919) % data.length] as Instance, i < 20));
    const load1 = loadavg();
    const out = (line = '') => process.stdout.write(`${line}\n`);
    out(`### ${new Date().toISOString().slice(0, 16)}Z, ${instancesWanted} instances, load average ${load0.map((l) => l.toFixed(2)).join(' ')} → ${load1.map((l) => l.toFixed(2)).join(' ')}`);
    out();
    out('| Phase | units/s | latency p50 / p95 | node CPU ms (of which system) | PostgreSQL CPU ms | clamd CPU ms | main-DB statements | audit-DB statements |');
    out('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) out(row);
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((ok) => child.once('exit', ok));
    process.off('exit', killOnExit);
    await clamd.stop();
    await pgc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
