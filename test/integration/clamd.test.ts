import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ClamdError, createScanner, type ClamdScanner, type ScanVerdict } from '../../src/ingest/clamd-client.ts';
import { validateDicom, zeroPreamble } from '../../src/ingest/dicom-validate.ts';
import { inspectPng, reencodeWithoutMetadata } from '../../src/ingest/image-validate.ts';
import { dicomInstance, insertAfterIhdr, pngChunk } from '../fixtures/ingest/builders.ts';
import { eicarTestString, startClamd, type ClamdInstance } from '../helpers/clamd.ts';

const SIGNATURE = 'Clarus.Test.EICAR.UNOFFICIAL';
const eicar = eicarTestString();
const ctSmall = readFileSync('/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm');

let clamd: ClamdInstance;
let scanners: Array<[string, ClamdScanner]>;

before(async () => {
  clamd = await startClamd();
  scanners = [['unix', createScanner(clamd.url)], ['tcp', createScanner(clamd.tcpUrl)]];
});
after(async () => {
  await clamd.stop();
});

/** Scans with both the UNIX-socket and the TCP scanner; both must agree. */
async function scanBoth(bytes: Buffer): Promise<ScanVerdict> {
  const [unix, tcp] = await Promise.all(scanners.map(async ([, scanner]) => scanner.scanBuffer(bytes)));
  assert.deepEqual(tcp, unix);
  return unix as ScanVerdict;
}

describe('real clamd with the shipped test signature', () => {
  test('it started fast, and answers PING and VERSION on the UNIX socket and on TCP', async (t) => {
    t.diagnostic(`clamd ready in ${clamd.startMs.toFixed(0)} ms`);
    assert.ok(clamd.startMs < 10_000);
    for (const [, scanner] of scanners) {
      await scanner.ping();
      assert.match(await scanner.version(), /^ClamAV /);
    }
  });

  test('a clean file is clean', async () => {
    assert.deepEqual(await scanBoth(ctSmall), { clean: true });
    assert.deepEqual(await scanBoth(Buffer.alloc(0)), { clean: true });
  });

  test('the EICAR test string alone is FOUND with its signature name', async () => {
    assert.deepEqual(await scanBoth(eicar), { clean: false, signature: SIGNATURE });
  });

  test('EICAR in a DICOM preamble: valid DICOM, FOUND by the scanner, clean once the preamble is zeroed', async () => {
    const polyglot = dicomInstance({ preamble: eicar });
    assert.ok(validateDicom(polyglot).ok, 'the parser alone does not catch it');
    assert.deepEqual(await scanBoth(polyglot), { clean: false, signature: SIGNATURE });
    assert.deepEqual(await scanBoth(zeroPreamble(polyglot)), { clean: true });
  });

  test('EICAR inside a PNG tEXt chunk: a valid PNG, FOUND by the scanner, clean once re-encoded', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#204060' } }).png().toBuffer();
    const carrier = insertAfterIhdr(png, [pngChunk('tEXt', Buffer.concat([Buffer.from('Comment\0', 'latin1'), eicar]))]);
    assert.ok(inspectPng(carrier).ok);
    assert.deepEqual(await scanBoth(carrier), { clean: false, signature: SIGNATURE });
    const clean = await reencodeWithoutMetadata(carrier);
    assert.ok(clean.ok);
    assert.deepEqual(await scanBoth(clean.value.data), { clean: true });
  });

  test('a 24 MiB upload teed into hash and scanner in one pass; EICAR split across two chunks is FOUND', async () => {
    const body = Buffer.alloc(24 * 1024 * 1024, 0x20);
    eicar.copy(body, 5 * 1024 * 1024 - 30); // straddles the 1 MiB chunk boundary below
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < body.length; offset += 1024 * 1024) chunks.push(body.subarray(offset, offset + 1024 * 1024));
    for (const [name, scanner] of scanners) {
      const session = scanner.scanStream();
      const hash = createHash('sha256');
      for await (const chunk of Readable.from(chunks)) {
        hash.update(chunk as Buffer);
        if (!session.stream.write(chunk)) await once(session.stream, 'drain');
      }
      session.stream.end();
      assert.deepEqual(await session.result, { clean: false, signature: SIGNATURE }, name);
      assert.equal(hash.digest('hex'), createHash('sha256').update(body).digest('hex'));
    }
  });
});

describe('clamd limits and outages fail closed', () => {
  test('past StreamMaxLength clamd refuses: size-limit (TOO_LARGE); streaming on regardless still fails closed', async () => {
    const small = await startClamd({ streamMaxLength: '1M' });
    try {
      const isError = (reasons: string[]) => (error: unknown): boolean => error instanceof ClamdError && reasons.includes(error.reason);
      for (const url of [small.url, small.tcpUrl]) {
        // One byte past the limit, then nothing more: clamd's reply arrives before any further write.
        const session = createScanner(url).scanStream();
        session.stream.write(Buffer.alloc(1024 * 1024 + 1));
        await assert.rejects(session.result, (error: unknown) => isError(['size-limit'])(error) && (error as ClamdError).code === 'TOO_LARGE');

        // Streaming on: clamd's close can race the next write (EPIPE), losing its reply. Either way no
        // verdict, and the tee keeps draining.
        const streaming = createScanner(url).scanStream();
        for (let i = 0; i < 48; i += 1) {
          if (!streaming.stream.write(Buffer.alloc(64 * 1024))) await once(streaming.stream, 'drain');
        }
        streaming.stream.end();
        await once(streaming.stream, 'finish');
        await assert.rejects(streaming.result, isError(['size-limit', 'closed-early']));

        // With maxStreamBytes set to clamd's StreamMaxLength the client refuses first, deterministically.
        const capped = createScanner(url, { maxStreamBytes: 1024 * 1024 }).scanStream();
        for (let i = 0; i < 48; i += 1) {
          if (!capped.stream.write(Buffer.alloc(64 * 1024))) await once(capped.stream, 'drain');
        }
        capped.stream.end();
        await assert.rejects(capped.result, (error: unknown) => isError(['size-limit'])(error) && (error as ClamdError).code === 'TOO_LARGE');
      }
    } finally {
      await small.stop();
    }
  });

  test('clamd stopped: SCANNER_UNAVAILABLE at once, over both sockets', async () => {
    const doomed = await startClamd();
    const unix = createScanner(doomed.url);
    const tcp = createScanner(doomed.tcpUrl);
    assert.deepEqual(await unix.scanBuffer(eicar), { clean: false, signature: SIGNATURE });
    await doomed.stop();
    const started = performance.now();
    for (const scanner of [unix, tcp]) {
      await assert.rejects(scanner.scanBuffer(ctSmall), (error: unknown) => error instanceof ClamdError && error.code === 'SCANNER_UNAVAILABLE' && error.reason === 'unreachable');
      await assert.rejects(scanner.ping(), (error: unknown) => error instanceof ClamdError && error.code === 'SCANNER_UNAVAILABLE');
    }
    assert.ok(performance.now() - started < 1000, 'refused without waiting for a timeout');
  });
});
