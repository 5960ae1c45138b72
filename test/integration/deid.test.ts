/**
 * De-identification of DICOM end to end (issue 7): real files from Debian's python3-pydicom and
 * generated marker instances go through `deidentifyDicom`, and an independent checker written in
 * Python with pydicom (`scripts/check-deid.py`) verifies the outputs attribute by attribute against
 * the same Table E.1-1; dciodvfy (dicom3tools) must find no error the input did not already have.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { KeyHandle } from '../../src/crypto/keys/key-material.ts';
import { TenantPseudonyms } from '../../src/crypto/pseudonyms.ts';
import { readRawDicom, writeRawDicom } from '../../src/deid/dcmjs-raw.ts';
import { deidentifyDicom, type DicomDeidOptions } from '../../src/deid/dicom-deidentify.ts';
import type { DeidOption } from '../../src/deid/deid-options.ts';
import { lookupProfile, decide } from '../../src/deid/profile-rules.ts';
import { deidOptions } from '../../src/deid/deid-options.ts';
import type { ProfileOptionColumn } from '../../src/deid/generated/profile-table.ts';
import { validateDicom } from '../../src/ingest/dicom-validate.ts';
import { CARRIER_SEQUENCE, containsMarker, markerInstance, TABLE_PATH } from '../fixtures/deid/marker-instance.ts';

const execFileAsync = promisify(execFile);
const pydicomFiles = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const checker = resolve(import.meta.dirname, '../../scripts/check-deid.py');
let work: string;
const keys = new TenantPseudonyms(new KeyHandle('tenant/test/pseudonym/1', randomBytes(32)));

/** Every top-level file of pydicom's test data that the ingest validator accepts. */
function acceptedInputs(): Array<{ name: string; bytes: Buffer }> {
  return readdirSync(pydicomFiles).filter((name) => statSync(join(pydicomFiles, name)).isFile())
    .map((name) => ({ name, bytes: readFileSync(join(pydicomFiles, name)) }))
    .filter(({ bytes }) => validateDicom(bytes).ok);
}

interface Pair { original: string; outputs: string[] }

function runChecker(pairs: Pair[], options: readonly DeidOption[], extra: string[] = []): { code: number; output: string } {
  const pairsFile = join(work, `pairs-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(pairsFile, JSON.stringify(pairs));
  const result = spawnSync('/usr/bin/python3', ['-W', 'ignore', checker, '--table', TABLE_PATH, '--pairs', pairsFile, ...options.flatMap((o) => ['--option', o]), ...extra], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** De-identifies each input into `exports` folders (same keys: a repeated export) and returns the pairs. */
function exportAll(label: string, inputs: Array<{ name: string; bytes: Buffer }>, options: DicomDeidOptions, exports = 2): Pair[] {
  const originals = join(work, `${label}-in`);
  mkdirSync(originals, { recursive: true });
  const pairs: Pair[] = [];
  for (const { name, bytes } of inputs) {
    const original = join(originals, name);
    writeFileSync(original, bytes);
    const outputs: string[] = [];
    let first: Buffer | undefined;
    for (let e = 0; e < exports; e += 1) {
      const result = deidentifyDicom(bytes, options, keys);
      assert.ok(result.ok, `${name}: ${result.ok ? '' : `${result.code} ${result.reason}`}`);
      if (first) assert.ok(first.equals(result.bytes), `${name}: a repeated export gives the same bytes`);
      first = result.bytes;
      const dir = join(work, `${label}-out${e}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), result.bytes);
      outputs.push(join(dir, name));
    }
    pairs.push({ original, outputs });
  }
  return pairs;
}

/** dciodvfy's error lines with UIDs and quoted values normalised, as a set (dciodvfy is noisy). */
async function dciodvfyErrors(path: string): Promise<Set<string>> {
  // dciodvfy exits non-zero when it finds errors: its output is what matters.
  const result = await execFileAsync('dciodvfy', [path], { encoding: 'utf8', timeout: 30_000 }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
  return new Set(`${result.stdout}${result.stderr}`.split('\n').filter((l) => l.startsWith('Error'))
    .map((l) => l.replace(/<[^>]*>/g, '<v>').replace(/\[[^\]]*\]/g, '[v]').replace(/\b\d+(?:\.\d+)*\b/g, '<n>')));
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'clarus-deid-'));
});
after(() => {
  rmSync(work, { recursive: true, force: true });
});

// Pixel text is the gate's business (tested below); here every instance counts as reviewed.
const reviewed = { pixelText: { policy: {}, confirmedClean: true } };

