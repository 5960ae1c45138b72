import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestClient } from '../helpers/http-client.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';

let system: TestSystem;
before(async () => {
  system = await startTestSystem();
});
after(async () => system.close());

test('health answers while the process is alive; ready checks both databases', async () => {
  const client = new TestClient(system.app);
  assert.deepEqual((await client.get('/health')).body, { status: 'ok' });
  const ready = await client.get('/ready');
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body, { status: 'ready', checks: { database: true, auditDatabase: true } });
});

test('the OpenAPI document lists every API route', async () => {
  const document = (await new TestClient(system.app).get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const documented = new Set(Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)));
  const apiRoutes = system.app.routeCatalog.filter((r) => r.url.startsWith('/api/') && r.url !== '/api/openapi.json' && r.method !== 'HEAD');
  assert.ok(apiRoutes.length >= 25);
  for (const route of apiRoutes) {
    const openApiPath = route.url.replace(/:([a-zA-Z]+)/g, '{$1}');
    assert.ok(documented.has(`${route.method} ${openApiPath}`), `${route.method} ${route.url} is in the OpenAPI document`);
  }
});

test('ready reports 503 when the audit database is unreachable, and health stays up', async () => {
  await system.composition.databases.audit.destroy();
  const client = new TestClient(system.app);
  const ready = await client.get('/ready');
  assert.equal(ready.status, 503);
  assert.deepEqual(ready.body, { status: 'unavailable', checks: { database: true, auditDatabase: false } });
  assert.equal((await client.get('/health')).status, 200);
});
