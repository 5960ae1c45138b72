import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig, type Config } from '../../src/config/load-config.ts';
import { resolveSecretFiles } from '../../src/config/secret-sources.ts';
import { databaseUrlProblem, decodeKeyMaterial, jwtKeyProblem, symmetricSecretProblem } from '../../src/config/secret-strength.ts';

let tempRoot = '';
let counter = 0;
before(() => {
  tempRoot = mkdtempSync(join(tmpdir(), 'clarus-config-test-'));
});
after(() => {
  rmSync(tempRoot, { recursive: true, force: true });
});

/** A fresh, empty directory inside the temporary root. */
function freshDir(): string {
  counter += 1;
  return mkdtempSync(join(tempRoot, `case-${counter}-`));
}

function ed25519Pem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

const strongPassword = (): string => randomBytes(12).toString('hex');
const jwtPem = ed25519Pem();
const auditPem = ed25519Pem();
const secretKey = randomBytes(32);
const rootKey = randomBytes(32);

/** A complete, strong production configuration. */
function productionEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    CLARUS_DATA_DIR: freshDir(),
    CLARUS_JWT_KEY: jwtPem,
    CLARUS_SECRET_KEY: secretKey.toString('base64'),
    CLARUS_AUDIT_SIGNING_KEY: auditPem,
    CLARUS_ROOT_KEY: rootKey.toString('base64'),
    CLAMD_URL: 'unix:/run/clamav/clamd.ctl',
    DATABASE_URL: `postgres://clarus_app:${strongPassword()}@db.internal:5432/clarus?sslmode=verify-full`,
    AUDIT_DATABASE_URL: `postgres://clarus_audit:${strongPassword()}@db.internal:5432/clarus_audit?sslmode=verify-full`,
    CLARUS_PUBLIC_URL: 'https://clarus.example.org',
    CLARUS_TRUST_PROXY: 'true',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs loadConfig, expects a ConfigError and returns its problems. */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(error.problems.length > 0);
    for (const problem of error.problems) assert.ok(error.message.includes(problem), 'the message lists every problem');
    return error.problems;
  }
  assert.fail('loadConfig accepted the configuration');
}

