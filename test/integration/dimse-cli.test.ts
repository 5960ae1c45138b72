/**
 * `clarus dimse peers add | list | remove` (DCM-2) through the real CLI binary against a fresh
 * database; the association side is in dimse.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
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

    const listed = await clarus(['dimse', 'peers', 'list', '--tenant', 'dimse-site']);
    assert.match(listed.stdout, /^CT_SCANNER_1\tTechnician\tall patients of the role\t10\.1\.2\.3,10\.1\.3\.0\/24\tpeer [0-9a-f-]{36}$/mu);
    assert.equal((await clarus(['dimse', 'peers', 'list', '--tenant', 'dimse-other'])).stdout, '', 'another organisation sees none of them');

    assert.equal((await clarus(['dimse', 'peers', 'remove', '--tenant', 'dimse-site', '--ae', 'CT_SCANNER_1'])).code, 0);
    assert.equal((await clarus(['dimse', 'peers', 'list', '--tenant', 'dimse-site'])).stdout, '');
    const again = await clarus(['dimse', 'peers', 'remove', '--tenant', 'dimse-site', '--ae', 'CT_SCANNER_1']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^clarus: Not found\.$/mu);
  });
});
