/**
 * A client for ClamAV's clamd (ING-3) speaking the INSTREAM command of clamd(8) over TCP or a UNIX
 * socket: `zINSTREAM\0`, then chunks each prefixed by its length as a 4-byte big-endian integer,
 * then a zero-length chunk; the reply is `stream: OK`, `stream: <signature> FOUND`, or `… ERROR`
 * (NUL-terminated because of the `z` prefix). The scan stream is a Writable that an upload can be
 * teed into, so scanning happens in the same pass as hashing and encrypting.
 *
 * Every failure to get a verdict rejects with a {@link ClamdError}: the upload must then fail closed
 * (ING-3). clamd's StreamMaxLength (clamd.conf(5)) must be at least the upload size limit; when a
 * stream passes it clamd answers "INSTREAM size limit exceeded" and closes the connection, which
 * is reported as reason 'size-limit' with code TOO_LARGE. Note also clamd's MaxFileSize and
 * MaxScanSize: data past them is NOT scanned and still reported OK unless AlertExceedsMax is set,
 * so production keeps both at least as large as StreamMaxLength and sets AlertExceedsMax.
 */
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { IngestRefusal } from './ingest-errors.ts';

export type ClamdAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * Parses `CLAMD_URL`: `tcp://host:port` (IPv6 hosts in brackets) or `unix:/absolute/path`
 * (`unix:///absolute/path` too). Throws a TypeError for anything else.
 */
