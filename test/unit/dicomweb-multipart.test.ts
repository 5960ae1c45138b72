import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buffer } from 'node:stream/consumers';
import { isValidBoundary, MultipartError, MultipartScanner, parseAccept, parseMediaType, readMultipart } from '../../src/http/dicomweb/multipart-related.ts';
import { parseDateRange, planQuery, wildcardMatch } from '../../src/http/dicomweb/qido-query.ts';
import { isValidUid } from '../../src/http/dicomweb/uids.ts';
import { ClarusError } from '../../src/domain/error-catalog.ts';

const limits = { maxParts: 5, maxHeaderBytes: 256, maxFrameBytes: 128 };

interface ScannedPart {
  index: number;
  headers: Map<string, string>;
  body: Buffer;
}

function body(boundary: string, parts: (Buffer | string)[], options: { preamble?: string; epilogue?: string; headers?: string } = {}): Buffer {
  return Buffer.concat([
    Buffer.from(options.preamble ?? ''),
    ...parts.flatMap((p, i) => [Buffer.from(`${i === 0 && !options.preamble ? '' : '\r\n'}--${boundary}\r\n${options.headers ?? 'Content-Type: application/dicom\r\n'}\r\n`), Buffer.from(p)]),
    Buffer.from(`\r\n--${boundary}--${options.epilogue ?? ''}`),
  ]);
}

/** Feeds a body in chunks of `size` bytes, so that delimiters fall across chunk boundaries. */
function scan(bytes: Buffer, size: number, boundary = 'XbX'): ScannedPart[] {
  const scanner = new MultipartScanner(boundary, limits);
  const parts: ScannedPart[] = [];
  let chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    for (const event of scanner.push(bytes.subarray(i, i + size))) {
      if (event.kind === 'start') {
        parts.push({ index: event.index, headers: event.headers, body: Buffer.alloc(0) });
        chunks = [];
      } else if (event.kind === 'data') {
        chunks.push(event.bytes);
      } else {
        (parts.at(-1) as ScannedPart).body = Buffer.concat(chunks);
      }
    }
  }
  scanner.end();
  return parts;
}

describe('multipart/related reader (RFC 2046 §5.1)', () => {
  test('reads the parts whatever the chunking, with or without preamble and epilogue', () => {
    const payloads = [Buffer.from('first\r\n--Xb not a delimiter'), Buffer.alloc(0), Buffer.from([0, 13, 10, 45, 45, 255])];
    for (const options of [{}, { preamble: 'ignored preamble' }, { epilogue: '\r\nignored epilogue' }]) {
      const bytes = body('XbX', payloads, options);
      for (const size of [1, 2, 3, 7, 64, bytes.length]) {
        const parts = scan(bytes, size);
        assert.deepEqual(parts.map((p) => p.body), payloads, `chunks of ${size}`);
        assert.deepEqual(parts.map((p) => p.index), [0, 1, 2]);
        assert.equal(parts[0]?.headers.get('content-type'), 'application/dicom');
      }
    }
  });

  test('accepts transport padding after a delimiter and parts without header fields', () => {
    const bytes = Buffer.from('--XbX  \t\r\n\r\nbody\r\n--XbX--');
    const [part] = scan(bytes, 5);
    assert.equal(part?.body?.toString(), 'body');
    assert.equal(part?.headers.size, 0);
  });

  test('parts stream with backpressure; a dropped part is skipped; a cut part errors instead of ending', async () => {
    const big = Buffer.alloc(1024 * 1024, 7);
    async function* source(bytes: Buffer) {
      for (let i = 0; i < bytes.length; i += 10_000) yield bytes.subarray(i, i + 10_000);
    }
    // As STOW-RS does: start reading a part, then ask for the next one (its content flows meanwhile).
    const reads: Promise<number[]>[] = [];
    for await (const part of readMultipart(source(body('XbX', [big, 'dropped', 'last'])), 'XbX', { ...limits, headBytes: 16 })) {
      if (part.index === 1) {
        part.body.destroy();
        continue;
      }
      reads.push(buffer(part.body).then((content) => [part.index, content.length, part.head().length]));
    }
    assert.deepEqual(await Promise.all(reads), [[0, big.length, 16], [2, 4, 4]]);

    const cut = readMultipart(source(Buffer.from('--XbX\r\n\r\nsome content but no delimiter')), 'XbX', { ...limits, headBytes: 16 });
    const first = await cut.next();
    assert.equal(first.done, false);
    const reading = buffer((first.value as { body: NodeJS.ReadableStream }).body);
    await assert.rejects(cut.next(), MultipartError);
    await assert.rejects(reading, MultipartError);
  });

  test('refuses what is not well formed, and structural limits', () => {
    const cases: [Buffer, MultipartError['problem']][] = [
      [Buffer.from('no delimiter'), 'malformed'],
      [Buffer.from('--XbX\r\n\r\nnever closed'), 'malformed'],
      [Buffer.from('--XbX--'), 'malformed'],
      [Buffer.from('--XbXjunk\r\n\r\nx\r\n--XbX--'), 'malformed'],
      [Buffer.from('--XbX\r\nBroken header\r\n\r\nx\r\n--XbX--'), 'malformed'],
      [Buffer.from('--XbX\r\nContent-Type: multipart/related; boundary=a\r\n\r\nx\r\n--XbX--'), 'nested'],
      [Buffer.from('--XbX\r\nContent-Transfer-Encoding: base64\r\n\r\nAA==\r\n--XbX--'), 'encoding'],
      [Buffer.from(`--XbX\r\nX-Long: ${'a'.repeat(300)}\r\n\r\nx\r\n--XbX--`), 'header-too-large'],
      [body('XbX', ['1', '2', '3', '4', '5', '6']), 'too-many-parts'],
      [Buffer.from(`${'p'.repeat(500)}\r\n--XbX\r\n\r\nx\r\n--XbX--`), 'malformed'],
    ];
    for (const [bytes, problem] of cases) {
      assert.throws(() => scan(bytes, 3), (e: unknown) => e instanceof MultipartError && e.problem === problem, bytes.toString('latin1').slice(0, 60));
    }
    assert.throws(() => new MultipartScanner('bad boundary ', limits), MultipartError);
  });

  test('readMultipart streams parts from an async source', async () => {
    async function* source() {
      yield Buffer.from('--q\r\n\r\nab');
      yield 'c\r\n--q\r\n\r\nd\r\n--q--';
    }
    const parts: Promise<Buffer>[] = [];
    for await (const part of readMultipart(source(), 'q', { ...limits, headBytes: 1024 })) parts.push(buffer(part.body));
    assert.deepEqual((await Promise.all(parts)).map(String), ['abc', 'd']);
  });

  test('media types, Accept and boundaries', () => {
    const media = parseMediaType('Multipart/Related; type="application/dicom"; boundary="a;b=c"');
    assert.equal(media?.essence, 'multipart/related');
    assert.equal(media?.params.get('boundary'), 'a;b=c');
    assert.equal(parseMediaType('multipart/related; boundary'), undefined);
    assert.deepEqual(parseAccept('image/png;q=0, multipart/related; type="application/dicom"; transfer-syntax=*').map((m) => m.essence), ['multipart/related']);
    assert.ok(isValidBoundary("a'()+_,-./:=? z"));
    assert.ok(!isValidBoundary('x'.repeat(71)));
    assert.ok(!isValidBoundary('tab\there'));
  });
});

