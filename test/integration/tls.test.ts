import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';

const dir = mkdtempSync(join(tmpdir(), 'clarus-tls-'));
let system: TestSystem;
let port: number;

before(async () => {
  // A throwaway self-signed certificate (openssl ships with Debian's base system).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  system = await startTestSystem({ env: { CLARUS_TLS_CERT_FILE: join(dir, 'cert.pem'), CLARUS_TLS_KEY_FILE: join(dir, 'key.pem') } });
  await system.app.listen({ port: 0, host: '127.0.0.1' });
  port = (system.app.server.address() as AddressInfo).port;
});
after(async () => {
  await system.close();
  rmSync(dir, { recursive: true, force: true });
});

function handshake(maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
  return new Promise((ok) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion }, () => {
      ok(socket.getProtocol() ?? 'unknown');
      socket.end();
    });
    socket.on('error', () => ok('refused'));
  });
}

test('the server terminates TLS itself with TLS 1.3 as the minimum (KEY-4)', async () => {
  assert.equal(await handshake('TLSv1.3'), 'TLSv1.3');
  assert.equal(await handshake('TLSv1.2'), 'refused');
});