export function parseClamdUrl(url: string): ClamdAddress {
  if (url.startsWith('unix:')) {
    let path = url.slice('unix:'.length);
    if (path.startsWith('///')) path = path.slice(2);
    if (!path.startsWith('/') || path.startsWith('//')) throw new TypeError('CLAMD_URL: a unix: URL needs an absolute socket path');
    return { kind: 'unix', path };
  }
  if (url.startsWith('tcp://')) {
    const parsed = new URL(url);
    const port = Number(parsed.port);
    if (parsed.hostname === '' || !Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError('CLAMD_URL: a tcp:// URL needs a host and a port');
    if (parsed.username !== '' || parsed.password !== '' || (parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '') {
      throw new TypeError('CLAMD_URL: a tcp:// URL has only a host and a port');
    }
    return { kind: 'tcp', host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  }
  throw new TypeError('CLAMD_URL must start with tcp:// or unix:');
}

export type ScanVerdict = { clean: true } | { clean: false; signature: string };

/**
 * Why no verdict: 'unreachable' (connection refused, socket missing), 'closed-early' (clamd closed
 * or reset the connection while we were still streaming: StreamMaxLength passed with its reply
 * lost, or clamd stopped), 'timeout', 'size-limit' (StreamMaxLength passed: clamd said so, or
 * `maxStreamBytes`), 'scanner-error' (clamd answered ERROR), 'protocol' (an answer we do not
 * understand, or none), 'aborted' (the upload stream was destroyed).
 */
export type ClamdFailure = 'unreachable' | 'closed-early' | 'timeout' | 'size-limit' | 'scanner-error' | 'protocol' | 'aborted';

/** No verdict from clamd. Code TOO_LARGE for 'size-limit', SCANNER_UNAVAILABLE otherwise. */
export class ClamdError extends IngestRefusal {
  constructor(readonly reason: ClamdFailure, detail: string) {
    super(reason === 'size-limit' ? 'TOO_LARGE' : 'SCANNER_UNAVAILABLE', `clamd ${reason}: ${detail}`);
    this.name = 'ClamdError';
  }
}

export interface ClamdOptions {
  /** Longest wait for the connection (default 2 s). */
  connectTimeoutMs: number;
  /** Longest silence on the socket while streaming or awaiting the verdict (default 30 s). */
  idleTimeoutMs: number;
  /** Longest wait for PING/VERSION answers (default 2 s). */
  commandTimeoutMs: number;
  /** INSTREAM chunk size (default 64 KiB). */
  chunkBytes: number;
  /**
   * Set it to clamd's StreamMaxLength: a longer stream is then refused here ('size-limit') before
   * clamd cuts the connection. Without it, clamd's "size limit exceeded" reply can be lost when its
   * close races our next write (EPIPE/ECONNRESET), and the outcome is 'closed-early' instead.
   */
  maxStreamBytes?: number;
}

export const defaultClamdOptions: Readonly<ClamdOptions> = { connectTimeoutMs: 2000, idleTimeoutMs: 30_000, commandTimeoutMs: 2000, chunkBytes: 64 * 1024 };

export interface ScanSession {
  /** Write the file's bytes here (tee the upload into it), then end it. */
  stream: Writable;
  /** The verdict; rejects with a {@link ClamdError}. Already handled: awaiting it late is safe. */
  result: Promise<ScanVerdict>;
}

export interface ClamdScanner {
  readonly address: ClamdAddress;
  /** `zPING\0` → `PONG`; rejects with a {@link ClamdError}. */
  ping(): Promise<void>;
  /** `zVERSION\0`: the engine and signature database version, for health reports. */
  version(): Promise<string>;
  /** Opens an INSTREAM scan; see {@link ScanSession}. */
  scanStream(): ScanSession;
  /** Scans bytes held in memory. */
  scanBuffer(bytes: Buffer): Promise<ScanVerdict>;
}

const INSTREAM = Buffer.from('zINSTREAM\0', 'latin1');
const END_OF_STREAM = Buffer.alloc(4);

/** A signature name as shown to operators: printable ASCII, bounded. */
function safeSignature(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '_').slice(0, 200);
}

function verdictOf(reply: string): ScanVerdict | ClamdError {
  if (reply === 'stream: OK') return { clean: true };
  const found = /^stream: (.+) FOUND$/.exec(reply);
  if (found?.[1] !== undefined) return { clean: false, signature: safeSignature(found[1]) };
  if (reply.includes('INSTREAM size limit exceeded')) return new ClamdError('size-limit', 'StreamMaxLength exceeded');
  if (reply.endsWith('ERROR')) return new ClamdError('scanner-error', reply.slice(0, 200));
  return new ClamdError('protocol', 'unexpected reply');
}

/**
 * One connection: collects the NUL-terminated reply and reports exactly once — the reply, or the
 * first failure (connect timeout, idle timeout, socket error, close without reply).
 */
function openConnection(address: ClamdAddress, options: ClamdOptions, onOutcome: (outcome: string | ClamdError) => void): Socket {
  const socket = address.kind === 'tcp' ? connect({ host: address.host, port: address.port }) : connect({ path: address.path });
  let reply = '';
  let reported = false;
  let connected = false;
  // The callback runs later, after `report` below exists.
  const connectTimer = setTimeout(() => report(new ClamdError('timeout', 'connect timeout')), options.connectTimeoutMs);
  const report = (outcome: string | ClamdError): void => {
    if (reported) return;
    reported = true;
    clearTimeout(connectTimer);
    socket.destroy();
    onOutcome(outcome);
  };
  socket.once('connect', () => {
    connected = true;
    clearTimeout(connectTimer);
    socket.setTimeout(options.idleTimeoutMs);
  });
  socket.on('timeout', () => report(new ClamdError('timeout', 'no activity')));
  socket.on('data', (data: Buffer) => {
    reply += data.toString('latin1');
    const end = reply.indexOf('\0');
    if (end !== -1) report(reply.slice(0, end).trim());
  });
  // clamd may close (or reset) right after answering, e.g. on the size limit: keep what it said.
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (reply.trim() !== '') return report(reply.trim());
    report(new ClamdError(connected ? 'closed-early' : 'unreachable', error.code ?? 'socket error'));
  });
  socket.on('close', () => report(reply.trim() !== '' ? reply.trim() : new ClamdError(connected ? 'closed-early' : 'unreachable', 'connection closed without a reply')));
  return socket;
}

class Scanner implements ClamdScanner {
  constructor(readonly address: ClamdAddress, private readonly options: ClamdOptions) {}

