import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { ClamdScanner, ScanVerdict } from '../../ingest/clamd-client.ts';
import { IngestRefusal } from '../../ingest/ingest-errors.ts';

export interface StagedUpload {
  size: number;
  sha256: string;
  /** Null when scanning is switched off (development only, with a visible warning). */
  verdict: ScanVerdict | null;
}

/**
 * One pass over an upload as it arrives (ING-2, ING-3): bytes are counted against the limit, hashed,
 * streamed into clamd's INSTREAM, and written encrypted to a staging object by `store` — all at once,
 * in constant memory, so a slow or huge upload holds no buffer on the server. Past the limit the
 * source is unpiped and paused (not read to its end; the HTTP layer then closes the connection), and
 * the staging write fails, which leaves no object (the blob store writes atomically).
 */
export async function stageUpload(source: Readable, maxBytes: number, scanner: ClamdScanner | null, store: (plaintext: Readable) => Promise<unknown>): Promise<StagedUpload> {
  const session = scanner?.scanStream();
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(new IngestRefusal('TOO_LARGE', `more than ${maxBytes} bytes`));
        return;
      }
      hash.update(chunk);
      if (session && !session.stream.write(chunk)) {
        session.stream.once('drain', () => callback(null, chunk));
        return;
      }
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      session?.stream.end();
      callback();
    },
  });
  let failure: IngestRefusal | undefined;
  const stop = (refusal: IngestRefusal) => {
    failure ??= refusal;
    source.unpipe(meter);
    source.pause();
    meter.destroy(failure);
  };
  meter.once('error', (error) => stop(error instanceof IngestRefusal ? error : new IngestRefusal('TRUNCATED', 'the upload could not be read')));
  source.once('error', () => stop(new IngestRefusal('TRUNCATED', 'the upload stream failed')));
  source.once('aborted', () => stop(new IngestRefusal('TRUNCATED', 'the client aborted the upload')));
  source.pipe(meter);
  try {
    await store(meter);
  } catch (error) {
    session?.stream.destroy();
    await session?.result.catch(() => undefined);
    throw failure ?? (error instanceof IngestRefusal ? error : new IngestRefusal('TRUNCATED', 'the upload could not be stored'));
  }
  if (failure) throw failure;
  const verdict = session ? await session.result : null;
  return { size, sha256: hash.digest('hex'), verdict };
}
