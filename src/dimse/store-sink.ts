import { Readable, Writable } from 'node:stream';

/**
 * Where dcmjs-dimse writes the P-DATA fragments of one C-STORE data set: each fragment is passed on
 * at once to `source`, which the ingest pipeline reads (size limit, hash and malware scan while the
 * data set is still arriving). The fragments are the data set's bytes exactly as sent.
 *
 * dcmjs-dimse processes PDUs without waiting for each other, so a `write` that returned false could
 * let a later fragment overtake an earlier one; `write` therefore always accepts (the callback runs
 * at once) and memory is bounded instead by `limit`: past it, fragments are counted and dropped (the
 * pipeline has refused the file by then). `stop()` drops everything that follows, for a refusal that
 * came before the data set ended.
 */
export class StoreSink extends Writable {
  /** The Part 10 stream the ingest pipeline reads: the header, then the data set's fragments. */
  readonly source = new Readable({ read: () => undefined });
  private forwarded = 0;
  private received = 0;
  private stopped = false;

  constructor(header: Buffer | null, private readonly limit: number) {
    // Nothing is ever buffered here (each write completes at once); the mark only keeps write() true.
    super({ highWaterMark: 2 ** 30 });
    // The pipeline may have stopped listening (an early refusal) when the association breaks off.
    this.source.on('error', () => undefined);
    if (header) this.forward(header);
  }

  /** Bytes of the data set received so far (without the header). */
  get receivedBytes(): number {
    return this.received;
  }

  /** Drops whatever follows; the pipeline has answered already. */
  stop(): void {
    this.stopped = true;
  }

  /** The association broke off before the data set ended: the pipeline sees a truncated upload. */
  abort(): void {
    if (!this.source.readableEnded) this.source.destroy(new Error('the association ended before the data set was complete'));
    this.stopped = true;
  }

  private forward(chunk: Buffer): void {
    if (this.stopped || this.forwarded > this.limit) return;
    this.forwarded += chunk.length;
    this.source.push(chunk);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.received += chunk.length;
    this.forward(chunk);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    if (!this.source.destroyed) this.source.push(null);
    done();
  }
}
