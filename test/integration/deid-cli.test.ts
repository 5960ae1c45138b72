/**
 * `clarus deid` (issue 7, item 7) against a real database: a folder of mixed files is de-identified
 * with the organisation's keys; what cannot be made safe is refused with a reason and a non-zero exit;
 * a second run gives the same UIDs and pseudonyms; the independent checker passes the outputs.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { createTestDatabases, type TestDatabases } from '../helpers/test-databases.ts';
import { testEnvironment } from '../helpers/test-system.ts';
import { insertAfterIhdr, niftiFile, pngChunk } from '../fixtures/ingest/builders.ts';
import { TABLE_PATH } from '../fixtures/deid/marker-instance.ts';
import { readRawDicom, writeRawDicom } from '../../src/deid/dcmjs-raw.ts';

const bin = resolve(import.meta.dirname, '../../bin/clarus.mjs');
const pydicomFiles = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const checker = resolve(import.meta.dirname, '../../scripts/check-deid.py');
const secret = 'Roe^Jane MRN-42';
let databases: TestDatabases;
let dataDir: string;
let work: string;
let env: Record<string, string>;

function clarus(args: string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

async function clarusAsync(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, encoding: 'utf8', timeout: 120_000 }, (error, _stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr });
    });
  });
}

const lines = (stdout: string, kind: 'ok' | 'refused'): string[][] => stdout.split('\n').filter((l) => l.startsWith(`${kind}\t`)).map((l) => l.split('\t'));

before(async () => {
  databases = await createTestDatabases();
  dataDir = mkdtempSync(join(tmpdir(), 'clarus-deid-cli-'));
  work = mkdtempSync(join(tmpdir(), 'clarus-deid-cli-files-'));
  env = testEnvironment(databases, dataDir);
  const input = join(work, 'Roe_Jane_MRN-42');
  mkdirSync(join(input, 'study 1'), { recursive: true });
  copyFileSync(join(pydicomFiles, 'CT_small.dcm'), join(input, 'study 1', 'CT_small.dcm'));
  copyFileSync(join(pydicomFiles, 'MR_small.dcm'), join(input, 'study 1', 'MR_small.dcm'));
  // A native RGB secondary capture (3 × 3) from a named device model, for the pixel masks.
  const screenshot = readRawDicom(readFileSync(join(pydicomFiles, 'SC_rgb_small_odd.dcm')));
  screenshot.dict['00080070'] = { vr: 'LO', Value: ['ACME'] };
  screenshot.dict['00081090'] = { vr: 'LO', Value: ['SCREEN-1'] };
  writeFileSync(join(input, 'screenshot-native.dcm'), writeRawDicom(screenshot));
  copyFileSync(join(pydicomFiles, 'SC_rgb_jpeg_dcmtk.dcm'), join(input, 'screenshot-jpeg.dcm'));
  writeFileSync(join(input, 'truncated.dcm'), readFileSync(join(pydicomFiles, 'CT_small.dcm')).subarray(0, 2000));
  writeFileSync(join(input, 'notes.txt'), `patient ${secret}\n`);
  writeFileSync(join(input, 'brain.nii.gz'), gzipSync(niftiFile({ dims: [4, 4, 4], datatype: 2, bitpix: 8, descrip: secret, extensions: [{ code: 6, content: Buffer.from(secret) }] })));
  const png = await sharp(Buffer.alloc(8 * 8 * 3, 120), { raw: { width: 8, height: 8, channels: 3 } }).png().toBuffer();
  writeFileSync(join(input, 'photo.png'), insertAfterIhdr(png, [pngChunk('tEXt', Buffer.from(`Author\0${secret}`, 'latin1'))]));
  writeFileSync(join(work, 'masks.json'), JSON.stringify({ masks: [{ manufacturer: 'acme', model: 'screen-1', rows: 3, columns: 3, regions: [{ x: 0, y: 0, width: 3, height: 1 }] }] }));
  assert.equal(spawnSync(process.execPath, [bin, 'init', '--tenant', 'deid-site', '--admin-email', 'admin@example.org'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, encoding: 'utf8' }).status, 0);
});
after(async () => {
  await databases.drop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('clarus deid', () => {
  test('de-identifies a folder, refuses what it cannot make safe, and a second run agrees', () => {
    const input = join(work, 'Roe_Jane_MRN-42');
    const runs = ['out-1', 'out-2'].map((out) => clarus(['deid', input, '--out', join(work, out), '--tenant', 'deid-site', '--option', 'retain-longitudinal-modified-dates', '--pixel-masks', join(work, 'masks.json')]));
    const [first, second] = runs as [ReturnType<typeof clarus>, ReturnType<typeof clarus>];
    writeFileSync(join(work, 'run-1.stdout'), first.stdout);
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /3 file\(s\) refused/);
    assert.match(first.stderr, /de-identifying \[#{20}\] 100% 8\/8/);
    const ok = lines(first.stdout, 'ok');
    const refused = lines(first.stdout, 'refused');
    assert.deepEqual(ok.map((l) => l[1]).sort(), ['brain.nii.gz', 'photo.png', 'screenshot-native.dcm', 'study 1/CT_small.dcm', 'study 1/MR_small.dcm']);
    // The JPEG screenshot cannot be masked (compressed pixels); the native one was.
    assert.deepEqual(refused.map((l) => `${l[1]} ${(l[2] ?? '').split(':')[0]}`).sort(), ['notes.txt UNSUPPORTED_TYPE', 'screenshot-jpeg.dcm BURNED_IN_TEXT', 'truncated.dcm UNREADABLE']);
    assert.match(first.stdout, /5 file\(s\) de-identified into .*, 3 refused/);
    assert.match(ok.find((l) => l[1] === 'brain.nii.gz')?.[3] ?? '', /cleared descrip; 1 extension\(s\) dropped/);
    assert.match(ok.find((l) => l[1] === 'photo.png')?.[3] ?? '', /metadata dropped: tEXt/);

    const outputs = readdirSync(join(work, 'out-1')).sort();
    assert.deepEqual(readdirSync(join(work, 'out-2')).sort(), outputs, 'the same names (UIDs, keyed tokens) in both runs');
    assert.equal(outputs.length, 5);
    for (const name of outputs) {
      assert.doesNotMatch(name, /Roe|Jane|MRN|CT_small|brain|photo/);
      const bytes = readFileSync(join(work, 'out-1', name));
      assert.ok(bytes.equals(readFileSync(join(work, 'out-2', name))), `${name} identical in both runs`);
      assert.equal(bytes.includes(Buffer.from('Roe')) || bytes.includes(Buffer.from('MRN-42')), false, name);
    }
    assert.deepEqual(lines(second.stdout, 'ok').map((l) => l[2]), ok.map((l) => l[2]));

    const dicomPairs = ok.filter((l) => (l[2] ?? '').endsWith('.dcm')).map((l) => ({ original: join(input, l[1] as string), outputs: [join(work, 'out-1', l[2] as string), join(work, 'out-2', l[2] as string)] }));
    writeFileSync(join(work, 'pairs.json'), JSON.stringify(dicomPairs));
    const checked = spawnSync('/usr/bin/python3', ['-W', 'ignore', checker, '--table', TABLE_PATH, '--pairs', join(work, 'pairs.json'), '--option', 'retain-longitudinal-modified-dates'], { encoding: 'utf8' });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
  });

  test('the configured pixel mask made the native screenshot safe: masked, Burned In Annotation NO, 113101', () => {
    const line = lines(readFileSync(join(work, 'run-1.stdout'), 'utf8'), 'ok').find((l) => l[1] === 'screenshot-native.dcm');
    assert.match(line?.[3] ?? '', /pixels: secondary-capture, 1 region\(s\) masked/);
    const raw = readRawDicom(readFileSync(join(work, 'out-1', line?.[2] as string)));
    const pixels = new Uint8Array(raw.dict['7FE00010']?.Value?.[0] as ArrayBuffer);
    assert.ok(pixels.subarray(0, 9).every((b) => b === 0), 'first row blank');
    assert.ok(pixels.subarray(9, 27).some((b) => b !== 0), 'the rest kept');
    assert.equal(raw.dict['00280301']?.Value?.[0], 'NO');
    const codes = (raw.dict['00120064']?.Value as Array<Record<string, { Value?: unknown[] }>>).map((item) => item['00080100']?.Value?.[0]);
    assert.deepEqual(codes, ['113100', '113101', '113107']);
  });

  test('refuses an output folder inside the input or not empty, and unknown options', async () => {
    const input = join(work, 'Roe_Jane_MRN-42');
    // These are refused before the database is opened; the three runs go side by side.
    const [inside, notEmpty, unknown] = await Promise.all([
      clarusAsync(['deid', input, '--out', join(input, 'out'), '--tenant', 'deid-site']),
      clarusAsync(['deid', join(input, 'study 1', 'CT_small.dcm'), '--out', join(work, 'out-1'), '--tenant', 'deid-site']),
      clarusAsync(['deid', input, '--out', join(work, 'out-3'), '--tenant', 'deid-site', '--option', 'keep-everything']),
    ]);
    assert.equal(inside.code, 1);
    assert.match(inside.stderr, /must not be inside the input/);
    assert.equal(notEmpty.code, 1);
    assert.match(notEmpty.stderr, /is not empty/);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown option keep-everything/);
  });
});
