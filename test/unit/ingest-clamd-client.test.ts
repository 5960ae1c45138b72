import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { ClamdError, createScanner, createScannerFromEnv, parseClamdUrl } from '../../src/ingest/clamd-client.ts';

/** A loopback server that hands each connection to `onConnection`; the clamd client talks to it. */
async function fakeClamd(onConnection: (socket: Socket) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { url: `tcp://127.0.0.1:${address.port}`, server };
}

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

describe('parseClamdUrl (CLAMD_URL)', () => {
  test('tcp:// and unix: forms', () => {
    assert.deepEqual(parseClamdUrl('tcp://127.0.0.1:3310'), { kind: 'tcp', host: '127.0.0.1', port: 3310 });
    assert.deepEqual(parseClamdUrl('tcp://clamav.internal:3310/'), { kind: 'tcp', host: 'clamav.internal', port: 3310 });
    assert.deepEqual(parseClamdUrl('tcp://[::1]:3310'), { kind: 'tcp', host: '::1', port: 3310 });
    assert.deepEqual(parseClamdUrl('unix:/run/clamav/clamd.ctl'), { kind: 'unix', path: '/run/clamav/clamd.ctl' });
    assert.deepEqual(parseClamdUrl('unix:///run/clamav/clamd.ctl'), { kind: 'unix', path: '/run/clamav/clamd.ctl' });
  });

  test('anything else is refused', () => {
    for (const url of ['', 'clamd:3310', 'http://127.0.0.1:3310', 'tcp://127.0.0.1', 'tcp://127.0.0.1:0', 'tcp://u:p@host:3310', 'tcp://host:3310/x', 'unix:relative.sock', 'unix://host/x.sock']) {
      assert.throws(() => parseClamdUrl(url), TypeError, url);
    }
  });

  test('createScannerFromEnv reads CLAMD_URL and answers undefined without it', () => {
    assert.equal(createScannerFromEnv({}), undefined);
    assert.deepEqual(createScannerFromEnv({ CLAMD_URL: 'unix:/tmp/c.sock' })?.address, { kind: 'unix', path: '/tmp/c.sock' });
  });
});

describe('clamd client against misbehaving servers', () => {
  test('INSTREAM framing: command, 4-byte big-endian lengths, chunks, zero terminator', async () => {
    const received: Buffer[] = [];
    const fake = await fakeClamd((socket) => {
      socket.on('data', (data: Buffer) => {
        received.push(data);
        const all = Buffer.concat(received);
        if (all.length >= 4 && all.subarray(-4).equals(Buffer.alloc(4))) socket.end('stream: OK\0');
      });
    });
    servers.push(fake.server);
    const verdict = await createScanner(fake.url, { chunkBytes: 4 }).scanBuffer(Buffer.from('0123456789'));
    assert.deepEqual(verdict, { clean: true });
    const expected = Buffer.concat([
      Buffer.from('zINSTREAM\0'),
      Buffer.from([0, 0, 0, 4]), Buffer.from('0123'),
      Buffer.from([0, 0, 0, 4]), Buffer.from('4567'),
      Buffer.from([0, 0, 0, 2]), Buffer.from('89'),
      Buffer.alloc(4),
    ]);
    assert.deepEqual(Buffer.concat(received), expected);
  });

  test('a server that never answers: timeout, SCANNER_UNAVAILABLE', async () => {
    const fake = await fakeClamd(() => undefined);
    servers.push(fake.server);
    const scanner = createScanner(fake.url, { idleTimeoutMs: 150, commandTimeoutMs: 150 });
    await assert.rejects(scanner.scanBuffer(Buffer.from('x')), (error: unknown) => error instanceof ClamdError && error.reason === 'timeout' && error.code === 'SCANNER_UNAVAILABLE');
    await assert.rejects(scanner.ping(), (error: unknown) => error instanceof ClamdError && error.reason === 'timeout');
  });

  test('garbage: protocol; no reply: closed-early; an ERROR reply: scanner-error; all fail closed', async () => {
    const garbage = await fakeClamd((socket) => socket.end('HELLO\0'));
    const silent = await fakeClamd((socket) => socket.end());
    const failing = await fakeClamd((socket) => socket.on('data', () => socket.end('stream: Can\'t allocate memory ERROR\0')));
    servers.push(garbage.server, silent.server, failing.server);
    const isReason = (reason: string) => (error: unknown): boolean => error instanceof ClamdError && error.reason === reason && error.code === 'SCANNER_UNAVAILABLE';
    await assert.rejects(createScanner(garbage.url).scanBuffer(Buffer.from('x')), isReason('protocol'));
    await assert.rejects(createScanner(garbage.url).ping(), isReason('protocol'));
    await assert.rejects(createScanner(silent.url).scanBuffer(Buffer.from('x')), isReason('closed-early'));
    await assert.rejects(createScanner(failing.url).scanBuffer(Buffer.from('x')), isReason('scanner-error'));
  });

  test('nothing listening: unreachable, and the scan stream still drains so a tee does not stall', async () => {
    const fake = await fakeClamd(() => undefined);
    fake.server.close();
    await once(fake.server, 'close');
    const session = createScanner(fake.url).scanStream();
    for (let i = 0; i < 64; i += 1) session.stream.write(Buffer.alloc(64 * 1024));
    session.stream.end();
    await once(session.stream, 'finish');
    await assert.rejects(session.result, (error: unknown) => error instanceof ClamdError && error.reason === 'unreachable');
    await assert.rejects(createScanner('unix:/nonexistent/clamd.sock').ping(), (error: unknown) => error instanceof ClamdError && error.reason === 'unreachable');
  });

  test('a failure before anyone awaits the result is not an unhandled rejection; destroying the stream aborts', async () => {
    const fake = await fakeClamd(() => undefined);
    servers.push(fake.server);
    const session = createScanner(fake.url).scanStream();
    const streamError = once(session.stream, 'error');
    session.stream.destroy(new Error('client went away'));
    assert.equal(((await streamError)[0] as Error).message, 'client went away', 'the stream reports its own error as Writables do');
    await assert.rejects(session.result, (error: unknown) => error instanceof ClamdError && error.reason === 'aborted');
  });

  test('signature names are reduced to printable ASCII', async () => {
    const fake = await fakeClamd((socket) => socket.on('data', () => socket.end('stream: Evil\tName\x07 FOUND\0')));
    servers.push(fake.server);
    assert.deepEqual(await createScanner(fake.url).scanBuffer(Buffer.from('x')), { clean: false, signature: 'Evil_Name_' });
  });
});
