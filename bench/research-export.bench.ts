/**
 * A research export end to end (issue 7, "Performance": a 500-instance export): one patient with
 * research consent, one study/series of synthetic 512 × 512 16-bit CT instances uploaded through the
 * API, then timed: the preflight, the request (202, with TOTP step-up), the export job running to
 * `ready` (decrypt each object, de-identify it with dcmjs, write the ZIP, encrypt the archive under
 * the tenant's export key), and the download over loopback HTTP. Clarus runs in this process
 * (compose + buildApp, as test/helpers/test-system.ts does) on its own PostgreSQL (fsync on,
 * bench/bench-support.ts), the application connected as an ordinary role (row-level security applies),
 * so that the export's CPU time is this process's `process.cpuUsage()`. Prints a markdown table;
 * results and their reading are in docs/benchmarks.md.
 *
 *   npx tsx bench/research-export.bench.ts > result.md
 *
 * CLARUS_ALLOW_UNSCANNED=true: uploads are not scanned by clamd here. Scanning happens at ingest only;
 * an export reads stored (already accepted) objects and never scans, so it does not change what is
 * measured.
 *
 * Environment: BENCH_INSTANCES (default 500), BENCH_UPLOAD_CLIENTS (concurrent uploads while
 * filling, default 4).
 */
import { generateKeyPairSync, randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { buildApp } from '../src/app.ts';
import { compose, type Composition } from '../src/compose.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { createObjectDecryptStream, createObjectEncryptStream } from '../src/crypto/object-cipher.ts';
import { KeyHandle } from '../src/crypto/keys/key-material.ts';
import { DeidentifiedCopies } from '../src/services/deid/deidentified-copies.ts';
import { ZipWriter } from '../src/services/research-export/zip-writer.ts';
import { ResearchExportService } from '../src/services/research-export/research-export.service.ts';
import { PatientObjects } from '../src/services/patient-objects.ts';
import { element, dicomInstance } from '../test/fixtures/ingest/builders.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../test/helpers/journeys.ts';
import { createPatient, patientBody } from '../test/helpers/patients.ts';
import { TestClock } from '../test/helpers/test-clock.ts';
import type { TestSystem } from '../test/helpers/test-system.ts';
import { count, cpuBetween, machineCpu, postgresCpu, startBenchPostgres, type BenchPostgres, createClarusDatabases } from './bench-support.ts';

const instances = Number(process.env.BENCH_INSTANCES ?? 500);
const uploadClients = Number(process.env.BENCH_UPLOAD_CLIENTS ?? 4);
const SIDE = 512;
const OPTIONS = ['retain-longitudinal-modified-dates', 'retain-patient-characteristics'];
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const UID_ROOT = `1.2.826.0.1.3680043.8.498.${Date.now()}`;
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const loads = () => loadavg().map((l) => l.toFixed(2)).join(' ');

// ---------------------------------------------------------------- data

/** A synthetic CT slice (Explicit VR Little Endian), 512 × 512 × 16 bits, one study and series, its own SOP Instance UID. */
function ctSlice(index: number, mrn: string): Buffer {
  const sop = `${UID_ROOT}.2.${index}`;
  const pixels = Buffer.allocUnsafe(SIDE * SIDE * 2);
  for (let i = 0; i < SIDE * SIDE; i += 1) pixels.writeUInt16LE((i * 7 + index * 13) & 0x0fff, i * 2);
  const dataSet = Buffer.concat([
    element(0x00080016, 'UI', CT_IMAGE_STORAGE),
    element(0x00080018, 'UI', sop),
    element(0x00080020, 'DA', '20240315'),
    element(0x00080030, 'TM', '101500'),
    element(0x00080050, 'SH', 'ACC-BENCH-1'),
    element(0x00080060, 'CS', 'CT'),
    element(0x00080080, 'LO', 'Bench General Hospital'),
    element(0x00080090, 'PN', 'Referrer^Bench'),
    element(0x0008103e, 'LO', 'Synthetic chest 1 mm'),
    element(0x00100010, 'PN', 'Bench^Export'),
    element(0x00100020, 'LO', mrn),
    element(0x00100030, 'DA', '19700101'),
    element(0x00100040, 'CS', 'O'),
    element(0x0020000d, 'UI', `${UID_ROOT}.1`),
    element(0x0020000e, 'UI', `${UID_ROOT}.1.1`),
    element(0x00200011, 'IS', '1'),
    element(0x00200013, 'IS', String(index + 1)),
    element(0x00200032, 'DS', `-250\\-250\\${(-index).toFixed(1)}`),
    element(0x00280002, 'US', 1),
    element(0x00280004, 'CS', 'MONOCHROME2'),
    element(0x00280010, 'US', SIDE),
    element(0x00280011, 'US', SIDE),
    element(0x00280100, 'US', 16),
    element(0x00280101, 'US', 12),
    element(0x00280102, 'US', 11),
    element(0x00280103, 'US', 0),
    element(0x7fe00010, 'OW', pixels),
  ]);
  return dicomInstance({ sopInstanceUid: sop, rawDataSet: dataSet });
}

// ---------------------------------------------------------------- measurement helpers

/** Wall time spent inside a method, over all its calls (wrapping the prototype: the export's own objects use it). */
interface Timer { calls: number; ms: number }
function timeMethod(proto: object, name: string): Timer {
  const timer: Timer = { calls: 0, ms: 0 };
  const methods = proto as Record<string, unknown>;
  const original = methods[name] as (...args: unknown[]) => Promise<unknown>;
  if (typeof original !== 'function') throw new Error(`no method ${name} to time`);
  const wrapped = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const t0 = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      timer.calls += 1;
      timer.ms += performance.now() - t0;
    }
  };
  methods[name] = wrapped;
  return timer;
}

