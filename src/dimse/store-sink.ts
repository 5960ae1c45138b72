import { Readable, Writable } from 'node:stream';

/** Pauses and resumes the association's socket: TCP flow control is the only backpressure a DIMSE peer knows. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/**
 * Where dcmjs-dimse writes the P-DATA fragments of one C-STORE data set: each fragment is passed on
 * at once to `source`, which the ingest pipeline reads (size limit, hash, malware scan and encrypted
 * staging while the data set is still arriving). The fragments are the data set's bytes exactly as sent.
 *
 * dcmjs-dimse processes PDUs without waiting for each other, so a `write` that returned false could
 * let a later fragment overtake an earlier one; `write` therefore always accepts (the callback runs
 * at once). Backpressure is applied one step earlier instead: when the pipeline falls behind
 * (`source` is full), the socket is paused, so that the peer's TCP window closes; it resumes when the
 * pipeline reads again. Past `limit`, fragments are dropped (the pipeline has refused the file by
 * then); `stop()` drops everything that follows, for a refusal that came before the data set ended.
 */
export class StoreSink extends Writable {
  /** The Part 10 stream the ingest pipeline reads: the header, then the data set's fragments. */
  readonly source: Readable;
  private forwarded = 0;
  private stopped = false;
  private paused = false;

  constructor(header: Buffer | null, private readonly limit: number, private readonly flow?: FlowControl) {
    // Nothing is ever buffered here (each write completes at once); the mark only keeps write() true.
    super({ highWaterMark: 2 ** 30 });
    this.source = new Readable({ highWaterMark: 1024 * 1024, read: () => this.resumeFlow() });
    // The pipeline may have stopped listening (an early refusal) when the association breaks off.
    this.source.on('error', () => undefined);
    if (header) this.forward(header);
  }

  /** Drops whatever follows; the pipeline has answered already. The peer may send the rest unhindered. */
  stop(): void {
    this.stopped = true;
    this.resumeFlow();
  }

  /** The association broke off before the data set ended: the pipeline sees a truncated upload. */
  abort(): void {
    // Once dcmjs-dimse called end(), the data set is whole: the pipeline finishes it whatever follows.
    if (!this.writableEnded) this.source.destroy(new Error('the association ended before the data set was complete'));
    this.stop();
  }

  private resumeFlow(): void {
    if (!this.paused) return;
    this.paused = false;
    this.flow?.resume();
  }

  private forward(chunk: Buffer): void {
    if (this.stopped || this.forwarded > this.limit) return;
    this.forwarded += chunk.length;
    if (!this.source.push(chunk) && this.flow && !this.paused) {
      this.paused = true;
      this.flow.pause();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.forward(chunk);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    if (!this.source.destroyed) this.source.push(null);
    this.resumeFlow();
    done();
  }
}
