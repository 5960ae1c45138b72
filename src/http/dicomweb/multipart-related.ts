import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';

/**
 * multipart/related (RFC 2387) in the multipart syntax of RFC 2046 §5.1: a streaming reader for
 * STOW-RS request bodies (PS3.18 §10.5) and the writer of WADO-RS answers (PS3.18 §10.4).
 *
 * The reader streams: each part's content flows to its consumer as it arrives, with backpressure,
 * and only a tail shorter than the delimiter (plus each part's first bytes, for its identifiers) is
 * held, so that a request of any length costs constant memory. Anything that does not follow the
 * grammar is refused, never repaired.
 */

export type MultipartProblem = 'boundary' | 'malformed' | 'nested' | 'too-many-parts' | 'header-too-large' | 'encoding';

/** A body that is not well-formed multipart, or exceeds a structural limit (not a part's content). */
export class MultipartError extends Error {
  constructor(readonly problem: MultipartProblem, detail: string) {
    super(`${problem}: ${detail}`);
  }
}

export interface MultipartLimits {
  maxParts: number;
  /** Largest header block of one part. */
  maxHeaderBytes: number;
  /** Largest preamble and epilogue (RFC 2046 §5.1.1: to be ignored, so not worth much reading). */
  maxFrameBytes: number;
}

/** What the scanner reports, in body order: a part starts, some of its content, it ends. */
export type MultipartEvent =
  | { kind: 'start'; index: number; headers: Map<string, string> }
  | { kind: 'data'; bytes: Buffer }
  | { kind: 'end' };

export interface Part {
  /** 0-based position in the body. */
  index: number;
  /** Header fields with lower-case names (RFC 2045 §3: names are case-insensitive). */
  headers: Map<string, string>;
  /**
   * The content as it arrives. It ends when the part's delimiter is read, and errors if the body
   * breaks first (a cut part is never complete). Destroy it to skip the rest of the part.
   */
  body: Readable;
  /** The first `headBytes` of the content (all of it for a small part), as far as it has arrived. */
  head(): Buffer;
}

/** A media type: its essence (`type/subtype`, lower case) and parameters (names lower case). */
export interface MediaType {
  essence: string;
  params: Map<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Splits on `separator` outside quoted strings (RFC 9110 §5.6.4). */
function splitOutsideQuotes(value: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charAt(i);
    if (quoted && c === '\\' && i + 1 < value.length) {
      current += c + value.charAt(i + 1);
      i += 1;
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (c === separator && !quoted) {
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current);
  return out;
}

/** Parses `type/subtype *( OWS ";" OWS name=value )` (RFC 9110 §8.3.1); undefined when malformed. */
export function parseMediaType(value: string): MediaType | undefined {
  const [essence = '', ...rest] = splitOutsideQuotes(value, ';').map((s) => s.trim());
  const [type, subtype, extra] = essence.split('/');
  if (extra !== undefined || !type || !subtype || !TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  const params = new Map<string, string>();
  for (const param of rest) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    if (eq <= 0) return undefined;
    const name = param.slice(0, eq).trim().toLowerCase();
    let v = param.slice(eq + 1).trim();
    if (!TOKEN.test(name)) return undefined;
    if (v.startsWith('"')) {
      if (v.length < 2 || !v.endsWith('"')) return undefined;
      v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    } else if (!TOKEN.test(v)) {
      return undefined;
    }
    params.set(name, v);
  }
  return { essence: `${type}/${subtype}`.toLowerCase(), params };
}

/** The media ranges of an Accept header (RFC 9110 §12.5.1), in the order given; q=0 ranges dropped. */
export function parseAccept(value: string | undefined): MediaType[] {
  if (value === undefined || value.trim() === '') return [];
  return splitOutsideQuotes(value, ',')
    .map((range) => parseMediaType(range.trim()))
    .filter((m): m is MediaType => m !== undefined && Number(m.params.get('q') ?? '1') !== 0);
}

/** RFC 2046 §5.1.1: 1–70 characters from `bchars`, not ending in a space. */
export function isValidBoundary(boundary: string): boolean {
  return boundary.length >= 1 && boundary.length <= 70 && !boundary.endsWith(' ') && /^[0-9A-Za-z'()+_,\-./:=? ]+$/.test(boundary);
}

const CR = 0x0d;
const LF = 0x0a;
const CRLFCRLF = Buffer.from('\r\n\r\n');

function parseHeaderBlock(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  if (block === '') return headers;
  // RFC 5322 §2.2.3 folding: a line starting with white space continues the previous field.
  const lines: string[] = [];
  for (const line of block.split('\r\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 0) lines[lines.length - 1] += ` ${line.trim()}`;
    else lines.push(line);
  }
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0)).trim().toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) throw new MultipartError('malformed', 'part header line');
    if (headers.has(name)) throw new MultipartError('malformed', 'repeated part header');
    headers.set(name, line.slice(colon + 1).trim());
  }
  const type = headers.get('content-type');
  if (type !== undefined) {
    const parsed = parseMediaType(type);
    if (!parsed) throw new MultipartError('malformed', 'part content type');
    if (parsed.essence.startsWith('multipart/')) throw new MultipartError('nested', 'nested multipart');
  }
  // Only identity encodings (RFC 2045 §6.1): DICOM parts are binary, and decoding base64 is not our job.
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  if (encoding !== undefined && !['binary', '8bit', '7bit'].includes(encoding)) throw new MultipartError('encoding', 'content transfer encoding');
  return headers;
}