/** Resident memory of this process, sampled every 20 ms, and the kernel's high-water mark (VmHWM, reset first). */
class RssSampler {
  private samples: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  start(): void {
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0); without it the sampler still works.
    try {
      writeFileSync('/proc/self/clear_refs', '5');
    } catch {
      // not permitted: the sampled peak is reported alone
    }
    this.samples = [process.memoryUsage.rss()];
    this.timer = setInterval(() => this.samples.push(process.memoryUsage.rss()), 20);
  }
  stop(): { baseline: number; peak: number; hwm: number } {
    clearInterval(this.timer);
    this.samples.push(process.memoryUsage.rss());
    const status = readFileSync('/proc/self/status', 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) * 1024;
    return { baseline: this.samples[0] as number, peak: Math.max(...this.samples), hwm };
  }
}

interface Phase { wallMs: number; cpuMs: number; pgCpuMs: number; machineBusy: number }
async function phase<T>(pgc: BenchPostgres, work: () => Promise<T>): Promise<{ value: T; phase: Phase }> {
  const pg0 = postgresCpu(pgc.dataDir);
  const m0 = machineCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const m1 = machineCpu();
  return { value, phase: { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, pgCpuMs: cpuBetween(pg0, postgresCpu(pgc.dataDir)) * 1000, machineBusy: (m1.busy - m0.busy) / (m1.total - m0.total) } };
}

/** CPU time to encrypt `bytes` of plaintext in memory the way EncryptedBlobStore.put does (SHA-256 + AES-256-GCM segments), no disk. */
async function encryptionCpuMs(bytes: number): Promise<number> {
  const chunk = randomBytes(64 * 1024);
  const key = new KeyHandle('bench/export', randomBytes(32));
  const cpu0 = process.cpuUsage();
  const hash = createHash('sha256');
  let left = bytes;
  const source = Readable.from((function* () {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      hash.update(piece);
      yield piece;
    }
  })());
  await pipeline(source, createObjectEncryptStream(key, 'bench-object'), new Writable({ write: (_c, _e, done) => done() }));
  hash.digest();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000;
}

/** CPU time to decrypt `times` objects of `size` bytes in memory (verified 64 KiB segments), as each stored instance is read; no disk, no key lookup. */
async function decryptionCpuMs(size: number, times: number): Promise<number> {
  const key = new KeyHandle('bench/patient', randomBytes(32));
  const sealed: Buffer[] = [];
  await pipeline(Readable.from([randomBytes(size)]), createObjectEncryptStream(key, 'bench-object'), new Writable({ write: (c: Buffer, _e, done) => { sealed.push(c); done(); } }));
  const ciphertext = Buffer.concat(sealed);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < times; i += 1) {
    let plain = 0;
    await pipeline(Readable.from([ciphertext]), createObjectDecryptStream(async () => key, 'bench-object'), new Writable({ write: (c: Buffer, _e, done) => { plain += c.length; done(); } }));
    if (plain !== size) throw new Error('decryption lost bytes');
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000;
}

