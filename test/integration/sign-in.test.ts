import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpAt } from '../../src/crypto/totp.ts';
import { TestClient } from '../helpers/http-client.ts';
import { addUser, enrolThroughLink, newTenantWithAdmin, strongPassword, tokenOf } from '../helpers/journeys.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';

let system: TestSystem;
before(async () => {
  system = await startTestSystem({ env: { CLARUS_IDLE_TIMEOUT: '900', CLARUS_ACCESS_TOKEN_TTL: '300' } });
});
after(async () => system.close());

describe('enrolment and sign-in', () => {
  test('enrolment link → password → TOTP → full session, and the link works only once', async () => {
    const { link } = await system.composition.services.tenants.create('journey', 'Journey Hospital', 'ada@example.org');
    const admin = await enrolThroughLink(system, link.url, 'ada@example.org');
    assert.equal(admin.recoveryCodes.length, 10);
    assert.equal(new Set(admin.recoveryCodes).size, 10);
    const me = await admin.client.get('/api/auth/me');
    assert.equal(me.body.stage, 'full');
    assert.deepEqual((me.body.user as { roles: string[] }).roles, ['Administrator']);
    const again = await new TestClient(system.app).post('/api/auth/enrolment', { token: tokenOf(link.url), password: strongPassword });
    assert.equal(again.status, 404);
    assert.equal(again.body.code, 'CLARUS_ERR_ENROLMENT_INVALID');
  });

  test('password sign-in needs the second factor before anything else', async () => {
    const admin = await newTenantWithAdmin(system);
    const client = new TestClient(system.app);
    const login = await client.post('/api/auth/login', { email: admin.email, password: strongPassword });
    assert.equal(login.status, 200);
    assert.deepEqual(login.body, { next: 'mfa', methods: ['totp', 'recovery'] });
    assert.equal(client.cookies.has('__Host-clarus_rt'), false, 'no refresh token before the second factor');
    const blocked = await client.get('/api/users');
    assert.equal(blocked.status, 403);
    assert.equal(blocked.body.code, 'CLARUS_ERR_MFA_STAGE');
    const done = await client.post('/api/auth/mfa/totp', { code: admin.nextCode() });
    assert.equal(done.status, 200);
    assert.equal((await client.get('/api/users')).status, 200);
  });

  test('a TOTP code is accepted once only', async () => {
    const admin = await newTenantWithAdmin(system);
    const code = admin.nextCode();
    const first = new TestClient(system.app);
    await first.post('/api/auth/login', { email: admin.email, password: strongPassword });
    assert.equal((await first.post('/api/auth/mfa/totp', { code })).status, 200);
    const second = new TestClient(system.app);
    await second.post('/api/auth/login', { email: admin.email, password: strongPassword });
    const replay = await second.post('/api/auth/mfa/totp', { code });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.code, 'CLARUS_ERR_MFA_FAILED');
  });

  test('a recovery code works once', async () => {
    const admin = await newTenantWithAdmin(system);
    const [code] = admin.recoveryCodes;
    const first = new TestClient(system.app);
    await first.post('/api/auth/login', { email: admin.email, password: strongPassword });
    assert.equal((await first.post('/api/auth/mfa/recovery', { code: code?.toUpperCase() })).status, 200);
    const second = new TestClient(system.app);
    await second.post('/api/auth/login', { email: admin.email, password: strongPassword });
    assert.equal((await second.post('/api/auth/mfa/recovery', { code })).status, 401);
    const me = await first.get('/api/auth/me');
    assert.equal((me.body.mfa as { recoveryCodesRemaining: number }).recoveryCodesRemaining, 9);
  });

  test('weak and common passwords are refused at enrolment with a field message', async () => {
    const admin = await newTenantWithAdmin(system);
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    const invited = await admin.client.post('/api/users/invitations', { email: 'weak@example.org', roles: ['Viewer'] });
    const token = tokenOf(invited.body.enrolmentUrl as string);
    const client = new TestClient(system.app);
    for (const password of ['short', 'password1234', 'qwertyuiop123', 'aaaaaaaaaaaaaaa', 'weak@example.org']) {
      const reply = await client.post('/api/auth/enrolment', { token, password });
      assert.equal(reply.status, 400, password);
      assert.equal(reply.body.code, 'CLARUS_ERR_PASSWORD_WEAK');
      assert.equal((reply.body.fields as { path: string }[])[0]?.path, 'password');
    }
    // The link still works after refusals: nothing was consumed.
    assert.equal((await client.post('/api/auth/enrolment', { token, password: 'a long and unusual passphrase' })).status, 200);
  });
});

