import type { Readable } from 'node:stream';

/**
 * Reads a stream of known length into one buffer, without the chunk list and copy of a concat. A
 * stream longer or shorter than `size` means a damaged object: `mismatch` builds the error (the
 * ingest answers it as a refusal, stored-object readers as damage).
 */
export async function readExactly(stream: Readable, size: number, mismatch: (found: 'longer' | 'shorter') => Error): Promise<Buffer> {
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (offset + chunk.length > size) {
      stream.destroy();
      throw mismatch('longer');
    }
    chunk.copy(out, offset);
    offset += chunk.length;
  }
  if (offset !== size) throw mismatch('shorter');
  return out;
}
