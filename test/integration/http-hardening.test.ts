import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { policyHeaders } from '../../src/http/plugins/security-headers.ts';
import { TestClient } from '../helpers/http-client.ts';
import { newTenantWithAdmin, strongPassword, type SignedInUser } from '../helpers/journeys.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';

let system: TestSystem;
let admin: SignedInUser;
before(async () => {
  system = await startTestSystem();
  admin = await newTenantWithAdmin(system);
});
after(async () => system.close());

function assertPolicyHeaders(headers: Record<string, unknown>, label: string): void {
  for (const [name, value] of Object.entries(policyHeaders)) assert.equal(headers[name], value, `${label}: ${name}`);
  assert.match(String(headers['x-request-id']), /^[0-9a-f-]{36}$/, `${label}: request id`);
}

describe('security headers', () => {
  test('every kind of response carries exactly the policy headers', async () => {
    const anonymous = new TestClient(system.app);
    const cases: [string, () => Promise<{ status: number; headers: Record<string, unknown> }>][] = [
      ['page', () => anonymous.get('/sign-in')],
      ['health', () => anonymous.get('/health')],
      ['API', () => admin.client.get('/api/auth/me')],
      ['error', () => anonymous.get('/api/users')],
      ['API 404', () => anonymous.get('/api/does-not-exist')],
      ['validation error', () => anonymous.post('/api/auth/login', { email: 'nope' })],
      ['CSRF refusal', () => anonymous.request('POST', '/api/auth/login', { email: 'a@b.org', password: 'x' }, { 'x-csrf-token': 'forged' })],
      ['asset 404', () => anonymous.get('/assets/missing.js')],
    ];
    for (const [label, run] of cases) {
      const reply = await run();
      assertPolicyHeaders(reply.headers, label);
    }
  });

  test('API answers are never cached', async () => {
    assert.equal((await admin.client.get('/api/auth/me')).headers['cache-control'], 'no-store');
  });
});

describe('CSRF', () => {
  test('a state-changing request without the token is refused and changes nothing', async () => {
    const bare = await system.app.inject({ method: 'POST', url: '/api/auth/logout-all', headers: { cookie: admin.client.cookieHeader() } });
    assert.equal(bare.statusCode, 403);
    assert.equal(JSON.parse(bare.body).code, 'CLARUS_ERR_CSRF');
    const forged = await admin.client.request('POST', '/api/auth/logout-all', {}, { 'x-csrf-token': 'not-the-token' });
    assert.equal(forged.status, 403);
    assert.equal((await admin.client.get('/api/auth/me')).status, 200, 'still signed in');
  });

  test('a token from another browser does not work', async () => {
    const attacker = new TestClient(system.app);
    const token = await attacker.csrf();
    const reply = await admin.client.request('POST', '/api/auth/logout-all', {}, { 'x-csrf-token': token });
    assert.equal(reply.status, 403);
  });
});

describe('bad input', () => {
  const cases: [string, string, string, number][] = [
    ['malformed JSON', '{"email": "a@b.org", "password": ', 'CLARUS_ERR_MALFORMED_JSON', 400],
    ['unknown field', JSON.stringify({ email: 'a@b.org', password: 'x', admin: true }), 'CLARUS_ERR_VALIDATION', 400],
    ['wrong type', JSON.stringify({ email: 42, password: ['x'] }), 'CLARUS_ERR_VALIDATION', 400],
    ['overlong string', JSON.stringify({ email: `${'a'.repeat(300)}@b.org`, password: 'x' }), 'CLARUS_ERR_VALIDATION', 400],
    ['array body', JSON.stringify([1, 2, 3]), 'CLARUS_ERR_VALIDATION', 400],
    ['oversize body', JSON.stringify({ email: 'a@b.org', password: 'x'.repeat(2 * 1024 * 1024) }), 'CLARUS_ERR_PAYLOAD_TOO_LARGE', 413],
  ];
  for (const [label, payload, code, status] of cases) {
    test(`${label} → ${status} ${code}, no echo, server keeps serving`, async () => {
      const client = new TestClient(system.app);
      const token = await client.csrf();
      const reply = await system.app.inject({
        method: 'POST', url: '/api/auth/login', payload,
        headers: { 'content-type': 'application/json', cookie: client.cookieHeader(), 'x-csrf-token': token },
      });
      assert.equal(reply.statusCode, status, reply.body);
      const body = JSON.parse(reply.body) as Record<string, unknown>;
      assert.equal(body.code, code);
      assert.match(String(body.requestId), /^[0-9a-f-]{36}$/);
      assert.ok(!reply.body.includes('aaaaaaaaaa') && !reply.body.includes('admin') && !reply.body.includes('xxxxxxxx'), 'input not echoed');
      assert.ok(!/at .*\.ts:\d+/.test(reply.body), 'no stack trace');
      assert.equal((await client.get('/health')).status, 200);
    });
  }

  test('a non-JSON content type is refused with 415', async () => {
    const client = new TestClient(system.app);
    const token = await client.csrf();
    const reply = await system.app.inject({
      method: 'POST', url: '/api/auth/login', payload: 'email=a@b.org&password=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: client.cookieHeader(), 'x-csrf-token': token },
    });
    assert.equal(reply.statusCode, 415);
    assert.equal(JSON.parse(reply.body).code, 'CLARUS_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  test('a refused invitation stores nothing', async () => {
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    const before = (await admin.client.get('/api/users')).body.users as unknown[];
    const reply = await admin.client.post('/api/users/invitations', { email: 'new@example.org', roles: ['Janitor'] });
    assert.equal(reply.status, 400);
    const bad = await admin.client.post('/api/users/invitations', { email: 'new@example.org', displayName: '<script>', roles: ['Viewer'] });
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.body.fields as { path: string }[]).map((f) => f.path), ['displayName']);
    const afterwards = (await admin.client.get('/api/users')).body.users as unknown[];
    assert.equal(afterwards.length, before.length);
  });

  test("names in any script, with hyphens and apostrophes, are accepted", async () => {
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    for (const [i, displayName] of ["O'Brien", 'Jean-Luc Picard', 'José Álvarez', 'Nguyễn Thị', '王小明', 'Zoë d’Arc'].entries()) {
      const reply = await admin.client.post('/api/users/invitations', { email: `name${i}@example.org`, displayName, roles: ['Viewer'] });
      assert.equal(reply.status, 200, displayName);
    }
  });
});

