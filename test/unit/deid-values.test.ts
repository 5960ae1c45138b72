import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allowListed, dummyValue, shiftDate, shiftDateTime, shiftValues } from '../../src/deid/dicom-values.ts';

describe('dummy values and date shifts', () => {
  test('a dummy for every VR the table can meet is non-empty', () => {
    for (const vr of ['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'PN', 'SH', 'SL', 'SS', 'ST', 'SV', 'TM', 'UC', 'UL', 'UN', 'UR', 'US', 'UT', 'UV', 'AT']) {
      const value = dummyValue(vr);
      assert.ok(value !== undefined && value.length === 1, vr);
    }
    assert.deepEqual(dummyValue('DA'), ['19000101']);
    assert.equal(dummyValue('SQ'), undefined);
  });

  test('DA moves back by whole days across months, years and leap days; ACR-NEMA dates too', () => {
    assert.equal(shiftDate('20240301', 1), '20240229');
    assert.equal(shiftDate('20240101', 366), '20221231');
    assert.equal(shiftDate('1997.04.24', 10), '19970414');
    assert.equal(shiftDate('20230231', 1), undefined, 'not a date');
    assert.equal(shiftDate('2023', 1), undefined, 'partial');
  });

  test('DT keeps its time of day, fraction and UTC offset; partial DTs cannot move', () => {
    assert.equal(shiftDateTime('20240301123456.123456+0100', 2), '20240228123456.123456+0100');
    assert.equal(shiftDateTime('202403', 2), undefined);
    assert.deepEqual(shiftValues('DA', ['20240301', ''], 1), ['20240229', '']);
    assert.equal(shiftValues('DA', ['20240301', 'junk'], 1), undefined);
  });

  test('allow-list: whole values, case and spacing ignored, regular expressions anchored', () => {
    assert.equal(allowListed(['CHEST  PA '], ['chest pa']), true);
    assert.equal(allowListed(['CHEST PA Jane Roe'], ['chest pa']), false);
    assert.equal(allowListed(['T1 AXIAL 3MM'], [/T1 AXIAL \d+MM/i]), true);
    assert.equal(allowListed(['T1 AXIAL 3MM Jane'], [/T1 AXIAL \d+MM/i]), false);
    assert.equal(allowListed([{ Alphabetic: 'Roe^Jane' }], ['roe^jane']), true);
    assert.equal(allowListed(['anything'], []), false);
  });
});
