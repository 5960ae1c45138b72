import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { UndeclaredRouteError } from '../../src/http/plugins/route-guard.ts';
import { permissionsOf, roles, type Role } from '../../src/domain/roles.ts';
import { TestClient } from '../helpers/http-client.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';

let system: TestSystem;
const signedIn = new Map<Role, SignedInUser>();
let otherTenantAdmin: SignedInUser;

before(async () => {
  system = await startTestSystem();
  const admin = await newTenantWithAdmin(system);
  signedIn.set('Administrator', admin);
  for (const role of roles.filter((r) => r !== 'Administrator')) signedIn.set(role, await addUser(system, admin, [role]));
  otherTenantAdmin = await newTenantWithAdmin(system);
});
after(async () => system.close());

/** Concrete URL for a route pattern: parameters become ids that exist nowhere. */
function concrete(url: string): string {
  return url.replace(/:[a-zA-Z]+/g, randomUUID()).replace('*', 'x.js');
}

const apiRoutes = () => system.app.routeCatalog.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');

describe('route guard', () => {
  test('every route declares public or a permission, and there are routes to check', () => {
    assert.ok(apiRoutes().length >= 25);
    for (const route of apiRoutes()) assert.ok('public' in route.access || typeof route.access.permission === 'string', `${route.method} ${route.url}`);
  });

  test('a route that declares neither stops the server from starting', async () => {
    await assert.rejects(
      buildApp({ config: system.config, services: system.composition.services, extraRoutes: (app) => app.get('/api/naked', async () => ({ leak: true })) }),
      UndeclaredRouteError,
    );
  });

  test('anonymous requests get 401 on every non-public route', async () => {
    const anonymous = new TestClient(system.app);
    for (const route of apiRoutes().filter((r) => !('public' in r.access))) {
      const reply = await anonymous.request(route.method as 'GET', concrete(route.url), route.method === 'GET' ? undefined : {});
      assert.equal(reply.status, 401, `${route.method} ${route.url}`);
      assert.equal(reply.body.code, 'CLARUS_ERR_UNAUTHENTICATED', `${route.method} ${route.url}`);
    }
  });

  test('every role × every route: refused exactly where the permission table says so', async () => {
    for (const role of roles) {
      const user = signedIn.get(role) as SignedInUser;
      const granted = permissionsOf([role]);
      for (const route of apiRoutes().filter((r) => !('public' in r.access))) {
        if ('public' in route.access) continue;
        // Sign-out routes would end the session this loop relies on; they are covered elsewhere.
        if (route.url.startsWith('/api/auth/logout')) continue;
        const reply = await user.client.request(route.method as 'GET', concrete(route.url), route.method === 'GET' ? undefined : {});
        const label = `${role} ${route.method} ${route.url} → ${reply.status} ${String(reply.body.code)}`;
        const stages = route.access.stages ?? ['full'];
        if (!stages.includes('full')) {
          assert.equal(reply.body.code, 'CLARUS_ERR_MFA_STAGE', label);
        } else if (!granted.has(route.access.permission)) {
          assert.equal(reply.status, 403, label);
          assert.equal(reply.body.code, 'CLARUS_ERR_FORBIDDEN', label);
        } else {
          assert.notEqual(reply.status, 401, label);
          assert.notEqual(reply.body.code, 'CLARUS_ERR_FORBIDDEN', label);
        }
      }
    }
  });

  test("another tenant's user ids answer 404, exactly like ids that do not exist", async () => {
    const admin = signedIn.get('Administrator') as SignedInUser;
    const victim = signedIn.get('Viewer') as SignedInUser;
    await otherTenantAdmin.client.post('/api/auth/step-up', { code: otherTenantAdmin.nextCode() });
    const foreign = await otherTenantAdmin.client.request('PUT', `/api/users/${victim.userId}/roles`, { roles: ['Administrator'] });
    const missing = await otherTenantAdmin.client.request('PUT', `/api/users/${randomUUID()}/roles`, { roles: ['Administrator'] });
    assert.equal(foreign.status, 404);
    assert.deepEqual({ ...foreign.body, requestId: '' }, { ...missing.body, requestId: '' });
    const list = await otherTenantAdmin.client.get('/api/users');
    const emails = (list.body.users as { email: string }[]).map((u) => u.email);
    assert.ok(!emails.includes(victim.email) && !emails.includes(admin.email));
    const events = await otherTenantAdmin.client.get('/api/security-events');
    assert.equal(events.status, 200);
    const me = await victim.client.get('/api/auth/me');
    assert.deepEqual((me.body.user as { roles: string[] }).roles, ['Viewer'], 'the foreign change did not happen');
  });
});
