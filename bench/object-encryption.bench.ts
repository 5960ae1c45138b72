/**
 * Benchmark of the streaming object format (src/crypto/object-cipher.ts): a 100 MiB file on disk,
 * file → file, through a plain copy, raw node:crypto AES-256-GCM (one nonce, one tag for the whole
 * file: the speed limit of the cipher through Node streams), our encryption and our decryption; and
 * the same in memory (a buffer's views as the source, a discarding sink) to separate crypto from I/O.
 * Prints markdown on stdout; results and their reading are in docs/benchmarks.md.
 *
 *   node --expose-gc --import tsx bench/object-encryption.bench.ts
 *
 * Environment: BENCH_MIB (file size, default 100), BENCH_RUNS (runs per variant, default 5).
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeyHandle } from '../src/crypto/keys/key-material.ts';
import { createObjectDecryptStream, createObjectEncryptStream } from '../src/crypto/object-cipher.ts';

const mib = Number(process.env.BENCH_MIB ?? 100);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const size = mib * 1024 * 1024;
const log = (line: string) => process.stderr.write(`${line}\n`);
const gc = (globalThis as { gc?: () => void }).gc;

const dir = mkdtempSync(join(tmpdir(), 'clarus-bench-objects-'));
const plainFile = join(dir, 'plain.bin');
const sealedFile = join(dir, 'sealed.clrs');
const outFile = join(dir, 'out.bin');
const key = new KeyHandle(`patient/${randomUUID()}/1`, randomBytes(32));
const rawKey = randomBytes(32);
const rawIv = randomBytes(12);
const objectId = randomUUID();

interface Sample { seconds: number; peakGrowth: number }

/** Runs `work` while sampling RSS every 2 ms; the growth is over the RSS just before it started. */
async function measure(work: () => Promise<void>): Promise<Sample> {
  gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 2);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds, peakGrowth: peak - baseline };
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const read = (path: string) => createReadStream(path, { highWaterMark: 64 * 1024 });
const write = (path: string) => createWriteStream(path);
const rawEncrypt = () => createCipheriv('aes-256-gcm', rawKey, rawIv);
const rawDecrypt = (tag: Buffer) => createDecipheriv('aes-256-gcm', rawKey, rawIv).setAuthTag(tag);
const ourEncrypt = () => createObjectEncryptStream(key, objectId);
const ourDecrypt = () => createObjectDecryptStream(async () => key, objectId);

/** A stream of 64 KiB views of a buffer already in memory, so that memory growth is the pipeline's own. */
const fromMemory = (data: Buffer) => Readable.from((function* () {
  for (let at = 0; at < data.length; at += 64 * 1024) yield data.subarray(at, at + 64 * 1024);
})());
const discard = () => new Writable({ write(_chunk, _encoding, callback) { callback(); } });
const collect = async (stream: Readable) => Buffer.concat(await stream.toArray() as Buffer[]);

async function main(): Promise<void> {
  log(`writing a ${mib} MiB random file in ${dir}`);
  await pipeline(Readable.from((function* () { for (let i = 0; i < mib; i += 1) yield randomBytes(1024 * 1024); })()), write(plainFile));
  await pipeline(read(plainFile), ourEncrypt(), write(sealedFile));
  const rawSealedFile = join(dir, 'raw.gcm');
  const cipher = rawEncrypt();
  await pipeline(read(plainFile), cipher, write(rawSealedFile));
  const rawTag = cipher.getAuthTag();

  const plain = randomBytes(size);
  const sealed = await collect(fromMemory(plain).pipe(ourEncrypt()));
  const memoryCipher = rawEncrypt();
  const rawSealed = await collect(fromMemory(plain).pipe(memoryCipher));
  const memoryTag = memoryCipher.getAuthTag();

  const variants: Array<[string, () => Promise<void>]> = [
    ['plain copy (file → file)', () => pipeline(read(plainFile), write(outFile))],
    ['raw AES-256-GCM encrypt (file → file)', () => pipeline(read(plainFile), rawEncrypt(), write(outFile))],
    ['Clarus object encrypt (file → file)', () => pipeline(read(plainFile), ourEncrypt(), write(outFile))],
    ['raw AES-256-GCM decrypt (file → file)', () => pipeline(read(rawSealedFile), rawDecrypt(rawTag), write(outFile))],
    ['Clarus object decrypt (file → file)', () => pipeline(read(sealedFile), ourDecrypt(), write(outFile))],
    ['raw AES-256-GCM encrypt (memory)', () => pipeline(fromMemory(plain), rawEncrypt(), discard())],
    ['Clarus object encrypt (memory)', () => pipeline(fromMemory(plain), ourEncrypt(), discard())],
    ['raw AES-256-GCM decrypt (memory)', () => pipeline(fromMemory(rawSealed), rawDecrypt(memoryTag), discard())],
    ['Clarus object decrypt (memory)', () => pipeline(fromMemory(sealed), ourDecrypt(), discard())],
  ];
  // Round-robin over the variants, so that a change in the machine's load touches all of them alike.
  const samples = new Map<string, Sample[]>(variants.map(([name]) => [name, []]));
  for (let run = 0; run < runs; run += 1) {
    for (const [name, work] of variants) {
      const sample = await measure(work);
      samples.get(name)?.push(sample);
      log(`run ${run + 1}: ${name}: ${(mib / sample.seconds).toFixed(0)} MiB/s, RSS +${(sample.peakGrowth / 2 ** 20).toFixed(1)} MiB`);
    }
  }
  const results = variants.map(([name]) => {
    const list = samples.get(name) ?? [];
    return { name, mibPerSecond: mib / median(list.map((s) => s.seconds)), peakMib: Math.max(...list.map((s) => s.peakGrowth)) / 2 ** 20 };
  });
  await pipeline(read(sealedFile), ourDecrypt(), write(outFile));
  if (!readFileSync(outFile).equals(readFileSync(plainFile))) throw new Error('decryption did not give back the file');

  const baselineOf = (name: string) => results.find((r) => r.name.startsWith(name))?.mibPerSecond ?? NaN;
  const rawFor = (name: string) => baselineOf(`raw AES-256-GCM ${name.includes('decrypt') ? 'decrypt' : 'encrypt'} (${name.includes('memory') ? 'memory' : 'file'}`);
  process.stdout.write(`\n${mib} MiB, median of ${runs} runs (peak RSS growth: the largest of the runs), ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end\n\n`);
  process.stdout.write('| variant | MiB/s | vs raw GCM | peak RSS growth |\n|---|---:|---:|---:|\n');
  for (const r of results) {
    const ratio = r.name.startsWith('plain') ? '—' : `${((100 * r.mibPerSecond) / rawFor(r.name)).toFixed(0)} %`;
    process.stdout.write(`| ${r.name} | ${r.mibPerSecond.toFixed(0)} | ${ratio} | ${r.peakMib.toFixed(1)} MiB |\n`);
  }
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
