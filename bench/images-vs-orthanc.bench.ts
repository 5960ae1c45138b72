/**
 * Images in and out, side by side with Orthanc (issue 6, Performance): the same generated CT
 * instances (identical bytes) stored, searched and retrieved through DICOMweb on a real `clarus serve`
 * child process (clamd scanning, envelope encryption and audit on; PostgreSQL with fsync on) and on
 * Debian's Orthanc with its DICOMweb plugin (its own configuration and storage in a temporary
 * folder, no authentication, a child process). Then the resident memory of each server while one
 * ~100 MB DICOM file uploads. Prints markdown tables with the ratios; results are in docs/benchmarks.md.
 *
 *   apt-get install -y orthanc orthanc-dicomweb clamav-daemon   # Orthanc is the baseline only
 *   npx tsx bench/images-vs-orthanc.bench.ts
 *
 * Environment: BENCH_INSTANCES (default 500), BENCH_CLIENTS (concurrent clients, default 4),
 * BENCH_BATCH (instances per STOW-RS request, default 50), BENCH_PER_STUDY (instances per study and
 * patient, default 50), BENCH_QUERIES (QIDO-RS searches, default 200), BENCH_RETRIEVES (WADO-RS
 * retrievals, default 500), BENCH_BIG_MB (size of the memory probe's file, default 100; 0 skips it),
 * BENCH_ONLY (`clarus` or `orthanc` to run one server).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startClamd, type ClamdInstance } from '../test/helpers/clamd.ts';
import { dicomInstance, element } from '../test/fixtures/ingest/builders.ts';
import { count, cpuBetween, freePort, machineCpu, ms, percentile, postgresCpu, startBenchPostgres, type BenchPostgres, createClarusDatabases } from './bench-support.ts';

const instancesWanted = Number(process.env.BENCH_INSTANCES ?? 500);
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const batch = Number(process.env.BENCH_BATCH ?? 50);
const perStudy = Number(process.env.BENCH_PER_STUDY ?? 50);
const queries = Number(process.env.BENCH_QUERIES ?? 200);
const retrieves = Number(process.env.BENCH_RETRIEVES ?? 500);
const bigMb = Number(process.env.BENCH_BIG_MB ?? 100);
const only = process.env.BENCH_ONLY;
const bin = resolve(import.meta.dirname, '../bin/clarus.mjs');
const ORTHANC = '/usr/sbin/Orthanc';
const ORTHANC_DICOMWEB = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
const DICOM_JSON = 'application/dicom+json';
const DICOM_MULTIPART = 'multipart/related; type="application/dicom"';
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

// ---------------------------------------------------------------- data

const UID_ROOT = `1.2.826.0.1.3680043.8.498.${Date.now()}`;
const mrnOf = (patient: number) => `BENCHCT${String(patient).padStart(5, '0')}`;

interface Instance { study: string; series: string; sop: string; mrn: string; bytes: Buffer }

/**
 * A synthetic CT image (Explicit VR Little Endian): 152 × 128 16-bit pixels, ≈ 39 kB like pydicom's
 * CT_small.dcm; `pixels` replaces the pixel module for the large memory probe (8-bit).
 */