describe('QIDO-RS matching (PS3.4 §C.2.2.2)', () => {
  test('wildcards', () => {
    assert.ok(wildcardMatch('Smi*', 'Smith^John', false));
    assert.ok(wildcardMatch('*^jo?n', 'Smith^John', true));
    assert.ok(!wildcardMatch('smi*', 'Smith^John', false));
    assert.ok(wildcardMatch('*', '', false));
    assert.ok(!wildcardMatch('a*b*c*d*e*f*g*h*z', 'a'.repeat(5000), false), 'no exponential backtracking');
  });

  test('date ranges', () => {
    assert.deepEqual(parseDateRange('20240101', 'StudyDate'), { from: '20240101', to: '20240101' });
    assert.deepEqual(parseDateRange('-20240101', 'StudyDate'), { from: null, to: '20240101' });
    assert.deepEqual(parseDateRange('20240101-', 'StudyDate'), { from: '20240101', to: null });
    for (const bad of ['2024-01-01', '20240230', '20240102-20240101', '-', '2024010']) assert.throws(() => parseDateRange(bad, 'StudyDate'), ClarusError, bad);
  });

  test('what is found by blind index, what is tested after decryption, what is refused', () => {
    const plan = planQuery('study', { PatientID: 'MRN-1', StudyDate: '20240101-20240131', '00080061': 'CT', PatientName: 'smith*', includefield: ['StudyDescription', '00080062,NoSuchKeyword'], limit: '5000' });
    assert.equal(plan.filter.patientMrn, 'MRN-1');
    assert.equal(plan.filter.studyDates?.length, 31);
    assert.equal(plan.filter.modality, 'CT');
    assert.equal(plan.studyTests.length, 1, 'PatientName is tested after decryption');
    assert.deepEqual([plan.limit, plan.limitCapped], [1000, true]);
    assert.ok(plan.included.has('00081030') && plan.included.has('00080062'));
    const open = planQuery('study', { StudyDate: '19000101-20240101' });
    assert.equal(open.filter.studyDates, undefined, 'over ten years: tested after decryption');
    assert.equal(open.studyTests.length, 1);
    for (const query of [{ StudyTime: '1200' }, { SOPInstanceUID: '1.2.3' }, { 'PatientName.x': 'a' }, { fuzzymatching: 'true' }, { StudyInstanceUID: '1.02' }, { limit: '0' }, { offset: '-1' }, { PatientID: ['a', 'b'] }]) {
      assert.throws(() => planQuery('study', query), ClarusError, JSON.stringify(query));
    }
    assert.doesNotThrow(() => planQuery('instance', { SOPInstanceUID: '1.2.3', StudyTime: '' }));
  });

  test('UIDs', () => {
    assert.ok(isValidUid('1.2.840.10008.1.2.1'));
    assert.ok(isValidUid('0.0'));
    for (const bad of ['', '1..2', '1.02', '1.2.', 'a.1', `1.${'2'.repeat(63)}`]) assert.ok(!isValidUid(bad), bad);
  });
});
