import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ClamdScanner, ScanVerdict } from '../../ingest/clamd-client.ts';
import { IngestRefusal } from '../../ingest/ingest-errors.ts';

export interface ReadUpload {
  bytes: Buffer;
  sha256: string;
  /** Null when scanning is switched off (development only, with a visible warning). */
  verdict: ScanVerdict | null;
}

/**
 * One pass over an upload (ING-2, ING-3): counts bytes against the limit while they arrive, hashes
 * them, and streams them into clamd's INSTREAM at the same time. Past the limit, reading stops at
 * once (the stream is paused, not read to its end; the caller closes the connection after its 413).
 * The bytes are kept for the parsers, which need the whole file (dicom-parser works on one buffer).
 */
export function readUpload(source: Readable, maxBytes: number, scanner: ClamdScanner | null): Promise<ReadUpload> {
  const session = scanner?.scanStream();
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise<ReadUpload>((resolve, reject) => {
    let settled = false;
    const fail = (refusal: IngestRefusal) => {
      if (settled) return;
      settled = true;
      source.pause();
      source.removeAllListeners('data');
      session?.stream.destroy();
      void session?.result.catch(() => undefined);
      reject(refusal);
    };
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > maxBytes) {
        fail(new IngestRefusal('TOO_LARGE', `more than ${maxBytes} bytes`));
        return;
      }
      hash.update(chunk);
      chunks.push(chunk);
      if (session && !session.stream.write(chunk)) {
        source.pause();
        session.stream.once('drain', () => source.resume());
      }
    });
    source.once('error', () => fail(new IngestRefusal('TRUNCATED', 'the upload stream failed')));
    source.once('aborted', () => fail(new IngestRefusal('TRUNCATED', 'the client aborted the upload')));
    source.once('end', () => {
      if (settled) return;
      settled = true;
      session?.stream.end();
      const verdict = session ? session.result : Promise.resolve(null);
      verdict.then((v) => resolve({ bytes: Buffer.concat(chunks, total), sha256: hash.digest('hex'), verdict: v }), reject);
    });
  });
}
