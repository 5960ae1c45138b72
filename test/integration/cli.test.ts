import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

function clarus(args: string[], extraEnv: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (process.env.CLI_DEBUG) process.stderr.write(`${args.join(" ")} => ${result.status}\n${result.stdout}\n${result.stderr}\n`);
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

before(async () => {
  databases = await createTestDatabases();
  dataDir = mkdtempSync(join(tmpdir(), 'clarus-cli-'));
  env = testEnvironment(databases, dataDir, { CLARUS_PUBLIC_URL: 'https://clarus.example.org' });
});
after(async () => {
  await databases.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('clarus CLI', () => {
  test('--help lists the commands', () => {
    const { code, stdout } = clarus(['--help']);
    assert.equal(code, 0);
    for (const command of ['serve', 'init', 'tenants', 'users']) assert.match(stdout, new RegExp(`\\b${command}\\b`));
  });

  test('init prints a one-time enrolment URL as its last line', () => {
    const { code, stdout } = clarus(['init', '--tenant', 'cli-hospital', '--admin-email', 'chief@example.org']);
    assert.equal(code, 0);
    assert.match(lastLine(stdout), /^https:\/\/clarus\.example\.org\/enrol#token=[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
  });

  test('tenants create and users invite print the link last; tenants list and users list show them', () => {
    const created = clarus(['tenants', 'create', '--slug', 'second-site', '--admin-email', 'boss@example.org']);
    assert.equal(created.code, 0);
    assert.match(lastLine(created.stdout), /\/enrol#token=/);
    const invited = clarus(['users', 'invite', '--tenant', 'second-site', '--email', 'rad@example.org', '--roles', 'Radiologist,Clinician']);
    assert.equal(invited.code, 0);
    assert.match(lastLine(invited.stdout), /\/enrol#token=/);
    assert.match(clarus(['tenants', 'list']).stdout, /second-site/);
    const users = clarus(['users', 'list', '--tenant', 'second-site']).stdout;
    assert.match(users, /rad@example\.org\tinvited\tRadiologist,Clinician/);
  });

  test('apikeys create prints the key last; list shows it; revoke ends it', () => {
    const created = clarus(['apikeys', 'create', '--tenant', 'second-site', '--role', 'Radiologist', '--name', 'pacs-bridge', '--expires-days', '30']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(lastLine(created.stdout), /^clarus_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    const listed = clarus(['apikeys', 'list', '--tenant', 'second-site']);
    assert.equal(listed.code, 0);
    const keyId = /key ([0-9a-f-]{36})\tactive/.exec(listed.stdout)?.[1];
    assert.ok(keyId, listed.stdout);
    assert.ok(!listed.stdout.includes(lastLine(created.stdout).slice(-43)), 'the key itself is never listed');
    assert.equal(clarus(['apikeys', 'revoke', '--tenant', 'second-site', '--key-id', keyId]).code, 0);
    assert.match(clarus(['apikeys', 'list', '--tenant', 'second-site']).stdout, new RegExp(`key ${keyId}\trevoked`));
  });

  test('failures exit non-zero with one line', () => {
    for (const args of [
      ['init', '--tenant', 'cli-hospital', '--admin-email', 'other@example.org'],
      ['init', '--tenant', 'Bad Slug!', '--admin-email', 'x@example.org'],
      ['init', '--tenant', 'fine-slug', '--admin-email', 'not-an-email'],
      ['users', 'invite', '--tenant', 'second-site', '--email', 'x@example.org', '--roles', 'Janitor'],
      ['users', 'list', '--tenant', 'no-such-tenant'],
      ['apikeys', 'create', '--tenant', 'second-site', '--role', 'Janitor', '--name', 'x'],
      ['apikeys', 'create', '--tenant', 'second-site', '--role', 'Viewer', '--name', 'x', '--patients', 'not-a-uuid'],
      ['apikeys', 'create', '--tenant', 'second-site', '--role', 'Viewer', '--name', 'x', '--expires-days', '9999'],
      ['apikeys', 'revoke', '--tenant', 'second-site', '--key-id', '00000000-0000-4000-8000-000000000000'],
    ]) {
      const { code, stderr } = clarus(args);
      assert.notEqual(code, 0, args.join(' '));
      assert.equal(stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, /^clarus: /);
    }
  });

  test('production refuses to start with weak or missing secrets, naming each problem on one line', () => {
    const { code, stderr } = clarus(['serve'], {
      NODE_ENV: 'production', CLARUS_SECRET_KEY: 'changeme', CLARUS_JWT_KEY: 'c2hvcnQ=', DATABASE_URL: 'postgres://app:postgres@db/clarus', AUDIT_DATABASE_URL: '',
    });
    assert.equal(code, 1);
    assert.equal(stderr.trim().split('\n').length, 1);
    for (const part of ['CLARUS_SECRET_KEY', 'CLARUS_JWT_KEY', 'DATABASE_URL', 'AUDIT_DATABASE_URL']) assert.match(stderr, new RegExp(part));
  });
});