// ---------------------------------------------------------------- run

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const load0 = loads();
  log(`load average ${load0} on ${cpus().length} cores; starting PostgreSQL`);
  const pgc = await startBenchPostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'clarus-bench-export-'));
  let composition: Composition | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  const stopAll = async () => {
    await app?.close().catch(() => undefined);
    await composition?.close().catch(() => undefined);
    await pgc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  try {
    const role = await createClarusDatabases(pgc);
    const config = loadConfig({
      NODE_ENV: 'test', CLARUS_DATA_DIR: dataDir, CLARUS_PUBLIC_URL: 'http://localhost:8080', CLARUS_LOG_LEVEL: 'warn',
      CLARUS_JWT_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      CLARUS_SECRET_KEY: randomBytes(32).toString('base64'),
      CLARUS_RATE_LIMIT_PER_MINUTE: '100000', CLARUS_STEP_UP_WINDOW: '300',
      // Exports never scan (they read objects accepted at ingest); the fill below skips clamd to save time.
      CLARUS_ALLOW_UNSCANNED: 'true',
      DATABASE_URL: pgc.url('clarus', role), AUDIT_DATABASE_URL: pgc.url('clarus_audit', role),
      DATABASE_MIGRATION_URL: pgc.url('clarus'), AUDIT_DATABASE_MIGRATION_URL: pgc.url('clarus_audit'),
    });
    const clock = new TestClock();
    composition = await compose(config, { clock: clock.now, log });
    const { services } = composition;
    if (composition.databases.role.superuser || composition.databases.role.bypassRls) throw new Error('the application role must be subject to row-level security');
    const logLines: string[] = [];
    app = await buildApp({ config, services: composition.services, logStream: new Writable({ write: (chunk: Buffer, _e, done) => { logLines.push(chunk.toString('utf8')); done(); } }) });
    await app.ready();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // The journeys of test/helpers/journeys.ts need the app, the clock and the composition; no test databases here.
    const system: TestSystem = {
      app, composition, config, clock, logLines,
      databases: { env: {}, mainName: 'clarus', appRole: role.user, drop: async () => undefined },
      close: async () => undefined,
    };
    const admin: SignedInUser = await newTenantWithAdmin(system, 'bench');
    const radiologist = await addUser(system, admin, ['Radiologist']);
    const body = patientBody({ birthDate: '1950-06-01' });
    const mrn = body.mrn as string;
    const patientId = await createPatient(admin, body);
    const consent = await admin.client.request('PUT', `/api/patients/${patientId}/consents/research`, { status: 'granted' });
    if (consent.status !== 200) throw new Error(`consent: ${consent.status} ${JSON.stringify(consent.body)}`);

    // ---- fill: N instances through POST /api/patients/:id/images, as the Radiologist
    log(`uploading ${instances} instances of ${SIDE}×${SIDE}×16 bits (${uploadClients} concurrent uploads)`);
    let next = 0;
    let studyId = '';
    let instanceBytes = 0;
    const fill0 = performance.now();
    await Promise.all(Array.from({ length: uploadClients }, async () => {
      while (next < instances) {
        const i = next++;
        const bytes = ctSlice(i, mrn);
        instanceBytes = bytes.length;
        const reply = await radiologist.client.request('POST', `/api/patients/${patientId}/images`, bytes, { 'content-type': 'application/dicom' });
        if (reply.status !== 201) throw new Error(`upload ${i}: ${reply.status} ${JSON.stringify(reply.body)}`);
        studyId = (reply.body as { studyId: string }).studyId;
        if ((i + 1) % 100 === 0) log(`  ${i + 1} uploaded`);
      }
    }));
    const fillSeconds = (performance.now() - fill0) / 1000;
    log(`filled in ${fillSeconds.toFixed(1)} s (${(instances / fillSeconds).toFixed(1)} instances/s); load average ${loads()}`);

    const request = { studyIds: [studyId], purpose: 'Benchmark cohort 2026', options: OPTIONS };
    // Warm-up: a preflight, so that first-call costs (JIT, key caches) are not in the measured one.
    await radiologist.client.post('/api/research-exports/preflight', request);

    // ---- the measured run
    const loadExport0 = loads();
    const rss = new RssSampler();
    rss.start();
    await delay(500);
    const preflight = await phase(pgc, () => radiologist.client.post('/api/research-exports/preflight', request));
    if (preflight.value.status !== 200 || preflight.value.body.ready !== true || preflight.value.body.files !== instances) {
      throw new Error(`preflight: ${preflight.value.status} ${JSON.stringify(preflight.value.body).slice(0, 500)}`);
    }
    const stepUp = await radiologist.client.post('/api/auth/step-up', { code: radiologist.nextCode() }); // not timed: a person types the code
    if (stepUp.status !== 200) throw new Error(`step-up: ${stepUp.status} ${JSON.stringify(stepUp.body)}`);
    const requested = await phase(pgc, () => radiologist.client.post('/api/research-exports', request));
    if (requested.value.status !== 202) throw new Error(`request: ${requested.value.status} ${JSON.stringify(requested.value.body)}`);
    const exportId = requested.value.body.id as string;

    // Private methods are wrapped by name: planning, and the patient-key lookup (a transaction + two unwraps) of each object read.
    const plans = timeMethod(ResearchExportService.prototype, 'plan');
    const keyLookups = timeMethod(PatientObjects.prototype, 'patientKey');
    const reads = timeMethod(DeidentifiedCopies.prototype, 'read');
    const copies = timeMethod(DeidentifiedCopies.prototype, 'copy');
    const zipAdds = timeMethod(ZipWriter.prototype, 'add');
    const zipFinish = timeMethod(ZipWriter.prototype, 'finish');
    log(`export ${exportId}: running ${instances} instances`);
    const ran = await phase(pgc, () => services.researchExports.runPending());
    if (ran.value !== 1) throw new Error(`runPending ran ${ran.value} exports`);
    const status = await radiologist.client.get(`/api/research-exports/${exportId}`); // also refreshes the access token if needed
    const progress = status.body.progress as { done: number; total: number };
    if (status.body.state !== 'ready' || progress.done !== instances || status.body.withheld !== 0) throw new Error(`export: ${JSON.stringify(status.body)}`);
    const archiveSize = status.body.size as number;
    log(`ready: ${mib(archiveSize)} in ${sec(ran.phase.wallMs)}; downloading`);

    // Download over real loopback HTTP, with the Radiologist's session cookie, streamed and counted.
    let tail = Buffer.alloc(0);
    const download = await phase(pgc, async () => {
      const reply = await fetch(`${base}/api/research-exports/${exportId}/download`, { headers: { cookie: radiologist.client.cookieHeader() } });
      if (reply.status !== 200 || !reply.body) throw new Error(`download: ${reply.status} ${await reply.text()}`);
      let received = 0;
      for await (const chunk of reply.body as AsyncIterable<Uint8Array>) {
        received += chunk.length;
        tail = Buffer.concat([tail, chunk]).subarray(-22);
      }
      return received;
    });
    const rssResult = rss.stop();
    const loadExport1 = loads();
    if (download.value !== archiveSize) throw new Error(`downloaded ${download.value} bytes, the export says ${archiveSize}`);
    // End of central directory record: signature and entry count (the instances and manifest.json).
    if (tail.readUInt32LE(0) !== 0x06054b50 || tail.readUInt16LE(10) !== instances + 1) throw new Error('the archive does not end with the expected ZIP directory');

    log('measuring archive encryption in memory');
    const encryptMs = await encryptionCpuMs(archiveSize);
    const decryptCpuMs = await decryptionCpuMs(instanceBytes, instances);
    const load1 = loads();

    // ---- report
    const endToEnd = preflight.phase.wallMs + requested.phase.wallMs + ran.phase.wallMs + download.phase.wallMs;
    const decryptMs = reads.ms;
    const deidMs = copies.ms - reads.ms;
    const zipMs = zipAdds.ms + zipFinish.ms;
    const otherMs = ran.phase.wallMs - plans.ms - copies.ms - zipMs;
    const out = (line = '') => process.stdout.write(`${line}\n`);
    const pct = (part: number) => `${((part / ran.phase.wallMs) * 100).toFixed(0)} %`;
    out(`### ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'})`);
    out();
    out(`Load average (1/5/15 min): ${load0} at start, ${loadExport0} → ${loadExport1} around the export, ${load1} at the end.`);
    out();
    out(`${count(instances)} CT instances of ${count(instanceBytes)} bytes (${SIDE}×${SIDE}, 16 bits, Explicit VR Little Endian), one patient/study/series, ${mib(instances * instanceBytes)} in all; options ${OPTIONS.join(', ')}. Fill (not part of the export): ${fillSeconds.toFixed(0)} s, ${(instances / fillSeconds).toFixed(1)} instances/s with ${uploadClients} concurrent uploads, clamd off.`);
    out();
    out('| Step | wall | Node CPU | PostgreSQL CPU | machine busy | rate |');
    out('|---|---:|---:|---:|---:|---|');
    out(`| preflight (POST …/preflight) | ${sec(preflight.phase.wallMs)} | ${sec(preflight.phase.cpuMs)} | ${sec(preflight.phase.pgCpuMs)} | ${(preflight.phase.machineBusy * 100).toFixed(0)} % | |`);
    out(`| request (POST /api/research-exports → 202) | ${sec(requested.phase.wallMs)} | ${sec(requested.phase.cpuMs)} | ${sec(requested.phase.pgCpuMs)} | ${(requested.phase.machineBusy * 100).toFixed(0)} % | |`);
    out(`| export job, queued → ready | ${sec(ran.phase.wallMs)} | ${sec(ran.phase.cpuMs)} | ${sec(ran.phase.pgCpuMs)} | ${(ran.phase.machineBusy * 100).toFixed(0)} % | ${(instances / (ran.phase.wallMs / 1000)).toFixed(1)} files/s; ${(ran.phase.cpuMs / instances).toFixed(1)} ms Node CPU per instance |`);
    out(`| download (loopback HTTP, streamed) | ${sec(download.phase.wallMs)} | ${sec(download.phase.cpuMs)} | ${sec(download.phase.pgCpuMs)} | ${(download.phase.machineBusy * 100).toFixed(0)} % | ${mib(download.value / (download.phase.wallMs / 1000))}/s |`);
    out(`| **end to end** (preflight + request + job + download) | **${sec(endToEnd)}** | ${sec(preflight.phase.cpuMs + requested.phase.cpuMs + ran.phase.cpuMs + download.phase.cpuMs)} | | | **${(instances / (endToEnd / 1000)).toFixed(1)} files/s** |`);
    out();
    out(`| Archive and memory | |`);
    out('|---|---:|');
    out(`| archive (ZIP, stored) | ${count(archiveSize)} bytes (${mib(archiveSize)}), ${count(instances + 1)} entries |`);
    out(`| input (stored plaintext) | ${count(instances * instanceBytes)} bytes |`);
    out(`| Node RSS during the measured run | ${mib(rssResult.baseline)} → peak ${mib(rssResult.peak)} (sampled every 20 ms), VmHWM ${mib(rssResult.hwm)} |`);
    out(`| **peak RSS growth** | **${mib(Math.max(rssResult.peak, Number.isFinite(rssResult.hwm) ? rssResult.hwm : 0) - rssResult.baseline)}** |`);
    out();
    out('Where the export job\'s wall time went (wrapped methods, same run):');
    out();
    out('| Part | wall | share | per instance |');
    out('|---|---:|---:|---:|');
    out(`| planning (consent, holds, instance rows: \`plan\`) | ${sec(plans.ms)} | ${pct(plans.ms)} | ${(plans.ms / instances).toFixed(1)} ms |`);
    out(`| read + decrypt stored objects (\`DeidentifiedCopies.read\`), of which | ${sec(decryptMs)} | ${pct(decryptMs)} | ${(decryptMs / instances).toFixed(1)} ms |`);
    out(`| … patient-key lookup per object (a read transaction + KEK and data-key unwrap, ${keyLookups.calls} calls) | ${sec(keyLookups.ms)} | ${pct(keyLookups.ms)} | ${(keyLookups.ms / instances).toFixed(1)} ms |`);
    out(`| de-identify with dcmjs (\`copy\` minus \`read\`) | ${sec(deidMs)} | ${pct(deidMs)} | ${(deidMs / instances).toFixed(1)} ms |`);
    out(`| ZIP writing incl. waiting for the encrypting archive stream (\`ZipWriter.add/finish\`) | ${sec(zipMs)} | ${pct(zipMs)} | ${(zipMs / instances).toFixed(1)} ms |`);
    out(`| rest: per-study key/UID lookups, SHA-256 per file, progress transactions, waiting for the archive to be stored, final transaction + audit | ${sec(otherMs)} | ${pct(otherMs)} | ${(otherMs / instances).toFixed(1)} ms |`);
    out();
    out(`Encrypting an archive of this size in memory as \`EncryptedBlobStore.put\` does (SHA-256 + AES-256-GCM, 64 KiB segments, no disk): ${sec(encryptMs)} CPU (${(encryptMs / instances).toFixed(2)} ms per instance); it runs inside the job, overlapped with the loop above. Decrypting ${count(instances)} stored instances in memory (no disk, no key lookup): ${sec(decryptCpuMs)} CPU (${(decryptCpuMs / instances).toFixed(2)} ms per instance).`);
  } finally {
    await stopAll();
  }
}

await main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
