/**
 * Starts a real clamd (Debian's clamav-daemon, /usr/sbin/clamd) for tests, with the signature
 * database shipped in test/fixtures/clamav/ (no download is possible here; production runs
 * freshclam). One `.ndb` file is enough: clamd only refuses to start with an empty database.
 * clamd listens on a UNIX socket and on a free loopback TCP port; it runs as the current user
 * (no `User` line: as root it stays root, which clamd.conf(5) allows).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createScanner } from '../../src/ingest/clamd-client.ts';

export const CLAMD_BINARY = '/usr/sbin/clamd';
export const signatureDirectory = resolve(import.meta.dirname, '../fixtures/clamav');

export interface ClamdInstance {
  /** `unix:/…/clamd.sock` */
  url: string;
  /** `tcp://127.0.0.1:<port>` */
  tcpUrl: string;
  /** Milliseconds from spawn until both sockets answered PING. */
  startMs: number;
  /** Stops clamd (SIGTERM, then SIGKILL after 5 s) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

export interface ClamdStartOptions {
  /** clamd.conf StreamMaxLength (default 200M). */
  streamMaxLength?: string;
  /** Longest wait for clamd to answer PING (default 15 s). */
  readyTimeoutMs?: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/** The EICAR test string, decoded from the shipped signature so the repository never holds it verbatim. */
export function eicarTestString(): Buffer {
  // ndb body signature (ClamAV signatures manual): Name:TargetType:Offset:HexSignature
  const line = readFileSync(join(signatureDirectory, 'clarus-test.ndb'), 'latin1').split('\n')[0] ?? '';
  const eicar = Buffer.from(line.split(':')[3] ?? '', 'hex');
  if (eicar.length !== 68) throw new Error('clarus-test.ndb does not hold the 68-byte EICAR signature');
  return eicar;
}

/** Starts clamd and waits, by polling PING on both sockets within a deadline, until it answers. */
export async function startClamd(options: ClamdStartOptions = {}): Promise<ClamdInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'clarus-clamd-'));
  const databaseDir = join(dir, 'db');
  mkdirSync(databaseDir);
  for (const file of readdirSync(signatureDirectory)) {
    if (/\.(ndb|hdb|hsb|ldb|cdb|fp|sfp|ign2)$/.test(file)) copyFileSync(join(signatureDirectory, file), join(databaseDir, file));
  }
  const port = await freePort();
  const socketPath = join(dir, 'clamd.sock');
  const maxLength = options.streamMaxLength ?? '200M';
  writeFileSync(join(dir, 'clamd.conf'), [
    'Foreground yes',
    `DatabaseDirectory ${databaseDir}`,
    `LocalSocket ${socketPath}`,
    'LocalSocketMode 600',
    `TCPSocket ${port}`,
    'TCPAddr 127.0.0.1',
    `StreamMaxLength ${maxLength}`,
    // Data past MaxFileSize/MaxScanSize is not scanned; keep them above StreamMaxLength and alert.
    'MaxFileSize 400M',
    'MaxScanSize 800M',
    'AlertExceedsMax yes',
    'LogSyslog no',
    'LogTime no',
    `LogFile ${join(dir, 'clamd.log')}`,
    'MaxThreads 4',
    '',
  ].join('\n'));

  const started = performance.now();
  const child = spawn(CLAMD_BINARY, ['-c', join(dir, 'clamd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (data: Buffer): void => {
    output = (output + data.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit');
  let hasExited = false;
  // If the test process dies without calling stop(), do not leave clamd running.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => {
    hasExited = true;
    process.off('exit', killOnExit);
  });

  const stop = async (): Promise<void> => {
    if (!hasExited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const url = `unix:${socketPath}`;
  const tcpUrl = `tcp://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  const scanners = [createScanner(url, { commandTimeoutMs: 500 }), createScanner(tcpUrl, { commandTimeoutMs: 500 })];
  for (;;) {
    if (hasExited) {
      await stop();
      throw new Error(`clamd exited before answering PING:\n${output}`);
    }
    try {
      await Promise.all(scanners.map(async (scanner) => scanner.ping()));
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`clamd did not answer PING in time (${String(error)}):\n${output}`);
      }
      await delay(20); // poll interval, bounded by the deadline above
    }
  }
  return { url, tcpUrl, startMs: performance.now() - started, stop };
}
