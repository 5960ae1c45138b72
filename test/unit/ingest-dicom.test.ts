import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { createPreambleZeroer, validateDicom, zeroPreamble } from '../../src/ingest/dicom-validate.ts';
import { isValidUid } from '../../src/ingest/dicom-uid.ts';
import type { IngestRefusalCode, IngestResult } from '../../src/ingest/ingest-errors.ts';
import { expectedCode, filesUnder, pydicomFiles } from '../fixtures/ingest/pydicom-files.ts';
import { deepPrivateImplicitSequences, deepUndefinedSequences, dicomInstance, element, implicitElement, implicitIdentifiers, item, mzHeader, nestedSequences, sequence, UNDEFINED } from '../fixtures/ingest/builders.ts';

function codeOf<T>(result: IngestResult<T>): IngestRefusalCode | 'accepted' {
  return result.ok ? 'accepted' : result.refusal.code;
}

describe('validateDicom on every file of the pydicom test data', () => {
  const files = filesUnder(pydicomFiles).map((path) => relative(pydicomFiles, path)).sort();

  test('each file is accepted or refused with its expected code', (t) => {
    assert.ok(files.length >= 160, `found ${files.length} files`);
    const started = performance.now();
    const outcomes = new Map<string, number>();
    for (const name of files) {
      const result = validateDicom(readFileSync(join(pydicomFiles, name)));
      const code = codeOf(result);
      assert.equal(code, expectedCode(name), name);
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
    }
    t.diagnostic(`${files.length} files in ${(performance.now() - started).toFixed(0)} ms: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  });

  test('every accepted file still validates the same after zeroPreamble, which changes bytes 0..127 only', () => {
    for (const name of files.filter((f) => expectedCode(f) === 'accepted')) {
      const original = readFileSync(join(pydicomFiles, name));
      const zeroed = zeroPreamble(original);
      assert.deepEqual(zeroed.subarray(0, 128), Buffer.alloc(128), name);
      assert.deepEqual(zeroed.subarray(128), original.subarray(128), name);
      assert.deepEqual(validateDicom(zeroed), validateDicom(original), name);
    }
  });

  test('the summary carries the identifiers and the raw indexing values', () => {
    const result = validateDicom(readFileSync(join(pydicomFiles, 'CT_small.dcm')));
    assert.ok(result.ok);
    assert.equal(result.value.sopInstanceUid, '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322');
    assert.equal(result.value.studyInstanceUid, '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322');
    assert.equal(result.value.transferSyntaxUid, '1.2.840.10008.1.2.1');
    assert.equal(result.value.modality, 'CT');
    assert.equal(result.value.patientName, 'CompressedSamples^CT1');
    assert.deepEqual([result.value.rows, result.value.columns, result.value.numberOfFrames, result.value.bitsAllocated], [128, 128, 1, 16]);
    assert.equal(result.value.pixelData, 'native');
    const deflated = validateDicom(readFileSync(join(pydicomFiles, 'image_dfl.dcm')));
    assert.ok(deflated.ok && deflated.value.decodedPixelBytes === 512 * 512);
    const rle = validateDicom(readFileSync(join(pydicomFiles, 'SC_rgb_rle_2frame.dcm')));
    assert.ok(rle.ok && rle.value.pixelData === 'encapsulated' && rle.value.numberOfFrames === 2);
  });
});

describe('truncated copies are refused, never accepted', () => {
  const cases: Array<[string, number[]]> = [
    // Inside the meta group, inside an element header, inside values, inside pixel data, one byte short.
    ['CT_small.dcm', [140, 200, 331, 1000, 5000, 20000, 39205]],
    ['MR_small_implicit.dcm', [300, 1500, 5000, 9701]],
    ['MR_small_bigendian.dcm', [300, 1500, 5000, 9707]],
    ['MR_small_RLE.dcm', [2000, 5000, 7789]],
    ['image_dfl.dcm', [400, 2000, 4600]],
  ];

  /**
   * Whether cutting the file at `cut` removes information.
   * image_dfl.dcm ends with 3 bytes after the end of its deflate stream (RFC 1951 §3.2.3: BFINAL
   * ends the stream): cutting only those loses nothing, so such a copy is rightly accepted.
   */
  const inflatedWhole = new Map<Buffer, Buffer>();
  function losesData(whole: Buffer, cut: number): boolean {
    // CT_small.dcm ends with (FFFC,FFFC) Data Set Trailing Padding (PS3.10 §7.2), which carries
    // nothing: a copy cut exactly before it is complete.
    const padding = whole.lastIndexOf(Buffer.from([0xfc, 0xff, 0xfc, 0xff, 0x4f, 0x42]));
    if (padding !== -1 && cut === padding) return false;
    if (!whole.includes('1.2.840.10008.1.2.1.99')) return true;
    const metaEnd = 132 + 12 + whole.readUInt32LE(140);
    if (cut <= metaEnd) return true;
    if (!inflatedWhole.has(whole)) inflatedWhole.set(whole, inflateRawSync(whole.subarray(metaEnd)));
    try {
      return !inflateRawSync(whole.subarray(metaEnd, cut)).equals(inflatedWhole.get(whole) as Buffer);
    } catch {
      return true;
    }
  }

  for (const [name, cuts] of cases) {
    test(`${name} cut at ${cuts.join(', ')} → TRUNCATED`, () => {
      const whole = readFileSync(join(pydicomFiles, name));
      assert.ok(validateDicom(whole).ok);
      for (const cut of cuts) assert.equal(codeOf(validateDicom(whole.subarray(0, cut))), 'TRUNCATED', `${name} cut at ${cut}`);
    });
  }

  test('every 53rd cut point of five files (and every cut in the last 128 bytes) is refused', (t) => {
    const tally = new Map<string, number>();
    let count = 0;
    for (const [name] of cases) {
      const whole = readFileSync(join(pydicomFiles, name));
      const cuts = new Set<number>();
      for (let cut = 0; cut < whole.length; cut += 53) cuts.add(cut);
      for (let cut = Math.max(0, whole.length - 128); cut < whole.length; cut += 1) cuts.add(cut);
      for (const cut of [...cuts].filter((c) => losesData(whole, c))) {
        const code = codeOf(validateDicom(whole.subarray(0, cut)));
        assert.notEqual(code, 'accepted', `${name} cut at ${cut}`);
        tally.set(code, (tally.get(code) ?? 0) + 1);
        count += 1;
      }
    }
    t.diagnostic(`${count} cuts: ${JSON.stringify(Object.fromEntries(tally))}`);
  });

  test('native pixel data shorter than rows × columns is TRUNCATED, never padded', () => {
    assert.equal(codeOf(validateDicom(dicomInstance({ rows: 64, columns: 64 }))), 'accepted');
    assert.equal(codeOf(validateDicom(dicomInstance({ rows: 64, columns: 64, pixelBytes: 64 * 64 - 2 }))), 'TRUNCATED');
    assert.equal(codeOf(validateDicom(dicomInstance({ rows: 64, columns: 64, pixelBytes: 0 }))), 'TRUNCATED');
  });

  test('an image pixel module whose pixel data was cut off at an element boundary is TRUNCATED', () => {
    const whole = dicomInstance();
    const pixelElementStart = whole.length - 16 - 12;
    assert.equal(codeOf(validateDicom(whole.subarray(0, pixelElementStart))), 'TRUNCATED');
  });
});

describe('executable/DICOM polyglots (CVE-2019-11687)', () => {
  const polyglot = dicomInstance({ preamble: mzHeader() });

  test('a DICOM whose preamble holds an MZ header is valid DICOM, and zeroPreamble clears the header', () => {
    assert.equal(polyglot.toString('latin1', 0, 2), 'MZ');
    const result = validateDicom(polyglot);
    assert.ok(result.ok);
    const zeroed = zeroPreamble(polyglot);
    assert.deepEqual(zeroed.subarray(0, 128), Buffer.alloc(128));
    assert.deepEqual(zeroed.subarray(128), polyglot.subarray(128));
    assert.equal(polyglot.toString('latin1', 0, 2), 'MZ', 'the input is not modified');
    assert.deepEqual(validateDicom(zeroed), result);
  });

  test('the streaming zeroer gives the same bytes as zeroPreamble, whatever the chunking', async () => {
    for (const size of [1, 50, 127, 128, 129, 4096]) {
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < polyglot.length; offset += size) chunks.push(polyglot.subarray(offset, offset + size));
      const streamed = await buffer(Readable.from(chunks).pipe(createPreambleZeroer()));
      assert.deepEqual(streamed, zeroPreamble(polyglot), `chunks of ${size}`);
    }
  });

  test('zeroPreamble refuses bytes that are not Part 10', () => {
    assert.throws(() => zeroPreamble(Buffer.from('MZ not dicom')), RangeError);
  });
});

describe('structure limits', () => {
  test('16 nested sequences are accepted; 17 and 40 are TOO_DEEP; the limit is configurable', () => {
    assert.equal(codeOf(validateDicom(dicomInstance({ extra: nestedSequences(16) }))), 'accepted');
    assert.equal(codeOf(validateDicom(dicomInstance({ extra: nestedSequences(17) }))), 'TOO_DEEP');
    assert.equal(codeOf(validateDicom(dicomInstance({ extra: nestedSequences(40) }))), 'TOO_DEEP');
    assert.equal(codeOf(validateDicom(dicomInstance({ extra: nestedSequences(40) }), { maxSequenceDepth: 40 })), 'accepted');
    assert.equal(codeOf(validateDicom(dicomInstance({ extra: nestedSequences(4) }), { maxSequenceDepth: 3 })), 'TOO_DEEP');
  });

  test('undefined-length nesting deep enough to exhaust the parser recursion is TOO_DEEP, not a crash', () => {
    assert.equal(codeOf(validateDicom(dicomInstance({ extra: deepUndefinedSequences(40) }))), 'TOO_DEEP');
    assert.equal(codeOf(validateDicom(dicomInstance({ extra: deepUndefinedSequences(100_000) }))), 'TOO_DEEP');
  });

  test('private implicit-VR sequences, whose items dicom-parser drops, are re-read and bounded too', () => {
    const implicit = (extra: Buffer): Buffer => dicomInstance({
      transferSyntax: '1.2.840.10008.1.2', metaSopClassUid: '1.2.840.10008.5.1.4.1.1.88.11',
      rawDataSet: Buffer.concat([implicitIdentifiers(), extra]),
    });
    assert.equal(codeOf(validateDicom(implicit(deepPrivateImplicitSequences(3)))), 'accepted');
    assert.equal(codeOf(validateDicom(implicit(deepPrivateImplicitSequences(16)))), 'accepted');
    assert.equal(codeOf(validateDicom(implicit(deepPrivateImplicitSequences(17)))), 'TOO_DEEP');
    assert.equal(codeOf(validateDicom(implicit(deepPrivateImplicitSequences(40)))), 'TOO_DEEP');
    // Undefined length on a private element that is not a sequence: MALFORMED.
    const abuse = Buffer.concat([implicitElement(0x00091012, Buffer.from('text'), UNDEFINED), Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0])]);
    assert.equal(codeOf(validateDicom(implicit(abuse))), 'MALFORMED');
  });

  test('an undefined-length sequence that never ends is TRUNCATED', () => {
    const open = Buffer.concat([element(0x00209221, 'SQ', Buffer.alloc(0), UNDEFINED), item(element(0x00100020, 'LO', 'X'))]);
    const bytes = dicomInstance({ noPixels: true });
    assert.equal(codeOf(validateDicom(Buffer.concat([bytes, open]))), 'TRUNCATED');
  });

  test('undefined length on an element that is not a sequence or encapsulated pixel data is MALFORMED', () => {
    const abuse = Buffer.concat([element(0x00204000, 'UT', Buffer.from('comment text'), UNDEFINED), Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0])]);
    assert.equal(codeOf(validateDicom(dicomInstance({ extra: abuse }))), 'MALFORMED');
  });

  test('an element longer than its item is refused', () => {
    const inner = element(0x00100020, 'LO', 'ABCDEFGH');
    const shortItem = Buffer.concat([Buffer.from([0xfe, 0xff, 0x00, 0xe0]), Buffer.from([4, 0, 0, 0]), inner]);
    const bytes = dicomInstance({ extra: element(0x00209221, 'SQ', shortItem) });
    assert.notEqual(codeOf(validateDicom(bytes)), 'accepted');
  });

  test('frames and decoded pixel bytes are capped (DIMENSIONS)', () => {
    assert.equal(codeOf(validateDicom(dicomInstance({ rows: 4, columns: 4 }), { maxPixelBytes: 15 })), 'DIMENSIONS');
    const withFrames = dicomInstance({ rows: 2, columns: 2, frames: 20 });
    assert.equal(codeOf(validateDicom(withFrames)), 'accepted');
    assert.equal(codeOf(validateDicom(withFrames, { maxFrames: 19 })), 'DIMENSIONS');
    // 20 frames declared, 19 frames of bytes present.
    assert.equal(codeOf(validateDicom(dicomInstance({ rows: 2, columns: 2, frames: 20, pixelBytes: 76 }))), 'TRUNCATED');
    assert.equal(codeOf(validateDicom(dicomInstance({ rows: 2, columns: 2, frames: 0 }))), 'MALFORMED');
  });

  test('a deflated data set that inflates past the cap is a DECOMPRESSION_BOMB', () => {
    const plain = dicomInstance({ rows: 1024, columns: 1024 });
    const metaEnd = 132 + 12 + plain.readUInt32LE(140);
    const deflated = dicomInstance({ transferSyntax: '1.2.840.10008.1.2.1.99', rawDataSet: deflateRawSync(plain.subarray(metaEnd)) });
    assert.equal(codeOf(validateDicom(deflated)), 'accepted');
    assert.equal(codeOf(validateDicom(deflated, { maxInflatedBytes: 512 * 1024 })), 'DECOMPRESSION_BOMB');
  });
});

describe('identifiers', () => {
  test('UID syntax per PS3.5 §9.1', () => {
    for (const uid of ['1.2.840.10008.1.2.1', '0', '2.25.0', '1.2.3.4567890123456789']) assert.equal(isValidUid(uid), true, uid);
    for (const uid of ['', '1.02.3', '1..2', '.1.2', '1.2.', '1.2.a', '1.2.3 ', `1.${'2'.repeat(63)}`]) assert.equal(isValidUid(uid), false, uid);
  });

  test('invalid, missing and disagreeing UIDs are refused with distinct codes', () => {
    assert.equal(codeOf(validateDicom(dicomInstance({ sopInstanceUid: '1.2.3.04' }))), 'INVALID_UID');
    assert.equal(codeOf(validateDicom(dicomInstance({ sopInstanceUid: `1.2.${'9'.repeat(62)}` }))), 'INVALID_UID');
    assert.equal(codeOf(validateDicom(dicomInstance({ metaSopInstanceUid: '1.2.3.5' }))), 'UID_MISMATCH');
    const noStudy = dicomInstance();
    const study = noStudy.indexOf(element(0x0020000d, 'UI', '1.2.826.0.1.3680043.8.498.2'));
    noStudy.writeUInt16LE(0x0009, study + 2); // (0020,000D) becomes (0020,0009): the Study Instance UID is gone
    assert.equal(codeOf(validateDicom(noStudy)), 'MISSING_UID');
  });

  test('a private transfer syntax is UNSUPPORTED_TYPE', () => {
    assert.equal(codeOf(validateDicom(dicomInstance({ transferSyntax: '1.3.6.1.4.1.99999.1' }))), 'UNSUPPORTED_TYPE');
  });

  test('a sequence with undefined length and items is fine', () => {
    const bytes = dicomInstance({ extra: sequence(0x00209221, [item(element(0x00100020, 'LO', 'A'), true), item(element(0x00100020, 'LO', 'B'))], true) });
    assert.equal(codeOf(validateDicom(bytes)), 'accepted');
  });
});
