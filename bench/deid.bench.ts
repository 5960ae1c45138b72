/**
 * Throughput of DICOM de-identification (issue 7, "Performance") on one core, in memory: pydicom's
 * CT_small.dcm (39 kB, 128 × 128, 16 bits, 179 private attributes) and the same instance grown to
 * 512 × 512 (about 0.5 MB of pixels). For each: dcmjs parse + write alone (the floor set by the
 * library), then the whole de-identification (parse, profile, pseudonyms, write), Basic Profile and
 * with Retain Longitudinal Modified Dates. Rates are per CPU-second of the process (one core's worth
 * of work), so that a loaded machine does not halve them. Prints markdown; results in docs/benchmarks.md.
 *
 *   node --import tsx bench/deid.bench.ts
 *
 * Environment: BENCH_SECONDS (per variant, default 3).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { KeyHandle } from '../src/crypto/keys/key-material.ts';
import { TenantPseudonyms } from '../src/crypto/pseudonyms.ts';
import { readRawDicom, writeRawDicom } from '../src/deid/dcmjs-raw.ts';
import { deidentifyDicom } from '../src/deid/dicom-deidentify.ts';
import type { DeidOption } from '../src/deid/deid-options.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const keys = new TenantPseudonyms(new KeyHandle('bench', randomBytes(32)));
const ctSmall = readFileSync('/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm');

function grown(bytes: Buffer, size: number): Buffer {
  const raw = readRawDicom(bytes);
  const pixels = new Uint16Array(size * size);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = (i * 7) % 4096;
  raw.dict['00280010'] = { vr: 'US', Value: [size] };
  raw.dict['00280011'] = { vr: 'US', Value: [size] };
  raw.dict['7FE00010'] = { vr: 'OW', Value: [pixels.buffer] };
  return writeRawDicom(raw);
}

/**
 * Files per second of CPU time (user + system of this process, GC threads included): the machine
 * these run on is shared, and wall-clock rates there mostly measure the neighbours.
 */
function rate(work: () => void): number {
  for (let i = 0; i < 20; i += 1) work(); // warm-up
  let count = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - start < seconds * 1000) {
    work();
    count += 1;
  }
  const used = process.cpuUsage(cpu);
  return count / ((used.user + used.system) / 1e6);
}

const inputs: Array<[string, Buffer]> = [['CT_small.dcm (39 kB)', ctSmall], ['CT 512 × 512 (16-bit)', grown(ctSmall, 512)]];
const variants: Array<[string, readonly DeidOption[]]> = [['Basic Profile', []], ['+ modified dates', ['retain-longitudinal-modified-dates']]];

process.stdout.write(`Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0]?.toFixed(2) ?? '?'} at start; ${seconds} s per variant, one core\n\n`);
process.stdout.write('Rates are files per CPU-second of this process (user + system).\n\n');
process.stdout.write('| instance | bytes | dcmjs read + write | de-identify (Basic Profile) | de-identify (+ modified dates) |\n|---|---|---|---|---|\n');
for (const [name, bytes] of inputs) {
  const floor = rate(() => writeRawDicom(readRawDicom(bytes)));
  const results = variants.map(([, options]) => rate(() => {
    const result = deidentifyDicom(bytes, { options }, keys);
    if (!result.ok) throw new Error(result.reason);
  }));
  process.stdout.write(`| ${name} | ${bytes.length} | ${floor.toFixed(0)} files/s | ${results.map((r) => `${r.toFixed(0)} files/s`).join(' | ')} |\n`);
}
process.stdout.write(`\nload average ${loadavg()[0]?.toFixed(2) ?? '?'} at the end\n`);