describe('pydicom test files: de-identified, and the independent checker agrees', () => {
  const optionSets: Array<readonly DeidOption[]> = [
    [],
    ['retain-longitudinal-modified-dates'],
    ['retain-longitudinal-full-dates', 'retain-device-identity', 'retain-institution-identity', 'retain-patient-characteristics'],
    ['retain-uids', 'clean-descriptors', 'clean-structured-content', 'clean-graphics', 'retain-safe-private'],
  ];
  let modifiedDatesPairs: Pair[] | undefined;
  optionSets.forEach((options, index) => {
    // Two exports (same keys) for the first two sets, to check repeated exports; one for the others.
    const exports = index < 2 ? 2 : 1;
    test(`options: ${options.length === 0 ? 'Basic Profile only' : options.join(', ')}${exports === 2 ? ', exported twice' : ''}`, () => {
      const inputs = acceptedInputs();
      assert.ok(inputs.length >= 45, `${inputs.length} accepted files`);
      const pairs = exportAll(`pydicom-${index}`, inputs, { options, ...reviewed }, exports);
      if (index === 1) modifiedDatesPairs = pairs;
      const checked = runChecker(pairs, options);
      assert.equal(checked.code, 0, checked.output);
      assert.match(checked.output, new RegExp(`${inputs.length * exports} file\\(s\\) checked`));
    });
  });

  test('dciodvfy reports no error that the input did not already have', async () => {
    // The outputs of the Modified Dates run above (dates shifted, dummies and empties of the Basic Profile).
    const pairs = modifiedDatesPairs ?? exportAll('dciodvfy', acceptedInputs(), { options: ['retain-longitudinal-modified-dates'], ...reviewed }, 1);
    const introduced: string[] = [];
    const compare = async ({ original, outputs }: Pair): Promise<void> => {
      let baseline = await dciodvfyErrors(original);
      if ([...baseline].some((l) => /read failed/.test(l))) {
        // dciodvfy cannot read some inputs (deflated data sets): compare with the same data set re-encoded, not de-identified.
        const reencoded = `${original}.reencoded`;
        writeFileSync(reencoded, writeRawDicom(readRawDicom(readFileSync(original))));
        baseline = await dciodvfyErrors(reencoded);
      }
      for (const line of await dciodvfyErrors(outputs[0] as string)) if (!baseline.has(line)) introduced.push(`${original}: ${line}`);
    };
    const queue = [...pairs];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let pair = queue.shift(); pair !== undefined; pair = queue.shift()) await compare(pair);
    }));
    assert.deepEqual(introduced, []);
  });

  test('the checker is not a rubber stamp: originals presented as outputs fail it', () => {
    const inputs = acceptedInputs().slice(0, 3);
    const originals = join(work, 'negative');
    mkdirSync(originals, { recursive: true });
    const pairs = inputs.map(({ name, bytes }) => {
      writeFileSync(join(originals, name), bytes);
      return { original: join(originals, name), outputs: [join(originals, name)] };
    });
    const checked = runChecker(pairs, []);
    assert.equal(checked.code, 1);
    assert.match(checked.output, /Patient Identity Removed/);
    assert.match(checked.output, /UID not replaced/);
  });
});

describe('generated instances with a marker in every attribute of the table', () => {
  const instances = [markerInstance('MKPATIENT1Z', 1, 1), markerInstance('MKPATIENT1Z', 1, 2), markerInstance('MKPATIENT2Z', 2, 1)];

  test('the markers are really in the inputs, top level and nested', () => {
    for (const { bytes, markers } of instances) {
      assert.deepEqual(markers.filter((m) => !containsMarker(bytes, m.text)).map((m) => m.text), []);
      assert.ok(markers.filter((m) => m.place === 'nested').length > 300);
    }
    assert.equal(lookupProfile(CARRIER_SEQUENCE), undefined, 'the carrier sequence is not in the table');
  });

  test('Basic Profile: no marker of any attribute is left anywhere in the output bytes; the checker agrees', () => {
    const pairs: Pair[] = [];
    instances.forEach(({ bytes, markers }, i) => {
      const result = deidentifyDicom(bytes, { options: [] }, keys);
      assert.ok(result.ok);
      assert.deepEqual(markers.filter((m) => containsMarker(result.bytes, m.text)).map((m) => `${m.place} ${m.name} ${m.text}`), []);
      const original = join(work, `marker-${i}.dcm`);
      writeFileSync(original, bytes);
      writeFileSync(`${original}.out`, result.bytes);
      pairs.push({ original, outputs: [`${original}.out`] });
    });
    const checked = runChecker(pairs, []);
    assert.equal(checked.code, 0, checked.output);
  });

  test('retain options: exactly the markers of attributes an option keeps survive, everything else goes', () => {
    const options: DeidOption[] = ['retain-uids', 'retain-device-identity', 'retain-institution-identity', 'retain-patient-characteristics', 'retain-longitudinal-full-dates', 'retain-safe-private'];
    const enabled = new Set<ProfileOptionColumn>(options.map((o) => deidOptions[o].column));
    const safePrivate = [{ creator: 'MKCREATOR', group: 0x0009, element: 0x01 }];
    const pairs: Pair[] = [];
    instances.forEach(({ bytes, markers }, i) => {
      const result = deidentifyDicom(bytes, { options, safePrivate }, keys);
      assert.ok(result.ok);
      const wrong: string[] = [];
      for (const marker of markers) {
        const match = lookupProfile(marker.key);
        // Kept: what an option keeps (K), except sequences, whose marker sits in a Person Name (D) of
        // their item; and the one allow-listed private attribute.
        const kept = marker.place === 'private' ? marker.text === 'MP0001Z'
          : match !== undefined && marker.vr !== 'SQ' && decide(marker.key, match.entry, enabled).action === 'K';
        if (containsMarker(result.bytes, marker.text) !== kept) wrong.push(`${kept ? 'lost' : 'kept'} ${marker.place} ${marker.name} ${marker.text}`);
      }
      assert.deepEqual(wrong, []);
      assert.ok(markers.some((m) => m.place === 'nested' && containsMarker(result.bytes, m.text)), 'retained markers are found, nested ones too');
      const original = join(work, `marker-retain-${i}.dcm`);
      writeFileSync(original, bytes);
      writeFileSync(`${original}.out`, result.bytes);
      pairs.push({ original, outputs: [`${original}.out`] });
    });
    const checked = runChecker(pairs, options, ['--safe-private', 'MKCREATOR:0009,xx01']);
    assert.equal(checked.code, 0, checked.output);
  });
});

