/**
 * `clarus dimse peers add | list | remove` (DCM-2) through the real CLI binary against a fresh
 * database; the association side is in dimse.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabases, type TestDatabases } from '../helpers/test-databases.ts';
import { testEnvironment } from '../helpers/test-system.ts';

const bin = resolve(import.meta.dirname, '../../bin/clarus.mjs');
let databases: TestDatabases;
let dataDir: string;
let env: Record<string, string>;

function clarus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  databases = await createTestDatabases();
  dataDir = mkdtempSync(join(tmpdir(), 'clarus-dimse-cli-'));
  env = testEnvironment(databases, dataDir, { CLARUS_PUBLIC_URL: 'https://clarus.example.org' });
  for (const slug of ['dimse-site', 'dimse-other']) {
    const init = await clarus(['tenants', 'create', '--slug', slug, '--admin-email', `admin@${slug}.example.org`]);
    assert.equal(init.code, 0, init.stderr);
  }
});
after(async () => {
  await databases.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('clarus dimse peers', () => {
  test('add, list and remove; AE titles are unique in the installation; bad input is one line on stderr', async () => {
    const added = await clarus(['dimse', 'peers', 'add', '--tenant', 'dimse-site', '--ae', 'CT_SCANNER_1', '--role', 'Technician', '--hosts', '10.1.2.3, 10.1.3.0/24']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^allowed CT_SCANNER_1 \(peer [0-9a-f-]{36}\) with role Technician through service account [0-9a-f-]{36}, from 10\.1\.2\.3, 10\.1\.3\.0\/24$/mu);

    const taken = await clarus(['dimse', 'peers', 'add', '--tenant', 'dimse-other', '--ae', 'CT_SCANNER_1', '--role', 'Viewer']);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /^clarus: The request conflicts with the current state\.$/mu);
    const badAe = await clarus(['dimse', 'peers', 'add', '--tenant', 'dimse-site', '--ae', 'BACK\\SLASH', '--role', 'Viewer']);
    assert.equal(badAe.code, 1);
    assert.match(badAe.stderr, /^clarus: --ae: an AE title has 1 to 16 characters/mu);
    const badHost = await clarus(['dimse', 'peers', 'add', '--tenant', 'dimse-site', '--ae', 'WS1', '--role', 'Viewer', '--hosts', 'scanner.example.org']);
    assert.equal(badHost.code, 1);
    assert.match(badHost.stderr, /^clarus: --hosts: give IP addresses or CIDR blocks/mu);

    const listed = await clarus(['dimse', 'peers', 'list', '--tenant', 'dimse-site']);
    assert.match(listed.stdout, /^CT_SCANNER_1\tTechnician\tall patients of the role\t10\.1\.2\.3,10\.1\.3\.0\/24\tpeer [0-9a-f-]{36}$/mu);
    assert.equal((await clarus(['dimse', 'peers', 'list', '--tenant', 'dimse-other'])).stdout, '', 'another organisation sees none of them');

    assert.equal((await clarus(['dimse', 'peers', 'remove', '--tenant', 'dimse-site', '--ae', 'CT_SCANNER_1'])).code, 0);
    const again = await clarus(['dimse', 'peers', 'remove', '--tenant', 'dimse-site', '--ae', 'CT_SCANNER_1']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^clarus: Not found\.$/mu);
  });

  test('clarus serve starts the listener on the configured address and closes it on SIGTERM', async () => {
    const added = await clarus(['dimse', 'peers', 'add', '--tenant', 'dimse-site', '--ae', 'SERVE_PEER', '--role', 'Viewer', '--hosts', '127.0.0.1']);
    assert.equal(added.code, 0, added.stderr);
    const [httpPort, dimsePort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [bin, 'serve'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env, PORT: String(httpPort), CLARUS_DIMSE_PORT: String(dimsePort), CLARUS_ALLOW_UNSCANNED: 'true', CLARUS_LOG_LEVEL: 'warn' },
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((ok) => child.once('exit', ok));
    await new Promise<void>((ok, fail) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        lines.push(chunk);
        if (lines.join('').includes('Clarus is running')) ok();
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk));
      void exited.then((code) => fail(new Error(`serve exited with ${String(code)}: ${lines.join('')}`)));
    });
    assert.match(lines.join(''), new RegExp(`DIMSE: AE title CLARUS at 127\\.0\\.0\\.1:${dimsePort}`, 'u'));
    const echo = () => new Promise<number>((ok) => {
      execFile('echoscu', ['-aet', 'SERVE_PEER', '-aec', 'CLARUS', '127.0.0.1', String(dimsePort)], { env: { ...process.env, TCP_NODELAY: '1' } }, (error) => ok(error ? 1 : 0));
    });
    assert.equal(await echo(), 0);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(await echo(), 1, 'the port is closed');
  });
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}