describe('sessions', () => {
  test('refresh rotates the token; reusing an old one revokes the whole family and records a High event', async () => {
    const admin = await newTenantWithAdmin(system);
    const oldRefresh = admin.client.cookies.get('__Host-clarus_rt') as string;
    const refreshed = await admin.client.post('/api/auth/refresh');
    assert.equal(refreshed.status, 200);
    const newRefresh = admin.client.cookies.get('__Host-clarus_rt') as string;
    assert.notEqual(newRefresh, oldRefresh);
    assert.equal((await admin.client.get('/api/auth/me')).status, 200);

    const thief = new TestClient(system.app);
    thief.cookies.set('__Host-clarus_rt', oldRefresh);
    const stolen = await thief.post('/api/auth/refresh');
    assert.equal(stolen.status, 401);
    assert.equal(stolen.body.code, 'CLARUS_ERR_SESSION_EXPIRED');
    // The legitimate holder is signed out too: the family is revoked.
    const me = await admin.client.get('/api/auth/me');
    assert.equal(me.status, 401);
    assert.equal(me.body.code, 'CLARUS_ERR_SESSION_EXPIRED');
    assert.equal((await admin.client.post('/api/auth/refresh')).status, 401);
    const events = await system.composition.services.securityEvents.listRecent(admin.tenantId);
    const reuse = events.find((e) => e.kind === 'auth.refresh-token-reuse');
    assert.equal(reuse?.severity, 'High');
  });

  test('an expired access token asks for a refresh, which works while the session is alive', async () => {
    const admin = await newTenantWithAdmin(system);
    admin.client.autoRefresh = false;
    system.clock.advance(system.config.auth.accessTokenTtl + 5);
    const expired = await admin.client.get('/api/auth/me');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.code, 'CLARUS_ERR_TOKEN_EXPIRED');
    assert.equal((await admin.client.post('/api/auth/refresh')).status, 200);
    assert.equal((await admin.client.get('/api/auth/me')).status, 200);
  });

  test('idle timeout ends the session on the server, refresh included', async () => {
    const admin = await newTenantWithAdmin(system);
    system.clock.advance(system.config.auth.idleTimeout + 1);
    assert.equal((await admin.client.post('/api/auth/refresh')).body.code, 'CLARUS_ERR_SESSION_EXPIRED');
  });

  test('absolute timeout ends an active session after 12 hours', async () => {
    const admin = await newTenantWithAdmin(system);
    for (let elapsed = 0; elapsed < system.config.auth.absoluteTimeout; elapsed += 600) {
      system.clock.advance(600);
      const refreshed = await admin.client.post('/api/auth/refresh');
      if (refreshed.status !== 200) {
        assert.equal(refreshed.body.code, 'CLARUS_ERR_SESSION_EXPIRED');
        assert.ok(elapsed + 600 >= system.config.auth.absoluteTimeout);
        return;
      }
      assert.equal((await admin.client.get('/api/auth/me')).status, 200);
    }
    assert.fail('the session outlived the absolute timeout');
  });

  test('sign-out and sign-out-everywhere revoke at once', async () => {
    const admin = await newTenantWithAdmin(system);
    const other = new TestClient(system.app);
    await other.post('/api/auth/login', { email: admin.email, password: strongPassword });
    await other.post('/api/auth/mfa/totp', { code: admin.nextCode() });
    const stolenAccess = admin.client.cookies.get('__Host-clarus_at') as string;
    assert.equal((await admin.client.post('/api/auth/logout-all')).status, 204);
    assert.equal((await other.get('/api/auth/me')).status, 401);
    const replay = new TestClient(system.app);
    replay.cookies.set('__Host-clarus_at', stolenAccess);
    assert.equal((await replay.get('/api/auth/me')).body.code, 'CLARUS_ERR_SESSION_EXPIRED');
  });

  test('a password change revokes the other sessions; a role change revokes the user\'s sessions', async () => {
    const admin = await newTenantWithAdmin(system);
    const clinician = await addUser(system, admin, ['Clinician']);
    const other = new TestClient(system.app);
    await other.post('/api/auth/login', { email: clinician.email, password: strongPassword });
    await other.post('/api/auth/mfa/totp', { code: clinician.nextCode() });
    const changed = await clinician.client.post('/api/auth/password', { currentPassword: strongPassword, newPassword: 'another fine passphrase 7' });
    assert.equal(changed.status, 204);
    assert.equal((await other.get('/api/auth/me')).status, 401);
    assert.equal((await clinician.client.get('/api/auth/me')).status, 200);

    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    const roles = await admin.client.request('PUT', `/api/users/${clinician.userId}/roles`, { roles: ['Viewer'] });
    assert.equal(roles.status, 200, JSON.stringify(roles.body));
    assert.deepEqual(roles.body.roles, ['Viewer']);
    assert.equal((await clinician.client.get('/api/auth/me')).status, 401);
  });

  test('step-up is required for sensitive actions and lasts the configured window', async () => {
    const admin = await newTenantWithAdmin(system);
    system.clock.advance(system.config.auth.stepUpWindow + 1);
    await admin.client.post('/api/auth/refresh');
    const refused = await admin.client.post('/api/users/invitations', { email: 'x@example.org', roles: ['Viewer'] });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'CLARUS_ERR_STEP_UP_REQUIRED');
    const wrong = await admin.client.post('/api/auth/step-up', { code: '000000' });
    assert.equal(wrong.status, 401);
    const stepUp = await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    assert.equal(stepUp.status, 200);
    assert.equal((await admin.client.post('/api/users/invitations', { email: 'x@example.org', roles: ['Viewer'] })).status, 200);
  });

  test('a disabled user is signed out at once and cannot sign in', async () => {
    const admin = await newTenantWithAdmin(system);
    const viewer = await addUser(system, admin, ['Viewer']);
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    assert.equal((await admin.client.post(`/api/users/${viewer.userId}/disable`)).status, 200);
    assert.equal((await viewer.client.get('/api/auth/me')).status, 401);
    const again = await new TestClient(system.app).post('/api/auth/login', { email: viewer.email, password: strongPassword });
    assert.equal(again.status, 401);
    assert.equal(again.body.code, 'CLARUS_ERR_AUTH_FAILED');
  });

  test('the last Administrator cannot be disabled', async () => {
    const admin = await newTenantWithAdmin(system);
    await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
    const reply = await admin.client.post(`/api/users/${admin.userId}/disable`);
    assert.equal(reply.status, 409);
  });

  test('TOTP codes are computed from the secret the API showed', () => {
    // Guards the helper itself: a code for one moment is six digits and changes with the step.
    const secret = Buffer.from('12345678901234567890');
    assert.match(totpAt(secret, 0), /^\d{6}$/);
    assert.notEqual(totpAt(secret, 0), totpAt(secret, 30_000));
  });
});