function assertProblem(problems: string[], pattern: RegExp): void {
  assert.ok(problems.some((p) => pattern.test(p)), `no problem matches ${pattern}: ${JSON.stringify(problems)}`);
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('development mode', () => {
  test('with no secrets, generates jwt-ed25519.pem and secret.key (0600) in <dataDir>/secrets (0700) and says so', () => {
    const dataDir = freshDir();
    const config = loadConfig({ NODE_ENV: 'development', CLARUS_DATA_DIR: dataDir });
    const secrets = join(dataDir, 'secrets');
    const pemFile = join(secrets, 'jwt-ed25519.pem');
    const keyFile = join(secrets, 'secret.key');
    assert.equal(mode(secrets), 0o700);
    assert.equal(mode(pemFile), 0o600);
    assert.equal(mode(keyFile), 0o600);
    assert.equal(config.env, 'development');
    assert.equal(config.secrets.jwtKey, readFileSync(pemFile, 'utf8').trim());
    assert.equal(jwtKeyProblem(config.secrets.jwtKey), undefined, 'the generated key is an Ed25519 private key');
    assert.equal(config.secrets.secretKey.length, 32);
    assert.deepEqual(config.secrets.secretKey, Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64'));
    assert.equal(config.notices.length, 2);
    assert.match(config.notices[0] ?? '', /generated local secrets/);
    assert.match(config.notices[1] ?? '', /uploads are refused until CLAMD_URL/);
    assert.ok((config.notices[0] ?? '').includes(secrets));
    assert.equal(config.database.mode, 'embedded');
    assert.equal(config.dataDir, dataDir);
  });

  test('a second load reuses the generated secrets', () => {
    const dataDir = freshDir();
    const first = loadConfig({ NODE_ENV: 'development', CLARUS_DATA_DIR: dataDir });
    const second = loadConfig({ NODE_ENV: 'development', CLARUS_DATA_DIR: dataDir });
    assert.equal(second.secrets.jwtKey, first.secrets.jwtKey);
    assert.deepEqual(second.secrets.secretKey, first.secrets.secretKey);
    assert.match(second.notices[0] ?? '', /using local secrets/);
    assert.doesNotMatch(second.notices[0] ?? '', /generated/);
  });

  test('notices never contain the secrets themselves', () => {
    const config = loadConfig({ NODE_ENV: 'development', CLARUS_DATA_DIR: freshDir() });
    for (const notice of config.notices) {
      assert.equal(notice.includes(config.secrets.secretKey.toString('base64')), false);
      assert.equal(notice.includes('PRIVATE KEY'), false);
    }
  });

  test('configured secrets are used and nothing is generated', () => {
    const dataDir = freshDir();
    const config = loadConfig({ NODE_ENV: 'development', CLARUS_DATA_DIR: dataDir, CLARUS_JWT_KEY: jwtPem, CLARUS_SECRET_KEY: secretKey.toString('base64'), CLARUS_AUDIT_SIGNING_KEY: auditPem, CLARUS_ROOT_KEY: rootKey.toString('base64'), CLAMD_URL: 'tcp://127.0.0.1:3310' });
    assert.equal(config.secrets.jwtKey, jwtPem);
    assert.deepEqual(config.keys.provider, { kind: 'local', current: rootKey, previous: [] });
    assert.deepEqual(config.secrets.secretKey, secretKey);
    assert.deepEqual(config.notices, []);
    assert.equal(existsSync(join(dataDir, 'secrets')), false);
  });

  test('defaults: port 8080 on 127.0.0.1, public URL http://localhost:8080, access tokens 900 s', () => {
    const config = loadConfig({ NODE_ENV: 'development', CLARUS_DATA_DIR: freshDir() });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.publicUrl, 'http://localhost:8080');
    assert.equal(config.auth.accessTokenTtl, 900);
    assert.equal(config.trustProxy, false);
  });

  test('weak configured secrets are refused in development too', () => {
    assertProblem(problemsOf({ NODE_ENV: 'development', CLARUS_DATA_DIR: freshDir(), CLARUS_SECRET_KEY: 'changeme' }), /CLARUS_SECRET_KEY is a well-known default/);
  });
});

describe('production: a complete strong configuration', () => {
  test('is accepted, with nothing generated', () => {
    const env = productionEnv();
    const config: Config = loadConfig(env);
    assert.equal(config.env, 'production');
    assert.equal(config.secrets.jwtKey, jwtPem);
    assert.deepEqual(config.secrets.secretKey, secretKey);
    assert.equal(config.publicUrl, 'https://clarus.example.org');
    assert.equal(config.trustProxy, true);
    assert.deepEqual(config.database, { mode: 'external', url: env.DATABASE_URL, auditUrl: env.AUDIT_DATABASE_URL });
    assert.deepEqual(config.notices, []);
    assert.equal(existsSync(join(env.CLARUS_DATA_DIR ?? '', 'secrets')), false);
  });

  test('a trailing slash of CLARUS_PUBLIC_URL is dropped', () => {
    assert.equal(loadConfig(productionEnv({ CLARUS_PUBLIC_URL: 'https://clarus.example.org/' })).publicUrl, 'https://clarus.example.org');
  });

  test('a 64-character hex secret key is accepted and decoded as hex', () => {
    const config = loadConfig(productionEnv({ CLARUS_SECRET_KEY: secretKey.toString('hex') }));
    assert.deepEqual(config.secrets.secretKey, secretKey);
  });

  test('an HS256 JWT secret of 32 random bytes is accepted', () => {
    const hs = randomBytes(32).toString('base64url');
    assert.equal(loadConfig(productionEnv({ CLARUS_JWT_KEY: hs })).secrets.jwtKey, hs);
  });

  test('TLS files instead of CLARUS_TRUST_PROXY are accepted', () => {
    const dir = freshDir();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(cert, 'certificate bytes');
    writeFileSync(key, 'key bytes');
    const config = loadConfig(productionEnv({ CLARUS_TRUST_PROXY: undefined, CLARUS_TLS_CERT_FILE: cert, CLARUS_TLS_KEY_FILE: key }));
    assert.deepEqual(config.http.tls, { cert: Buffer.from('certificate bytes'), key: Buffer.from('key bytes') });
  });
});

describe('production refuses to start', () => {
  test('when the secrets are missing, naming each one', () => {
    const problems = problemsOf(productionEnv({ CLARUS_JWT_KEY: undefined, CLARUS_SECRET_KEY: undefined }));
    assertProblem(problems, /^CLARUS_JWT_KEY is required in production/);
    assertProblem(problems, /^CLARUS_SECRET_KEY is required in production/);
    assert.equal(problems.length, 2);
  });

  test('without a malware scanner, or with scanning switched off', () => {
    assertProblem(problemsOf(productionEnv({ CLAMD_URL: undefined })), /^CLAMD_URL is required in production/);
    assertProblem(problemsOf(productionEnv({ CLARUS_ALLOW_UNSCANNED: 'true' })), /^CLARUS_ALLOW_UNSCANNED is not allowed in production/);
    assertProblem(problemsOf(productionEnv({ CLAMD_URL: 'http://clamd:3310' })), /^CLAMD_URL: tcp:\/\/host:port or unix:/);
  });

  test('when the root key is missing, weak, or an HSM is half configured', () => {
    assertProblem(problemsOf(productionEnv({ CLARUS_ROOT_KEY: undefined })), /^CLARUS_ROOT_KEY is required in production/);
    assertProblem(problemsOf(productionEnv({ CLARUS_ROOT_KEY: 'changeme' })), /^CLARUS_ROOT_KEY is a well-known default value/);
    assertProblem(problemsOf(productionEnv({ CLARUS_ROOT_KEY_PREVIOUS: randomBytes(16).toString('base64') })), /^CLARUS_ROOT_KEY_PREVIOUS must hold at least 256 bits/);
    const hsm = problemsOf(productionEnv({ CLARUS_ROOT_KEY: undefined, CLARUS_KEY_PROVIDER: 'pkcs11', CLARUS_PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so' }));
    assertProblem(hsm, /^CLARUS_PKCS11_TOKEN_LABEL is required with CLARUS_KEY_PROVIDER=pkcs11/);
    assertProblem(hsm, /^CLARUS_PKCS11_PIN is required with CLARUS_KEY_PROVIDER=pkcs11/);
    assert.equal(hsm.length, 2, 'no root key is needed with an HSM');
  });

  test('previous root keys are decoded in order for a root-key rotation', () => {
    const older = [randomBytes(32), randomBytes(32)];
    const config = loadConfig(productionEnv({ CLARUS_ROOT_KEY_PREVIOUS: older.map((k) => k.toString('base64')).join(',') }));
    assert.deepEqual(config.keys.provider, { kind: 'local', current: rootKey, previous: older });
  });

  test('when every required variable is missing, naming each one', () => {
    const problems = problemsOf({ NODE_ENV: 'production', CLARUS_DATA_DIR: freshDir() });
    for (const name of ['CLARUS_JWT_KEY', 'CLARUS_SECRET_KEY', 'CLARUS_ROOT_KEY', 'DATABASE_URL', 'AUDIT_DATABASE_URL', 'CLARUS_PUBLIC_URL']) {
      assertProblem(problems, new RegExp(`^${name} is required in production`));
    }
    assertProblem(problems, /CLARUS_TRUST_PROXY/);
  });

  test('empty secrets count as missing', () => {
    const problems = problemsOf(productionEnv({ CLARUS_SECRET_KEY: '' }));
    assert.deepEqual(problems, ['CLARUS_SECRET_KEY is required in production']);
  });

  test('when CLARUS_SECRET_KEY holds 16 bytes', () => {
    const problems = problemsOf(productionEnv({ CLARUS_SECRET_KEY: randomBytes(16).toString('base64') }));
    assert.deepEqual(problems, ['CLARUS_SECRET_KEY must hold at least 256 bits (32 bytes); it holds 128']);
  });

  for (const value of ['changeme', 'CHANGEME', 'secret', 'your-secret-key']) {
    test(`when CLARUS_SECRET_KEY is ${JSON.stringify(value)}`, () => {
      assert.deepEqual(problemsOf(productionEnv({ CLARUS_SECRET_KEY: value })), ['CLARUS_SECRET_KEY is a well-known default value']);
    });
  }

  test('when CLARUS_SECRET_KEY is 32 identical bytes', () => {
    assert.deepEqual(problemsOf(productionEnv({ CLARUS_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') })), ['CLARUS_SECRET_KEY is not random enough']);
  });

  test('when CLARUS_SECRET_KEY is not key material', () => {
    assert.deepEqual(problemsOf(productionEnv({ CLARUS_SECRET_KEY: 'this is not base64 at all!' })), ['CLARUS_SECRET_KEY must be base64 or hex encoded key material']);
  });

  test('when the JWT key is a short HS256 secret', () => {
    const problems = problemsOf(productionEnv({ CLARUS_JWT_KEY: randomBytes(16).toString('base64') }));
    assert.deepEqual(problems, ['CLARUS_JWT_KEY must hold at least 256 bits (32 bytes); it holds 128']);
  });

  test('when the JWT key is an RSA PEM', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    assert.deepEqual(problemsOf(productionEnv({ CLARUS_JWT_KEY: rsa })), ['CLARUS_JWT_KEY must be an Ed25519 private key']);
  });

  test('when the JWT key is an unreadable PEM or a public key', () => {
    const broken = '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----';
    assert.deepEqual(problemsOf(productionEnv({ CLARUS_JWT_KEY: broken })), ['CLARUS_JWT_KEY is not a readable PEM private key']);
    const publicPem = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    assert.deepEqual(problemsOf(productionEnv({ CLARUS_JWT_KEY: publicPem })), ['CLARUS_JWT_KEY is not a readable PEM private key']);
  });

  test('when the JWT key is a well-known default', () => {
    assert.deepEqual(problemsOf(productionEnv({ CLARUS_JWT_KEY: 'supersecret' })), ['CLARUS_JWT_KEY is a well-known default value']);
  });

  for (const password of ['postgres', 'Postgres', 'short1234']) {
    test(`when the DATABASE_URL password is ${JSON.stringify(password)}`, () => {
      const problems = problemsOf(productionEnv({ DATABASE_URL: `postgres://clarus_app:${password}@db.internal:5432/clarus` }));
      assert.deepEqual(problems, ['DATABASE_URL uses a default or short password (at least 12 characters)']);
    });
  }

  test('when the AUDIT_DATABASE_URL password is weak, or a database URL has no password', () => {
    assert.deepEqual(problemsOf(productionEnv({ AUDIT_DATABASE_URL: 'postgresql://audit:password@db/clarus_audit' })),
      ['AUDIT_DATABASE_URL uses a default or short password (at least 12 characters)']);
    assert.deepEqual(problemsOf(productionEnv({ DATABASE_URL: 'postgres://clarus_app@db/clarus' })),
      ['DATABASE_URL has no password (or client certificate)']);
  });

  test('when the optional database URLs are weak', () => {
    assert.deepEqual(problemsOf(productionEnv({ DATABASE_MIGRATION_URL: 'postgres://owner:changeme@db/clarus' })),
      ['DATABASE_MIGRATION_URL uses a default or short password (at least 12 characters)']);
    assert.deepEqual(problemsOf(productionEnv({ DATABASE_READ_URL: 'mysql://reader:0123456789abcdef@db/clarus' })),
      ['DATABASE_READ_URL must be a postgres:// URL']);
  });

  test('a database URL without sslmode=verify-full is refused unless it is on this machine (KEY-4)', () => {
    assertProblem(problemsOf(productionEnv({ DATABASE_URL: `postgres://clarus_app:${strongPassword()}@db.internal/clarus?sslmode=require` })), /DATABASE_URL must use sslmode=verify-full/);
    assert.equal(loadConfig(productionEnv({ DATABASE_URL: `postgres://clarus_app:${strongPassword()}@127.0.0.1/clarus` })).database.mode, 'external');
  });

  test('a client certificate instead of a password is accepted', () => {
    const url = 'postgres://clarus_app@db.internal/clarus?sslcert=/run/secrets/client.crt&sslmode=verify-full';
    assert.equal(loadConfig(productionEnv({ DATABASE_URL: url })).database.mode, 'external');
  });

  test('when DATABASE_URL is missing', () => {
    assert.deepEqual(problemsOf(productionEnv({ DATABASE_URL: undefined })),
      ['DATABASE_URL is required in production (the embedded database is for development)']);
  });

  test('when AUDIT_DATABASE_URL is missing', () => {
    const problems = problemsOf(productionEnv({ AUDIT_DATABASE_URL: undefined }));
    assertProblem(problems, /^AUDIT_DATABASE_URL is required/);
    assert.ok(problems.every((p) => p.startsWith('AUDIT_DATABASE_URL is required')), JSON.stringify(problems));
  });

  test('when CLARUS_PUBLIC_URL is missing', () => {
    assert.deepEqual(problemsOf(productionEnv({ CLARUS_PUBLIC_URL: undefined })), ['CLARUS_PUBLIC_URL is required in production']);
  });

  for (const trust of [undefined, 'false']) {
    test(`with no TLS and CLARUS_TRUST_PROXY=${String(trust)}`, () => {
      assert.deepEqual(problemsOf(productionEnv({ CLARUS_TRUST_PROXY: trust })),
        ['production needs CLARUS_TLS_CERT_FILE/CLARUS_TLS_KEY_FILE, or CLARUS_TRUST_PROXY=true behind a TLS proxy']);
    });
  }

  test('with only one of the TLS files, or unreadable ones', () => {
    const dir = freshDir();
    assertProblem(problemsOf(productionEnv({ CLARUS_TLS_CERT_FILE: join(dir, 'cert.pem') })), /go together/);
    assertProblem(problemsOf(productionEnv({ CLARUS_TLS_CERT_FILE: join(dir, 'missing.pem'), CLARUS_TLS_KEY_FILE: join(dir, 'missing.key') })), /cannot be read/);
  });
});

describe('secrets from files (NAME_FILE)', () => {
  test('CLARUS_SECRET_KEY_FILE supplies the secret, trimmed', () => {
    const file = join(freshDir(), 'secret-key');
    writeFileSync(file, `${secretKey.toString('base64')}\n`, { mode: 0o600 });
    const config = loadConfig(productionEnv({ CLARUS_SECRET_KEY: undefined, CLARUS_SECRET_KEY_FILE: file }));
    assert.deepEqual(config.secrets.secretKey, secretKey);
  });

  test('CLARUS_JWT_KEY_FILE and DATABASE_URL_FILE supply their secrets', () => {
    const dir = freshDir();
    const jwtFile = join(dir, 'jwt.pem');
    const dbFile = join(dir, 'db-url');
    const url = `postgres://clarus_app:${strongPassword()}@db.internal:5432/clarus?sslmode=verify-full`;
    writeFileSync(jwtFile, jwtPem);
    writeFileSync(dbFile, `${url}\n`);
    const config = loadConfig(productionEnv({ CLARUS_JWT_KEY: undefined, CLARUS_JWT_KEY_FILE: jwtFile, DATABASE_URL: undefined, DATABASE_URL_FILE: dbFile }));
    assert.equal(config.secrets.jwtKey, jwtPem.trim());
    assert.equal(config.database.mode === 'external' ? config.database.url : undefined, url);
  });

  test('setting both NAME and NAME_FILE is a problem', () => {
    const file = join(freshDir(), 'secret-key');
    writeFileSync(file, secretKey.toString('base64'));
    const problems = problemsOf(productionEnv({ CLARUS_SECRET_KEY_FILE: file }));
    assert.deepEqual(problems, ['CLARUS_SECRET_KEY and CLARUS_SECRET_KEY_FILE are both set; set only one']);
  });

  test('a NAME_FILE that cannot be read is a problem', () => {
    const problems = problemsOf(productionEnv({ CLARUS_SECRET_KEY: undefined, CLARUS_SECRET_KEY_FILE: join(freshDir(), 'absent') }));
    assertProblem(problems, /^CLARUS_SECRET_KEY_FILE names a file that cannot be read$/);
  });

  test('a weak secret from a file is refused like an inline one', () => {
    const file = join(freshDir(), 'secret-key');
    writeFileSync(file, 'changeme\n');
    assert.deepEqual(problemsOf(productionEnv({ CLARUS_SECRET_KEY: undefined, CLARUS_SECRET_KEY_FILE: file })), ['CLARUS_SECRET_KEY is a well-known default value']);
  });

  test('resolveSecretFiles does not change the given environment and turns empty values into undefined', () => {
    const file = join(freshDir(), 'secret-key');
    writeFileSync(file, 'from-file');
    const env: NodeJS.ProcessEnv = { CLARUS_SECRET_KEY_FILE: file, HOST: '' };
    const problems: string[] = [];
    const resolved = resolveSecretFiles(env, problems);
    assert.deepEqual(problems, []);
    assert.equal(resolved.CLARUS_SECRET_KEY, 'from-file');
    assert.equal(resolved.HOST, undefined);
    assert.deepEqual(env, { CLARUS_SECRET_KEY_FILE: file, HOST: '' });
  });
});

describe('numeric settings', () => {
  test('CLARUS_ACCESS_TOKEN_TTL above 3600 seconds is refused (AUTH-3), 3600 is accepted', () => {
    assertProblem(problemsOf(productionEnv({ CLARUS_ACCESS_TOKEN_TTL: '3601' })), /^CLARUS_ACCESS_TOKEN_TTL: /);
    assertProblem(problemsOf(productionEnv({ CLARUS_ACCESS_TOKEN_TTL: '86400' })), /^CLARUS_ACCESS_TOKEN_TTL: /);
    assert.equal(loadConfig(productionEnv({ CLARUS_ACCESS_TOKEN_TTL: '3600' })).auth.accessTokenTtl, 3600);
  });

  for (const port of ['abc', '70000', '-1', '80.5']) {
    test(`PORT=${port} is refused`, () => {
      assertProblem(problemsOf(productionEnv({ PORT: port })), /^PORT: /);
    });
  }

  test('a valid PORT is used, and appears in the default public URL', () => {
    const config = loadConfig({ NODE_ENV: 'development', CLARUS_DATA_DIR: freshDir(), PORT: '9443' });
    assert.equal(config.port, 9443);
    assert.equal(config.publicUrl, 'http://localhost:9443');
  });

  test('an unknown NODE_ENV is refused', () => {
    assertProblem(problemsOf(productionEnv({ NODE_ENV: 'staging' })), /^NODE_ENV: /);
  });
});

describe('secret-strength helpers', () => {
  test('decodeKeyMaterial reads hex (≥ 64 digits), base64 and base64url', () => {
    assert.deepEqual(decodeKeyMaterial(secretKey.toString('hex')), secretKey);
    assert.deepEqual(decodeKeyMaterial(secretKey.toString('base64')), secretKey);
    assert.deepEqual(decodeKeyMaterial(` ${secretKey.toString('base64url')}\n`), secretKey);
    assert.equal(decodeKeyMaterial('not key material!'), undefined);
  });

  test('symmetricSecretProblem accepts 32 random bytes', () => {
    assert.equal(symmetricSecretProblem('X', randomBytes(32).toString('base64')), undefined);
  });

  test('databaseUrlProblem refuses what is not a URL', () => {
    assert.equal(databaseUrlProblem('DATABASE_URL', 'not a url'), 'DATABASE_URL is not a valid URL');
  });
});