describe('burned-in text gate (DEID-2)', () => {
  const ultrasound = (): Buffer => {
    // CT_small relabelled as an ultrasound image: native 16-bit pixels of a known size.
    const raw = readRawDicom(readFileSync(join(pydicomFiles, 'CT_small.dcm')));
    raw.dict['00080016'] = { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.6.1'] };
    raw.meta['00020002'] = { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.6.1'] };
    raw.dict['00080060'] = { vr: 'CS', Value: ['US'] };
    return writeRawDicom(raw);
  };
  const maskPolicy = { masks: [{ manufacturer: 'GE MEDICAL', model: 'RHAPSODE', rows: 128, columns: 128, regions: [{ x: 0, y: 0, width: 128, height: 10 }] }] };

  test('an ultrasound image is refused without a mask, and masked with one', () => {
    const input = ultrasound();
    const refused = deidentifyDicom(input, { options: [] }, keys);
    assert.equal(refused.ok, false);
    assert.equal(refused.ok ? '' : refused.code, 'BURNED_IN_TEXT');
    const masked = deidentifyDicom(input, { options: [], pixelText: { policy: maskPolicy } }, keys);
    assert.ok(masked.ok, masked.ok ? '' : masked.reason);
    assert.equal(masked.report.pixelText.masked, 1);
    const raw = readRawDicom(masked.bytes);
    const pixels = new Uint8Array(raw.dict['7FE00010']?.Value?.[0] as ArrayBuffer);
    assert.ok(pixels.subarray(0, 128 * 10 * 2).every((b) => b === 0), 'the first ten rows are blank');
    assert.ok(pixels.subarray(128 * 10 * 2).some((b) => b !== 0), 'the rest is kept');
    assert.equal(raw.dict['00280301']?.Value?.[0], 'NO');
    const codes = (raw.dict['00120064']?.Value as Array<Record<string, { Value?: unknown[] }>>).map((item) => item['00080100']?.Value?.[0]);
    assert.deepEqual(codes, ['113100', '113101']);
  });

  test("a reviewer's rectangles are applied even where the rules hold nothing (a CT with a name in its pixels)", () => {
    const input = readFileSync(join(pydicomFiles, 'CT_small.dcm'));
    const masked = deidentifyDicom(input, { options: [], pixelText: { policy: {}, reviewerRegions: [{ x: 0, y: 0, width: 128, height: 4 }] } }, keys);
    assert.ok(masked.ok, masked.ok ? '' : masked.reason);
    assert.equal(masked.report.pixelText.hold, false);
    assert.equal(masked.report.pixelText.masked, 1);
    const pixels = new Uint8Array(readRawDicom(masked.bytes).dict['7FE00010']?.Value?.[0] as ArrayBuffer);
    assert.ok(pixels.subarray(0, 128 * 4 * 2).every((b) => b === 0), 'the first four rows are blank');
    assert.ok(pixels.subarray(128 * 4 * 2).some((b) => b !== 0), 'the rest is kept');
  });

  test('compressed secondary capture cannot be masked: refused, unless a reviewer confirmed it clean', () => {
    const input = readFileSync(join(pydicomFiles, 'SC_rgb_jpeg_dcmtk.dcm'));
    const policy = { masks: [{ model: '', rows: 100, columns: 100, regions: [{ x: 0, y: 0, width: 10, height: 10 }] }] };
    const refused = deidentifyDicom(input, { options: [], pixelText: { policy } }, keys);
    assert.equal(refused.ok ? '' : refused.code, 'BURNED_IN_TEXT');
    const confirmed = deidentifyDicom(input, { options: [], pixelText: { policy: {}, confirmedClean: true } }, keys);
    assert.ok(confirmed.ok);
    assert.equal(confirmed.report.pixelText.confirmedClean, true);
  });
});
