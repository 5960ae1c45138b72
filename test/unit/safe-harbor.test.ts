import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capAgeString, safeHarborPatient, safeHarborRefusedOptions } from '../../src/domain/safe-harbor.ts';
import { checkExportOptions } from '../../src/services/research-export/export-plan.ts';

test('ages over 89 are aggregated (45 CFR 164.514(b)(2)(i)(C)), anything unreadable goes', () => {
  assert.equal(capAgeString('089Y'), '089Y');
  assert.equal(capAgeString('090Y'), '090Y');
  assert.equal(capAgeString('104Y'), '090Y');
  assert.equal(capAgeString('999M'), '999M', '83 years in months');
  assert.equal(capAgeString('999W'), '999W', '19 years in weeks');
  assert.equal(capAgeString('1100M'), undefined, 'not an Age String (four digits)');
  assert.equal(capAgeString('095'), undefined);
  assert.equal(capAgeString('040W'), '040W');
});

test('the patient record of a manifest keeps pseudonym, coded sex and the year of birth unless over 89', () => {
  const at = new Date('2026-11-24T00:00:00Z');
  assert.deepEqual(safeHarborPatient('P-X', 'female', '1985-12-10', at), { pseudonym: 'P-X', sex: 'female', birthYear: 1985 });
  assert.deepEqual(safeHarborPatient('P-X', 'male', '1936-11-25', at), { pseudonym: 'P-X', sex: 'male', birthYear: 1936 }, '89 until the birthday');
  assert.deepEqual(safeHarborPatient('P-X', 'male', '1936-11-24', at), { pseudonym: 'P-X', sex: 'male', birthYear: '90 or older' });
  assert.deepEqual(safeHarborPatient('P-X', 'Ada', null, at), { pseudonym: 'P-X', sex: null, birthYear: null }, 'free text is never kept');
});

test('research exports refuse options that keep Safe Harbor identifiers, unknown and contradictory ones', () => {
  for (const option of Object.keys(safeHarborRefusedOptions)) assert.throws(() => checkExportOptions([option]), { code: 'CLARUS_ERR_DEID_OPTION_REFUSED' });
  assert.throws(() => checkExportOptions(['retain-everything']), { code: 'CLARUS_ERR_VALIDATION' });
  assert.deepEqual(checkExportOptions(['retain-longitudinal-modified-dates', 'retain-patient-characteristics', 'retain-patient-characteristics']), ['retain-longitudinal-modified-dates', 'retain-patient-characteristics']);
});
