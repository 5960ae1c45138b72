import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { daysOf, parseFindIdentifier, recordMatches, responseIdentifier, wildcardMatch, type FindQuery } from '../../src/dimse/find-identifier.ts';
import { storeStatusOf } from '../../src/dimse/dimse-status.ts';
import { part10Header } from '../../src/dimse/part10-header.ts';
import { ContextResult, decideContext } from '../../src/dimse/presentation-contexts.ts';
import { servicePermissionsOf } from '../../src/domain/roles.ts';

const query = (level: FindQuery['level'], keys: Record<string, string>): FindQuery => ({ level, keys: Object.entries(keys).map(([keyword, value]) => ({ keyword, value, sequence: false })) });
const study = { PatientID: 'MRN-7', PatientName: 'Lovelace^Ada', StudyInstanceUID: '1.2.3', StudyDate: '20240102', StudyTime: '153012.5', ModalitiesInStudy: ['CT', 'SR'], AccessionNumber: null };

describe('C-FIND matching (PS3.4 §C.2.2.2)', () => {
  test('wildcards: * any run, ? one character, no regular expression', () => {
    assert.ok(wildcardMatch('LOVE*', 'LOVELACE^ADA'));
    assert.ok(wildcardMatch('*^A?A', 'LOVELACE^ADA'));
    assert.ok(wildcardMatch('*', ''));
    assert.ok(!wildcardMatch('LOVE?', 'LOVELACE'));
    assert.ok(!wildcardMatch('a*b*c*d*e*f*g*h*z', 'abcdefghabcdefghabcdefghabcdefgh'));
  });

  test('universal, single value, list of UIDs, ranges, names ignoring case, multi-valued attributes', () => {
    assert.ok(recordMatches(query('STUDY', { PatientID: '', StudyInstanceUID: '' }), study));
    assert.ok(recordMatches(query('STUDY', { StudyInstanceUID: '9.9\\1.2.3' }), study));
    assert.ok(!recordMatches(query('STUDY', { StudyInstanceUID: '1.2.3*' }), study), 'no wildcards in UIDs');
    assert.ok(recordMatches(query('STUDY', { StudyDate: '20240101-20240131', StudyTime: '1530-1531' }), study));
    assert.ok(recordMatches(query('STUDY', { StudyDate: '-20240102', StudyTime: '1530' }), study));
    assert.ok(!recordMatches(query('STUDY', { StudyDate: '20240103-' }), study));
    assert.ok(recordMatches(query('STUDY', { PatientName: 'lovelace*' }), study));
    assert.ok(recordMatches(query('STUDY', { ModalitiesInStudy: 'MR\\SR' }), study));
    assert.ok(!recordMatches(query('STUDY', { AccessionNumber: 'A1' }), study), 'a missing value matches only universally');
    assert.ok(recordMatches(query('STUDY', { StudyID: 'anything' }), study), 'an attribute Clarus does not hold does not restrict');
  });

  test('the level must exist in the model; keys come back with the stored value or empty, UTF-8 declared when needed', () => {
    assert.deepEqual(parseFindIdentifier({ QueryRetrieveLevel: 'PATIENT' }, true), { ok: false, reason: 'level' });
    const parsed = parseFindIdentifier({ _vrMap: {}, QueryRetrieveLevel: 'STUDY ', PatientName: [{ Alphabetic: 'Lö*' }], StudyID: null, ReferencedStudySequence: [{}] }, true);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.query.keys.map((k) => [k.keyword, k.value, k.sequence]), [['PatientName', 'Lö*', false], ['StudyID', '', false], ['ReferencedStudySequence', '', true]]);
    assert.deepEqual(responseIdentifier(parsed.query, { PatientName: 'Löw^Jo' }), { QueryRetrieveLevel: 'STUDY', PatientName: 'Löw^Jo', StudyID: '', SpecificCharacterSet: 'ISO_IR 192' });
  });

  test('date ranges narrow the search to their days, within a cap', () => {
    assert.deepEqual(daysOf('20240228-20240301', 10), ['20240228', '20240229', '20240301']);
    assert.equal(daysOf('20240101-20251231', 366), undefined);
    assert.equal(daysOf('2024*', 10), undefined);
  });
});

describe('association and storage decisions', () => {
  test('presentation contexts follow the role; uncompressed first; compressed only as offered alone', () => {
    const technician = servicePermissionsOf('Technician');
    const viewer = servicePermissionsOf('Viewer');
    const ct = '1.2.840.10008.5.1.4.1.1.2';
    assert.deepEqual(decideContext(ct, ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'], technician), { result: ContextResult.Accept, transferSyntaxUid: '1.2.840.10008.1.2.1' });
    assert.deepEqual(decideContext(ct, ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2'], technician), { result: ContextResult.Accept, transferSyntaxUid: '1.2.840.10008.1.2' });
    assert.deepEqual(decideContext(ct, ['1.2.840.10008.1.2.4.90'], technician), { result: ContextResult.Accept, transferSyntaxUid: '1.2.840.10008.1.2.4.90' });
    assert.deepEqual(decideContext(ct, ['1.2.840.10008.1.2.1'], viewer), { result: ContextResult.UserRejection });
    assert.deepEqual(decideContext('1.2.840.10008.5.1.4.1.2.2.1', ['1.2.840.10008.1.2'], viewer), { result: ContextResult.Accept, transferSyntaxUid: '1.2.840.10008.1.2' });
    assert.deepEqual(decideContext('1.2.840.10008.5.1.4.1.2.2.2', ['1.2.840.10008.1.2'], viewer), { result: ContextResult.AbstractSyntaxNotSupported }, 'no C-MOVE');
    assert.deepEqual(decideContext(ct, ['1.2.3.4'], technician), { result: ContextResult.TransferSyntaxesNotSupported });
  });

  test('refusals map to PS3.4 storage statuses with the stable code as comment', () => {
    assert.deepEqual(storeStatusOf('CLARUS_ERR_FILE_TOO_LARGE'), { status: 0xa700, comment: 'CLARUS_ERR_FILE_TOO_LARGE' });
    assert.equal(storeStatusOf('CLARUS_ERR_FILE_UID_MISMATCH').status, 0xa900);
    assert.equal(storeStatusOf('CLARUS_ERR_FILE_INFECTED').status, 0xc000);
    assert.equal(storeStatusOf('CLARUS_ERR_PATIENT_UNMATCHED').status, 0x0110);
  });

  test('the Part 10 header: zero preamble, DICM, group 0002 with its length, even-padded values', () => {
    const header = part10Header({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3', transferSyntaxUid: '1.2.840.10008.1.2.1', sendingAeTitle: 'CT1', receivingAeTitle: 'CLARUS' });
    assert.ok(header.subarray(0, 128).equals(Buffer.alloc(128)));
    assert.equal(header.subarray(128, 132).toString('latin1'), 'DICM');
    assert.equal(header.readUInt32LE(140), header.length - 144);
    assert.ok(header.includes(Buffer.from('1.2.3\0', 'latin1')));
    assert.ok(header.includes(Buffer.from('CT1 ', 'latin1')));
    assert.equal(header.length % 2, 0);
  });
});