describe('sign-in throttling', () => {
  test('5 failures lock the account for known and unknown e-mails alike, with the same answers', async () => {
    const known = await newTenantWithAdmin(system);
    const answers = async (email: string, address: string): Promise<string[]> => {
      const client = new TestClient(system.app, address);
      const codes: string[] = [];
      for (let i = 0; i < 6; i++) codes.push(String((await client.post('/api/auth/login', { email, password: 'wrong password here' })).body.code));
      // Even the right password is refused while locked.
      codes.push(String((await client.post('/api/auth/login', { email, password: strongPassword })).body.code));
      return codes;
    };
    const expected = [...Array(5).fill('CLARUS_ERR_AUTH_FAILED'), 'CLARUS_ERR_AUTH_LOCKED', 'CLARUS_ERR_AUTH_LOCKED'];
    assert.deepEqual(await answers(known.email, '10.9.0.1'), expected);
    assert.deepEqual(await answers('nobody-here@example.org', '10.9.0.2'), expected);
    const events = await system.composition.services.securityEvents.listRecent(known.tenantId);
    assert.ok(events.some((e) => e.kind === 'auth.lockout' && e.severity === 'Medium'));
    // The lock ends after the lockout period.
    system.clock.advance(system.config.auth.lockout + 1);
    const client = new TestClient(system.app, '10.9.0.3');
    assert.equal((await client.post('/api/auth/login', { email: known.email, password: strongPassword })).status, 200);
  });

  test('5 failures from one address throttle that address for other accounts too', async () => {
    const client = new TestClient(system.app, '10.9.1.1');
    for (let i = 0; i < 5; i++) await client.post('/api/auth/login', { email: `spray${i}@example.org`, password: 'wrong password here' });
    const reply = await client.post('/api/auth/login', { email: admin.email, password: strongPassword });
    assert.equal(reply.body.code, 'CLARUS_ERR_AUTH_LOCKED');
    assert.equal((await new TestClient(system.app, '10.9.1.2').post('/api/auth/login', { email: admin.email, password: strongPassword })).status, 200);
  });

  test('failed sign-ins take the same time for known and unknown accounts', async () => {
    const known = await newTenantWithAdmin(system);
    // The sign-in service itself is timed: the HTTP layer around it is the same for both cases, and
    // leaving it out removes most of the noise of the machine.
    const time = async (email: string, address: string): Promise<number> => {
      const started = process.hrtime.bigint();
      const outcome = await system.composition.services.signIn.signIn(email, 'wrong password here', { sourceAddress: address, requestId: null }).then(() => 'signed in', (e: { code?: string }) => e.code);
      assert.equal(outcome, 'CLARUS_ERR_AUTH_FAILED');
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    // Paired samples, alternating which goes first; the median of the differences resists the noise of
    // other tests running beside this one. Without the dummy argon2 verification, unknown accounts
    // would answer about 15 ms sooner (m=19 MiB, t=2 on this machine).
    const differences: number[] = [];
    // 50 pairs: with the suite running two files at once, 30 left the median at the mercy of bursts.
    for (let i = 0; i < 50; i++) {
      const first = i % 2 === 0;
      const a = first ? await time(known.email, `10.8.${i}.1`) : await time(`ghost-${i}@example.org`, `10.8.${i}.2`);
      const b = first ? await time(`ghost-${i}@example.org`, `10.8.${i}.2`) : await time(known.email, `10.8.${i}.1`);
      differences.push(first ? a - b : b - a);
      if (i % 4 === 3) system.clock.advance(system.config.auth.lockout + 1);
    }
    const sorted = [...differences].sort((x, y) => x - y);
    const medianDifference = sorted[Math.floor(sorted.length / 2)] as number;
    assert.ok(Math.abs(medianDifference) < 8, `median known − unknown: ${medianDifference.toFixed(1)} ms`);
  });
});

describe('probing', () => {
  test('a burst of refused requests from one user records one Medium security event', async () => {
    const prober = await newTenantWithAdmin(system);
    for (let i = 0; i < 25; i++) await prober.client.get(`/api/patients/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const events = (await system.composition.services.securityEvents.listRecent(prober.tenantId)).filter((e) => e.kind === 'access.probing');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.severity, 'Medium');
    assert.equal(events[0]?.actorId, prober.userId);
  });
});

describe('logs', () => {
  test('no e-mail, password, token or secret appears in the server logs of a full scenario', () => {
    const logs = system.logLines.join('\n');
    assert.ok(logs.length > 0, 'the server logged something');
    for (const secret of [admin.email, strongPassword, 'wrong password here', admin.client.cookies.get('__Host-clarus_at') as string, admin.client.cookies.get('__Host-clarus_rt') as string, system.config.secrets.secretKey.toString('base64')]) {
      assert.ok(!logs.includes(secret), `log contains a secret or PHI: ${secret.slice(0, 6)}…`);
    }
  });
});