type State = 'preamble' | 'delimiter' | 'headers' | 'body' | 'epilogue';

/**
 * The incremental scanner: `push` each chunk and take the events it produces; `end` checks that the
 * close delimiter was seen. Exported for tests; routes use `readMultipart`.
 */
export class MultipartScanner {
  private readonly delimiter: Buffer;
  // RFC 2046 §5.1.1: the first delimiter may open the body without the CRLF that precedes the others.
  private pending: Buffer = Buffer.from('\r\n');
  private state: State = 'preamble';
  private skipped = 0;
  private parts = 0;

  constructor(boundary: string, private readonly limits: MultipartLimits) {
    if (!isValidBoundary(boundary)) throw new MultipartError('boundary', 'invalid boundary');
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  push(chunk: Buffer): MultipartEvent[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const events: MultipartEvent[] = [];
    while (this.step(events));
    return events;
  }

  end(): void {
    if (this.state !== 'epilogue') throw new MultipartError('malformed', 'body ends before the close delimiter');
  }

  /** One transition; false when more input is needed. */
  private step(events: MultipartEvent[]): boolean {
    const keep = this.delimiter.length - 1;
    switch (this.state) {
      case 'preamble': {
        const at = this.pending.indexOf(this.delimiter);
        if (at < 0) {
          this.skip(Math.max(0, this.pending.length - keep));
          return false;
        }
        this.skip(at);
        this.pending = this.pending.subarray(this.delimiter.length);
        this.state = 'delimiter';
        return true;
      }
      case 'delimiter': {
        if (this.pending.length < 2) return false;
        if (this.pending[0] === 0x2d && this.pending[1] === 0x2d) {
          if (this.parts === 0) throw new MultipartError('malformed', 'no parts');
          this.pending = this.pending.subarray(2);
          this.state = 'epilogue';
          this.skipped = 0;
          return true;
        }
        // Transport padding (linear white space) may follow a delimiter, then CRLF.
        let i = 0;
        while (i < this.pending.length && (this.pending[i] === 0x20 || this.pending[i] === 0x09)) i += 1;
        if (i > 64) throw new MultipartError('malformed', 'padding after delimiter');
        if (this.pending.length < i + 2) return false;
        if (this.pending[i] !== CR || this.pending[i + 1] !== LF) throw new MultipartError('malformed', 'delimiter not followed by CRLF');
        this.pending = this.pending.subarray(i + 2);
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        let blockEnd: number;
        let next: number;
        if (this.pending.length >= 2 && this.pending[0] === CR && this.pending[1] === LF) {
          blockEnd = 0; // no header fields: the blank line follows at once
          next = 2;
        } else {
          blockEnd = this.pending.indexOf(CRLFCRLF);
          if (blockEnd < 0) {
            if (this.pending.length > this.limits.maxHeaderBytes) throw new MultipartError('header-too-large', 'part header');
            return false;
          }
          next = blockEnd + 4;
        }
        if (blockEnd > this.limits.maxHeaderBytes) throw new MultipartError('header-too-large', 'part header');
        const headers = parseHeaderBlock(this.pending.toString('latin1', 0, blockEnd));
        this.pending = this.pending.subarray(next);
        this.parts += 1;
        if (this.parts > this.limits.maxParts) throw new MultipartError('too-many-parts', 'too many parts');
        events.push({ kind: 'start', index: this.parts - 1, headers });
        this.state = 'body';
        return true;
      }
      case 'body': {
        const at = this.pending.indexOf(this.delimiter);
        if (at < 0) {
          // Everything but a tail that could be the start of the delimiter belongs to the part.
          if (this.pending.length > keep) {
            events.push({ kind: 'data', bytes: this.pending.subarray(0, this.pending.length - keep) });
            this.pending = this.pending.subarray(this.pending.length - keep);
          }
          return false;
        }
        if (at > 0) events.push({ kind: 'data', bytes: this.pending.subarray(0, at) });
        this.pending = this.pending.subarray(at + this.delimiter.length);
        events.push({ kind: 'end' });
        this.state = 'delimiter';
        return true;
      }
      case 'epilogue':
        this.skip(this.pending.length);
        return false;
    }
  }

  private skip(bytes: number): void {
    this.skipped += bytes;
    this.pending = this.pending.subarray(bytes);
    if (this.skipped > this.limits.maxFrameBytes) throw new MultipartError('malformed', 'preamble or epilogue too long');
  }
}

/** Feeds one part's content to its consumer with backpressure, keeping its first bytes. */
class PartWriter {
  private readonly stream = new PassThrough({ highWaterMark: 64 * 1024 });
  private readonly headChunks: Buffer[] = [];
  private headSize = 0;
  readonly part: Part;