function ctInstance(index: number, big?: { rows: number; columns: number }): Instance {
  const patient = Math.floor(index / perStudy);
  const study = `${UID_ROOT}.1.${patient}`;
  const series = `${study}.1`;
  const sop = `${UID_ROOT}.2.${index}`;
  const mrn = mrnOf(patient);
  const rows = big?.rows ?? 152;
  const columns = big?.columns ?? 128;
  const bits = big ? 8 : 16;
  const pixels = Buffer.alloc(rows * columns * (bits / 8));
  if (!big) for (let i = 0; i < pixels.length; i += 2) pixels.writeUInt16LE((i * 7 + index) & 0x0fff, i);
  else pixels.fill(0x42);
  const dataSet = Buffer.concat([
    element(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
    element(0x00080018, 'UI', sop),
    element(0x00080020, 'DA', `2024${String(1 + (patient % 12)).padStart(2, '0')}15`),
    element(0x00080050, 'SH', `ACC${patient}`),
    element(0x00080060, 'CS', 'CT'),
    element(0x0008103e, 'LO', 'Synthetic bench series'),
    element(0x00100010, 'PN', `Bench^Patient${patient}`),
    element(0x00100020, 'LO', mrn),
    element(0x00100030, 'DA', '19700101'),
    element(0x0020000d, 'UI', study),
    element(0x0020000e, 'UI', series),
    element(0x00200011, 'IS', '1'),
    element(0x00200013, 'IS', String((index % perStudy) + 1)),
    element(0x00280002, 'US', 1),
    element(0x00280004, 'CS', 'MONOCHROME2'),
    element(0x00280010, 'US', rows),
    element(0x00280011, 'US', columns),
    element(0x00280100, 'US', bits),
    element(0x00280101, 'US', bits === 16 ? 12 : 8),
    element(0x00280102, 'US', bits === 16 ? 11 : 7),
    element(0x00280103, 'US', 0),
    element(0x7fe00010, bits === 16 ? 'OW' : 'OB', pixels),
  ]);
  return { study, series, sop, mrn, bytes: dicomInstance({ sopInstanceUid: sop, rawDataSet: dataSet }) };
}

function multipart(parts: readonly Buffer[]): { body: Buffer; type: string } {
  const boundary = `bench-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1'), part, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), type: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

// ---------------------------------------------------------------- processes


/** Resident memory (VmRSS) of a process, bytes. */
function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? Number.NaN) * 1024;
}

/** CPU seconds (user + system) of one process, all its threads. */
function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A DICOMweb server under test: its base URL, headers for every request, its process, and what else it needs. */
interface Server {
  name: 'Clarus' | 'Orthanc';
  base: string;
  headers: Record<string, string>;
  pid: number;
  /** CPU seconds per process of the server and its helpers (PostgreSQL for Clarus; clamd is not counted), for cpuBetween(). */
  cpu(): Map<number, number>;
  /** Prepares the patients the data refers to (Clarus matches PatientID ↔ MRN). */
  patients(mrns: readonly string[]): Promise<void>;
  /** Uploads one file through the server's single-file API; resolves when acknowledged. */
  uploadOne(bytes: Buffer, mrn: string): Promise<void>;
  stop(): Promise<void>;
}

function waitForOutput(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((ok, fail) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start in time:\n${output.slice(-3000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (pattern.test(output)) {
        clearTimeout(timer);
        ok(output);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${what} exited ${String(code)}:\n${output.slice(-3000)}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function startClarus(): Promise<Server> {
  const pgc: BenchPostgres = await startBenchPostgres();
  const clamd: ClamdInstance = await startClamd();
  const dataDir = mkdtempSync(join(tmpdir(), 'clarus-bench-images-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const app = await createClarusDatabases(pgc);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'test', PORT: String(port), CLARUS_PUBLIC_URL: base, CLARUS_DATA_DIR: dataDir, CLARUS_LOG_LEVEL: 'warn',
    CLARUS_RATE_LIMIT_PER_MINUTE: '100000', CLAMD_URL: clamd.url,
    DATABASE_URL: pgc.url('clarus', app), AUDIT_DATABASE_URL: pgc.url('clarus_audit', app),
    DATABASE_MIGRATION_URL: pgc.url('clarus'), AUDIT_DATABASE_MIGRATION_URL: pgc.url('clarus_audit'),
  };
  const child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const cleanup = async () => {
    await stopChild(child);
    process.off('exit', killOnExit);
    await clamd.stop();
    await pgc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForOutput(child, /Clarus is running at/, 'clarus serve');
    const key = spawnSync(process.execPath, [bin, 'apikeys', 'create', '--tenant', 'main', '--role', 'Administrator', '--name', 'bench'], { env, encoding: 'utf8' });
    if (key.status !== 0) throw new Error(`apikeys create failed: ${key.stderr}`);
    const headers = { 'x-api-key': key.stdout.trim().split('\n').at(-1) ?? '' };
    const patientIds = new Map<string, string>();
    return {
      name: 'Clarus', base, headers, pid: child.pid as number,
      cpu: () => postgresCpu(pgc.dataDir).set(child.pid as number, processCpu(child.pid as number)),
      async patients(mrns) {
        for (const mrn of mrns) {
          if (patientIds.has(mrn)) continue;
          const reply = await fetch(`${base}/api/patients`, {
            method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify({ mrn, givenName: 'Bench', familyName: `Bench${mrn.replace(/\d/g, (d) => 'abcdefghij'[Number(d)] ?? 'a')}`, birthDate: '1970-01-01', sex: 'other' }),
          });
          if (reply.status !== 201) throw new Error(`create patient: ${reply.status} ${await reply.text()}`);
          patientIds.set(mrn, ((await reply.json()) as { patient: { id: string } }).patient.id);
        }
      },
      async uploadOne(bytes, mrn) {
        const reply = await fetch(`${base}/api/patients/${patientIds.get(mrn) ?? ''}/images`, { method: 'POST', headers: { ...headers, 'content-type': 'application/dicom' }, body: bytes });
        if (reply.status !== 201) throw new Error(`upload: ${reply.status} ${await reply.text()}`);
      },
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function startOrthanc(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'orthanc-bench-'));
  mkdirSync(join(dir, 'storage'));
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const configFile = join(dir, 'orthanc.json');
  writeFileSync(configFile, JSON.stringify({
    Name: 'BENCH', StorageDirectory: join(dir, 'storage'), IndexDirectory: join(dir, 'storage'),
    HttpPort: httpPort, DicomPort: dicomPort, DicomAet: 'ORTHANCBENCH', RemoteAccessAllowed: false, AuthenticationEnabled: false,
    HttpCompressionEnabled: false, StorageCompression: false, Plugins: [ORTHANC_DICOMWEB],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
  }, null, 2));
  const child = spawn(ORTHANC, [configFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const cleanup = async () => {
    await stopChild(child);
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    child.stdout.resume();
    child.stderr.resume();
    for (let tries = 0; ; tries += 1) {
      if (child.exitCode !== null) throw new Error(`Orthanc exited ${child.exitCode}`);
      try {
        if ((await fetch(`${base}/system`)).ok) break;
      } catch {
        // not listening yet
      }
      if (tries > 300) throw new Error('Orthanc did not answer /system in 30 s');
      await delay(100);
    }
    const version = ((await (await fetch(`${base}/system`)).json()) as { Version?: string }).Version ?? '?';
    const plugins = (await (await fetch(`${base}/plugins`)).json()) as string[];
    log(`Orthanc ${version} (plugins: ${plugins.join(', ')})`);
    return {
      name: 'Orthanc', base, headers: {}, pid: child.pid as number, cpu: () => new Map([[child.pid as number, processCpu(child.pid as number)]]),
      async patients() {
        // Orthanc takes PatientID as given.
      },
      async uploadOne(bytes) {
        const reply = await fetch(`${base}/instances`, { method: 'POST', headers: { 'content-type': 'application/dicom' }, body: bytes });
        if (!reply.ok) throw new Error(`upload: ${reply.status} ${await reply.text()}`);
      },
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

// ---------------------------------------------------------------- phases

interface Rate { count: number; seconds: number; perSecond: number; p50: number; p95: number; serverCpu: number; machineBusy: number }

/** Runs `total` tasks from `workers` concurrent clients; latency per task, server CPU seconds per second. */
async function run(server: Server, total: number, workers: number, task: (i: number) => Promise<number>): Promise<Rate> {
  const latencies: number[] = [];
  let done = 0;
  let next = 0;
  const cpu0 = server.cpu();
  const m0 = machineCpu();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < total) {
      const i = next++;
      const s = performance.now();
      const finished = await task(i); // not `done += await …`: that would read `done` before the await
      done += finished;
      latencies.push(performance.now() - s);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const m1 = machineCpu();
  return {
    count: done, seconds, perSecond: done / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95),
    serverCpu: cpuBetween(cpu0, server.cpu()) / seconds, machineBusy: (m1.busy - m0.busy) / (m1.total - m0.total),
  };
}

async function stowBatch(server: Server, parts: readonly Instance[]): Promise<number> {
  const { body, type } = multipart(parts.map((p) => p.bytes));
  const reply = await fetch(`${server.base}/dicom-web/studies`, { method: 'POST', headers: { ...server.headers, 'content-type': type, accept: DICOM_JSON }, body });
  const text = await reply.text();
  if (reply.status !== 200) throw new Error(`${server.name} STOW-RS: ${reply.status} ${text.slice(0, 600)}`);
  return parts.length;
}

async function qido(server: Server, mrn: string): Promise<number> {
  const reply = await fetch(`${server.base}/dicom-web/studies?PatientID=${encodeURIComponent(mrn)}`, { headers: { ...server.headers, accept: DICOM_JSON } });
  const text = await reply.text();
  if (reply.status !== 200) throw new Error(`${server.name} QIDO-RS: ${reply.status} ${text.slice(0, 300)}`);
  const studies = JSON.parse(text) as unknown[];
  if (studies.length !== 1) throw new Error(`${server.name} QIDO-RS: ${studies.length} studies for ${mrn}, expected 1`);
  return 1;
}

async function wado(server: Server, instance: Instance, check = false): Promise<number> {
  const reply = await fetch(`${server.base}/dicom-web/studies/${instance.study}/series/${instance.series}/instances/${instance.sop}`, { headers: { ...server.headers, accept: DICOM_MULTIPART } });
  const body = Buffer.from(await reply.arrayBuffer());
  if (reply.status !== 200) throw new Error(`${server.name} WADO-RS: ${reply.status} ${body.subarray(0, 300).toString()}`);
  if (body.length < instance.bytes.length) throw new Error(`${server.name} WADO-RS: ${body.length} bytes, less than the instance`);
  // Clarus zeroes the preamble; everything after it must come back byte for byte.
  if (check && !body.includes(instance.bytes.subarray(128))) throw new Error(`${server.name} WADO-RS: the bytes differ from those stored`);
  return 1;
}

interface Memory { baseline: number; peak: number; growth: number; seconds: number; samples: number }

/** Samples VmRSS every 20 ms for 1 s before, during, and 1 s after one upload of `file`. */
async function memoryDuringUpload(server: Server, file: Instance): Promise<Memory> {
  const samples: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(rss(server.pid));
      await delay(20);
    }
  })();
  await delay(1000);
  const baseline = Math.max(...samples);
  const t0 = performance.now();
  await server.uploadOne(file.bytes, file.mrn);
  const seconds = (performance.now() - t0) / 1000;
  await delay(1000);
  sampling = false;
  await sampler;
  const peak = Math.max(...samples);
  return { baseline, peak, growth: peak - baseline, seconds, samples: samples.length };
}

interface Results {
  stow: Rate; qido: Rate; wado: Rate; memory?: Memory | undefined;
}

async function measure(server: Server, data: readonly Instance[], big: Instance | undefined): Promise<Results> {
  const mrns = [...new Set(data.map((d) => d.mrn))];
  await server.patients(big ? [...mrns, big.mrn] : mrns);
  // Warm-up: one study outside the measured set (its own patient), so every code path has run once.
  const warm = Array.from({ length: 10 }, (_, i) => ctInstance(9_000_000 + i));
  await server.patients([warm[0]?.mrn ?? '']);
  await stowBatch(server, warm);
  await wado(server, warm[0] as Instance, true);
  log(`${server.name}: STOW-RS ${data.length} instances, batches of ${batch}, ${clients} clients`);
  const batches: Instance[][] = [];
  for (let i = 0; i < data.length; i += batch) batches.push(data.slice(i, i + batch));
  const stow = await run(server, batches.length, clients, (i) => stowBatch(server, batches[i] as Instance[]));
  log(`${server.name}: ${stow.perSecond.toFixed(1)} instances/s; QIDO-RS ${queries} searches`);
  for (let i = 0; i < 10; i += 1) await qido(server, mrns[i % mrns.length] as string);
  const search = await run(server, queries, 1, (i) => qido(server, mrns[i % mrns.length] as string));
  log(`${server.name}: QIDO p95 ${ms(search.p95)}; WADO-RS ${retrieves} retrievals`);
  const wadoRate = await run(server, retrieves, clients, (i) => wado(server, data[(i * 7919) % data.length] as Instance, i < 20));
  log(`${server.name}: WADO ${wadoRate.perSecond.toFixed(1)} instances/s`);
  let memory: Memory | undefined;
  if (big) {
    log(`${server.name}: memory while ${(big.bytes.length / 1e6).toFixed(0)} MB uploads`);
    memory = await memoryDuringUpload(server, big);
    log(`${server.name}: RSS ${(memory.baseline / 2 ** 20).toFixed(0)} → ${(memory.peak / 2 ** 20).toFixed(0)} MiB`);
  }
  return { stow, qido: search, wado: wadoRate, memory };
}

const mib = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);
const rate = (r: number | undefined) => (r === undefined ? 'n/a' : r.toFixed(1));

async function main(): Promise<void> {
  // Ctrl-C: exit through process.exit so that the 'exit' handlers kill the server child processes.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const load0 = loadavg();
  log(`load average ${load0.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores; building ${instancesWanted} instances`);
  const data = Array.from({ length: instancesWanted }, (_, i) => ctInstance(i));
  const sizes = data.map((d) => d.bytes.length);
  const bigSide = Math.floor(Math.sqrt(bigMb * 1e6));
  const big = bigMb > 0 ? { ...ctInstance(8_000_000, { rows: bigSide, columns: bigSide }), mrn: mrnOf(0) } : undefined;
  const results = new Map<string, Results>();
  for (const start of [startOrthanc, startClarus]) {
    if (only && start.name.toLowerCase() !== `start${only}`) continue;
    const server = await start();
    try {
      results.set(server.name, await measure(server, data, big));
    } finally {
      await server.stop();
    }
  }
  const load1 = loadavg();
  const c = results.get('Clarus');
  const o = results.get('Orthanc');
  const studies = new Set(data.map((d) => d.study)).size;
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`### ${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')} at start, ${load1.map((l) => l.toFixed(2)).join(' ')} at end`);
  out();
  out(`${count(data.length)} instances of ${count(Math.min(...sizes))}–${count(Math.max(...sizes))} bytes (152×128 16-bit CT), ${studies} studies/patients of ${perStudy}; memory probe: one ${big ? count(big.bytes.length) : 'n/a'}-byte DICOM (${bigSide}×${bigSide} 8-bit).`);
  out();
  out('| Measure | Clarus | Orthanc | Clarus / Orthanc | Goal |');
  out('|---|---:|---:|---:|---|');
  out(`| STOW-RS, batches of ${batch}, ${clients} clients (instances/s) | ${rate(c?.stow.perSecond)} | ${rate(o?.stow.perSecond)} | ${ratio(c?.stow.perSecond, o?.stow.perSecond)} | ≥ 2× |`);
  out(`| STOW-RS request p50 / p95 | ${ms(c?.stow.p50 ?? Number.NaN)} / ${ms(c?.stow.p95 ?? Number.NaN)} | ${ms(o?.stow.p50 ?? Number.NaN)} / ${ms(o?.stow.p95 ?? Number.NaN)} | | |`);
  out(`| QIDO-RS studies?PatientID=, 1 client, p50 | ${ms(c?.qido.p50 ?? Number.NaN)} | ${ms(o?.qido.p50 ?? Number.NaN)} | ${ratio(c?.qido.p50, o?.qido.p50)} | |`);
  out(`| QIDO-RS p95 (${queries} searches, ${count(data.length + 10)} instances loaded) | ${ms(c?.qido.p95 ?? Number.NaN)} | ${ms(o?.qido.p95 ?? Number.NaN)} | ${ratio(c?.qido.p95, o?.qido.p95)} | ≤ 0.5× at 10,000+ |`);
  out(`| WADO-RS instance, ${clients} clients (instances/s) | ${rate(c?.wado.perSecond)} | ${rate(o?.wado.perSecond)} | ${ratio(c?.wado.perSecond, o?.wado.perSecond)} | ≥ 1× |`);
  out(`| WADO-RS p50 / p95 | ${ms(c?.wado.p50 ?? Number.NaN)} / ${ms(c?.wado.p95 ?? Number.NaN)} | ${ms(o?.wado.p50 ?? Number.NaN)} / ${ms(o?.wado.p95 ?? Number.NaN)} | | |`);
  out(`| Server RSS growth while ~${bigMb} MB uploads | ${mib(c?.memory?.growth)} (${mib(c?.memory?.baseline)} → ${mib(c?.memory?.peak)}) | ${mib(o?.memory?.growth)} (${mib(o?.memory?.baseline)} → ${mib(o?.memory?.peak)}) | | < 64 MiB |`);
  out(`| that upload's time | ${c?.memory ? `${c.memory.seconds.toFixed(1)} s` : 'n/a'} | ${o?.memory ? `${o.memory.seconds.toFixed(1)} s` : 'n/a'} | | |`);
  out();
  out('Server CPU (cores busy; Clarus = node + PostgreSQL, clamd not counted) and whole-machine busy share during each phase:');
  out();
  out('| Phase | Clarus CPU | Orthanc CPU | machine busy (Clarus run / Orthanc run) |');
  out('|---|---:|---:|---:|');
  for (const [name, pick] of [['STOW-RS', (r: Results) => r.stow], ['QIDO-RS', (r: Results) => r.qido], ['WADO-RS', (r: Results) => r.wado]] as const) {
    const cr = c ? pick(c) : undefined;
    const or = o ? pick(o) : undefined;
    out(`| ${name} | ${cr ? cr.serverCpu.toFixed(2) : 'n/a'} | ${or ? or.serverCpu.toFixed(2) : 'n/a'} | ${cr ? `${(cr.machineBusy * 100).toFixed(0)} %` : 'n/a'} / ${or ? `${(or.machineBusy * 100).toFixed(0)} %` : 'n/a'} |`);
  }
}

await main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
