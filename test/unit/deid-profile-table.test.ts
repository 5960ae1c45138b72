import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { generateFromSource, OUTPUT_PATH } from '../../scripts/generate-deid-profile.mjs';
import { PROFILE_EDITION, PROFILE_EXACT, PROFILE_MASKED, PROFILE_PRIVATE, PROFILE_ROW_COUNT } from '../../src/deid/generated/profile-table.ts';
import { strongestIodType } from '../../src/deid/iod-type-hints.ts';
import { basicAction, decide, lookupProfile, resolveCombined } from '../../src/deid/profile-rules.ts';
import { deidOptions } from '../../src/deid/deid-options.ts';
import type { ProfileOptionColumn } from '../../src/deid/generated/profile-table.ts';

const root = resolve(import.meta.dirname, '../..');

describe('the profile table is generated from PS3.15 Table E.1-1, never edited by hand', () => {
  test('regenerating it from the JSON gives the checked-in file byte for byte', () => {
    assert.equal(readFileSync(resolve(root, OUTPUT_PATH), 'utf8'), generateFromSource(), 'run npm run generate:deid');
  });

  test('the 2024e edition: 621 rows, the private row and the 50xx/60xx repeating groups', () => {
    assert.equal(PROFILE_EDITION, '2024e');
    assert.equal(PROFILE_ROW_COUNT, 621);
    assert.equal(PROFILE_EXACT.size + PROFILE_MASKED.length + 1, 621);
    assert.deepEqual(PROFILE_MASKED.map((m) => m.pattern), ['(50XX,XXXX)', '(60XX,3000)', '(60XX,4000)']);
    assert.deepEqual([PROFILE_PRIVATE.basic, PROFILE_PRIVATE.options], ['X', { rtnSafePrivOpt: 'C' }]);
    assert.deepEqual(PROFILE_EXACT.get('00100010'), { name: "Patient's Name", basic: 'Z', inStdCompIod: true, options: {} });
    assert.equal(PROFILE_EXACT.get('00080018')?.basic, 'U');
  });

  test('every combined code of the table has a type hint (a new edition forces a decision)', () => {
    const combined = [...PROFILE_EXACT].filter(([, e]) => e.basic.includes('/')).map(([key]) => key);
    assert.ok(combined.length > 40);
    assert.deepEqual(combined.filter((key) => !strongestIodType.has(key)), []);
    assert.deepEqual([...strongestIodType.keys()].filter((key) => !PROFILE_EXACT.get(key)?.basic.includes('/')), [], 'hints only for combined codes');
  });
});

describe('lookup and action resolution', () => {
  test('repeating groups match every even group of 50xx and 60xx, and only their listed elements', () => {
    assert.equal(lookupProfile('60003000')?.kind, 'repeating');
    assert.equal(lookupProfile('601E4000')?.entry.name, 'Overlay Comments');
    assert.equal(lookupProfile('50020010')?.entry.name, 'Curve Data');
    assert.equal(lookupProfile('60000010'), undefined, 'overlay rows are not in the table');
    assert.equal(lookupProfile('00280010'), undefined);
  });

  test('combined codes: Type 1 → D (U), Type 2 → Z, Type 3 → X, never an action the code does not offer', () => {
    assert.deepEqual([1, 2, 3].map((t) => resolveCombined('X/Z/D', t as 1 | 2 | 3)), ['D', 'Z', 'X']);
    assert.deepEqual([1, 2, 3].map((t) => resolveCombined('X/Z/U*', t as 1 | 2 | 3)), ['U', 'Z', 'X']);
    assert.deepEqual([1, 2, 3].map((t) => resolveCombined('X/D', t as 1 | 2 | 3)), ['D', 'D', 'X']);
    assert.deepEqual([1, 2, 3].map((t) => resolveCombined('X/Z', t as 1 | 2 | 3)), ['Z', 'Z', 'X']);
    assert.deepEqual([1, 2, 3].map((t) => resolveCombined('Z/D', t as 1 | 2 | 3)), ['D', 'Z', 'Z']);
    for (const [key, entry] of PROFILE_EXACT) {
      const offered = new Set(entry.basic.replace('*', '').split('/'));
      assert.ok(offered.has(basicAction(key, entry)), `${key} ${entry.basic}`);
    }
  });

  test('an enabled option overrides the profile; C wins over K when two options disagree', () => {
    const columns = (...names: Array<keyof typeof deidOptions>): Set<ProfileOptionColumn> => new Set(names.map((n) => deidOptions[n].column));
    const calibration = PROFILE_EXACT.get('00181200');
    assert.ok(calibration);
    assert.equal(decide('00181200', calibration, columns()).action, 'X');
    assert.equal(decide('00181200', calibration, columns('retain-device-identity')).action, 'K');
    assert.deepEqual(decide('00181200', calibration, columns('retain-device-identity', 'retain-longitudinal-modified-dates')), { action: 'C', cleanBy: ['rtnLongModifDatesOpt'] });
    const studyDate = PROFILE_EXACT.get('00080020');
    assert.ok(studyDate);
    assert.equal(decide('00080020', studyDate, columns('retain-longitudinal-full-dates')).action, 'K');
    assert.equal(decide('00080020', studyDate, columns('clean-descriptors')).action, 'Z');
  });
});