  constructor(index: number, headers: Map<string, string>, private readonly headBytes: number) {
    // An error of a dropped part must not become an unhandled 'error' event.
    this.stream.on('error', () => undefined);
    this.part = { index, headers, body: this.stream, head: () => Buffer.concat(this.headChunks, this.headSize) };
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.headSize < this.headBytes) {
      const take = Buffer.from(bytes.subarray(0, this.headBytes - this.headSize));
      this.headChunks.push(take);
      this.headSize += take.length;
    }
    // A consumer that gave up destroyed the stream: the rest of the part is skipped.
    if (this.stream.destroyed || this.stream.writableEnded) return;
    if (this.stream.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  end(): void {
    if (!this.stream.destroyed) this.stream.end();
  }

  /** The body broke before this part's delimiter: its consumer sees an error, never a cut part as complete. */
  fail(): void {
    if (this.stream.destroyed || this.stream.writableEnded) return;
    const error = new MultipartError('malformed', 'the body ended inside a part');
    // A consumer that has not attached yet (it may still be preparing) would miss an error emitted
    // now, and then wait for an end that never comes: it is told as soon as it listens.
    if (this.stream.listenerCount('error') > 1) {
      this.stream.destroy(error);
      return;
    }
    this.stream.on('newListener', (event: string | symbol) => {
      if (event === 'error') process.nextTick(() => this.stream.destroy(error));
    });
  }
}

/**
 * Yields each part as soon as its header block is read; its content then flows through `part.body`
 * while the consumer reads it. The consumer must start reading (or destroy `body`) before asking
 * for the next part, which only comes once this one's content has been passed on.
 */
export async function* readMultipart(source: AsyncIterable<Buffer | string>, boundary: string, limits: MultipartLimits & { headBytes: number }): AsyncGenerator<Part> {
  const scanner = new MultipartScanner(boundary, limits);
  let current: PartWriter | undefined;
  try {
    for await (const chunk of source) {
      for (const event of scanner.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk)) {
        if (event.kind === 'start') {
          current = new PartWriter(event.index, event.headers, limits.headBytes);
          yield current.part;
        } else if (event.kind === 'data') {
          await current?.write(event.bytes);
        } else {
          current?.end();
          current = undefined;
        }
      }
    }
    scanner.end();
  } finally {
    current?.fail();
  }
}

/** A fresh boundary for an answer: random, so that it cannot occur in the parts by chance. */
export function newBoundary(): string {
  return `clarus-${randomBytes(16).toString('hex')}`;
}

/** The delimiter and header block that open a part of an answer. */
export function partHead(boundary: string, contentType: string, extra: Record<string, string> = {}): Buffer {
  const fields = [`Content-Type: ${contentType}`, ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`--${boundary}\r\n${fields.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** CRLF that ends a part's content before the next delimiter. */
export const PART_END = Buffer.from('\r\n');

/** The close delimiter. */
export function closeDelimiter(boundary: string): Buffer {
  return Buffer.from(`--${boundary}--\r\n`, 'latin1');
}