  private async command(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = openConnection(this.address, { ...this.options, idleTimeoutMs: this.options.commandTimeoutMs }, (outcome) => {
        if (outcome instanceof ClamdError) reject(outcome);
        else resolve(outcome);
      });
      socket.write(Buffer.from(`z${command}\0`, 'latin1'));
    });
  }

  async ping(): Promise<void> {
    const reply = await this.command('PING');
    if (reply !== 'PONG') throw new ClamdError('protocol', 'unexpected PING reply');
  }

  async version(): Promise<string> {
    return this.command('VERSION');
  }

  scanStream(): ScanSession {
    let settled = false;
    let settle: (outcome: string | ClamdError) => void = () => undefined;
    const result = new Promise<ScanVerdict>((resolve, reject) => {
      settle = (outcome) => {
        if (settled) return;
        settled = true;
        const verdict = outcome instanceof ClamdError ? outcome : verdictOf(outcome);
        if (verdict instanceof ClamdError) reject(verdict);
        else resolve(verdict);
      };
    });
    // The caller may attach its handler only after the upload finished; a failure before that must
    // not become an unhandled rejection. Awaiting `result` still sees the rejection.
    result.catch(() => undefined);
    const socket = openConnection(this.address, this.options, (outcome) => settle(outcome));
    socket.write(INSTREAM);
    const { chunkBytes, maxStreamBytes } = this.options;
    let sent = 0;
    const afterDrain = (callback: () => void): void => {
      if (socket.destroyed) return callback();
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        callback();
      };
      socket.on('drain', done);
      socket.on('close', done);
    };
    const stream = new Writable({
      highWaterMark: chunkBytes,
      write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
        // Once the outcome is known (a failure, or the size limit), discard: the tee keeps flowing
        // and the caller reads the outcome from `result`.
        if (settled || socket.destroyed) return callback();
        sent += chunk.length;
        if (maxStreamBytes !== undefined && sent > maxStreamBytes) {
          settle(new ClamdError('size-limit', `stream longer than ${maxStreamBytes} bytes`));
          socket.destroy();
          return callback();
        }
        let flushed = true;
        // Corked, each length prefix leaves with its chunk in one writev(2) instead of a write each.
        socket.cork();
        for (let offset = 0; offset < chunk.length; offset += chunkBytes) {
          const piece = chunk.subarray(offset, offset + chunkBytes);
          const length = Buffer.allocUnsafe(4);
          length.writeUInt32BE(piece.length, 0);
          socket.write(length);
          flushed = socket.write(piece);
        }
        socket.uncork();
        if (flushed) callback();
        else afterDrain(() => callback());
      },
      final(callback: (error?: Error | null) => void): void {
        if (!settled && !socket.destroyed) socket.write(END_OF_STREAM);
        callback();
      },
      destroy(error: Error | null, callback: (error?: Error | null) => void): void {
        // Destroyed before its end, with or without an error (a caller that stopped reading its
        // source): no verdict can come, so the scan ends now instead of at clamd's idle timeout.
        // After a normal end, autoDestroy lands here too (finished): then the reply is awaited.
        if ((error !== null || !stream.writableFinished) && !settled) {
          settle(new ClamdError('aborted', 'upload stream destroyed'));
          socket.destroy();
        }
        callback(error);
      },
    });
    return { stream, result };
  }

  async scanBuffer(bytes: Buffer): Promise<ScanVerdict> {
    const session = this.scanStream();
    session.stream.end(bytes);
    return session.result;
  }
}

/** A scanner for a `CLAMD_URL`; options not given take {@link defaultClamdOptions}. */
export function createScanner(url: string, options: Partial<ClamdOptions> = {}): ClamdScanner {
  return new Scanner(parseClamdUrl(url), { ...defaultClamdOptions, ...options });
}

/** The scanner named by `CLAMD_URL` in the given environment, or undefined when it is not set. */
export function createScannerFromEnv(env: Readonly<Record<string, string | undefined>>, options: Partial<ClamdOptions> = {}): ClamdScanner | undefined {
  const url = env.CLAMD_URL;
  return url === undefined || url === '' ? undefined : createScanner(url, options);
}
