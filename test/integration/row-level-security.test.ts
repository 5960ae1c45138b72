import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';

let system: TestSystem;
let a: SignedInUser;
let b: SignedInUser;
let client: pg.Client;

before(async () => {
  system = await startTestSystem();
  a = await newTenantWithAdmin(system);
  b = await newTenantWithAdmin(system);
  // Connect exactly as the application does: its own non-superuser role.
  client = new pg.Client({ connectionString: system.databases.env.DATABASE_URL });
  await client.connect();
});
after(async () => {
  await client.end();
  await system.close();
});

test('the application role is neither superuser nor exempt from row-level security', async () => {
  const { rows } = await client.query<{ rolsuper: boolean; rolbypassrls: boolean }>('select rolsuper, rolbypassrls from pg_roles where rolname = current_user');
  assert.deepEqual(rows[0], { rolsuper: false, rolbypassrls: false });
});

test('with no tenant set, tenant tables show nothing; with a tenant set, only its rows', async () => {
  await client.query('begin');
  try {
    assert.equal((await client.query('select count(*)::int as n from users')).rows[0].n, 0);
    await client.query("select set_config('app.tenant_id', $1, true)", [a.tenantId]);
    const seen = await client.query<{ tenant_id: string }>('select tenant_id from users');
    assert.ok(seen.rows.length >= 1);
    assert.ok(seen.rows.every((r) => r.tenant_id === a.tenantId));
    const sessions = await client.query<{ tenant_id: string }>('select tenant_id from sessions');
    assert.ok(sessions.rows.every((r) => r.tenant_id === a.tenantId));
  } finally {
    await client.query('rollback');
  }
});

test('a write into another tenant is refused by the database itself', async () => {
  await client.query('begin');
  try {
    await client.query("select set_config('app.tenant_id', $1, true)", [a.tenantId]);
    const updated = await client.query("update users set roles = '{Viewer}' where id = $1", [b.userId]);
    assert.equal(updated.rowCount, 0, 'rows of tenant B are invisible to an update under tenant A');
    await assert.rejects(
      client.query("insert into recovery_codes (tenant_id, user_id, code_hash) values ($1, $2, 'x')", [b.tenantId, b.userId]),
      /row-level security/,
    );
  } finally {
    await client.query('rollback');
  }
});

test('the application role cannot switch row-level security off', async () => {
  await assert.rejects(client.query('alter table users disable row level security'), /must be owner|permission denied/);
});
