import { PassThrough, type Readable } from 'node:stream';

/** More bytes arrived than the upload has room for: the PATCH is refused and nothing of it kept. */
export class ChunkOverflowError extends Error {
  override readonly name = 'ChunkOverflowError';
  constructor() {
    super('the PATCH body goes beyond the declared upload length');
  }
}

export interface ReceivedChunk {
  /** What arrived, as a stream that ends cleanly even when the client's body was cut short. */
  stream: Readable;
  /** Stops reading: what arrived so far is kept, the rest of the body is not read. */
  stop: () => void;
  /** True when the body ended as declared (not cut short, not stopped). */
  complete: () => boolean;
}

/**
 * Reads one PATCH body of a resumable upload. tus 1.0.0 §PATCH: "The Server SHOULD always attempt to
 * store as much of the received data as possible" — so a connection that drops mid-body ends this
 * stream normally (not with an error) and the bytes that did arrive become a whole encrypted chunk;
 * the client then learns the new offset with HEAD and resumes from it. More than `room` bytes is an
 * error (the object write fails and leaves nothing). Back-pressure is kept: the source is paused
 * while the encrypting writer is behind.
 */
export function receiveChunk(source: Readable, room: number): ReceivedChunk {
  const out = new PassThrough();
  let received = 0;
  let finished = false;
  let ended = false;
  const detach = () => {
    source.off('data', onData);
    source.pause();
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    detach();
    out.end();
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > room) {
      finished = true;
      detach();
      out.destroy(new ChunkOverflowError());
      return;
    }
    if (!out.write(chunk)) {
      source.pause();
      out.once('drain', () => {
        if (!finished) source.resume();
      });
    }
  };
  source.on('data', onData);
  source.once('end', () => {
    ended = true;
    finish();
  });
  // An aborted request emits 'aborted' and/or 'error' (ECONNRESET) and 'close' without 'end': keep what came.
  source.on('error', finish);
  source.once('aborted', finish);
  source.once('close', finish);
  source.resume();
  return { stream: out, stop: finish, complete: () => ended };
}
