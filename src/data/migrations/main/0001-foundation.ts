import { sql, type Kysely } from 'kysely';
import { runScript } from '../run-script.ts';
import { enableTenantIsolation } from '../tenant-isolation.ts';

/** Tables that carry a tenant id get row-level security keyed on `app.tenant_id` (ROLE-1, second wall). */
export const tenantTables = ['users', 'invitations', 'sessions', 'refresh_tokens', 'recovery_codes', 'webauthn_credentials'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `
    create table tenants (
      id uuid primary key,
      slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz not null default now()
    );
    create table user_directory (
      email text primary key check (email = lower(email)),
      tenant_id uuid not null references tenants(id),
      user_id uuid not null unique
    );
    create table users (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      email text not null unique,
      display_name text,
      roles text[] not null check (roles <@ array['Administrator','Radiologist','Clinician','Technician','Viewer']::text[] and cardinality(roles) > 0),
      status text not null check (status in ('invited','active','disabled')),
      password_hash text,
      totp_secret bytea,
      totp_pending_secret bytea,
      totp_enabled_at timestamptz,
      totp_last_step bigint,
      created_at timestamptz not null default now(),
      password_changed_at timestamptz
    );
    create index users_tenant on users (tenant_id);
    create table invitations (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      user_id uuid not null references users(id),
      token_hash text not null unique,
      expires_at timestamptz not null,
      used_at timestamptz,
      revoked_at timestamptz,
      created_by uuid,
      created_at timestamptz not null default now()
    );
    create table sessions (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      user_id uuid not null references users(id),
      stage text not null check (stage in ('enrol-totp','mfa','full')),
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null,
      absolute_expires_at timestamptz not null,
      stage_expires_at timestamptz,
      step_up_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text,
      webauthn_challenge text,
      webauthn_challenge_expires_at timestamptz,
      source_address text
    );
    create index sessions_user on sessions (tenant_id, user_id) where revoked_at is null;
    create table refresh_tokens (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      session_id uuid not null references sessions(id),
      token_hash text not null unique,
      created_at timestamptz not null default now(),
      used_at timestamptz
    );
    create table recovery_codes (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      user_id uuid not null references users(id),
      code_hash text not null,
      used_at timestamptz
    );
    create index recovery_codes_user on recovery_codes (user_id) where used_at is null;
    create table webauthn_credentials (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      user_id uuid not null references users(id),
      credential_id text not null unique,
      public_key bytea not null,
      counter bigint not null default 0,
      transports text[] not null default '{}',
      name text not null,
      created_at timestamptz not null default now()
    );
    create table login_failures (
      id uuid primary key default gen_random_uuid(),
      subject text not null,
      at timestamptz not null
    );
    create index login_failures_subject on login_failures (subject, at);
    create table lockouts (
      subject text primary key,
      locked_until timestamptz not null
    );
    create table security_events (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid references tenants(id),
      at timestamptz not null,
      severity text not null check (severity in ('Critical','High','Medium','Low')),
      kind text not null,
      actor_id uuid,
      subject_id uuid,
      source_address text,
      request_id text,
      details jsonb not null default '{}'
    );
    create index security_events_tenant_at on security_events (tenant_id, at desc);
  `);
  for (const table of tenantTables) await enableTenantIsolation(db, table);
  // Security events without a tenant (a lockout of an unknown e-mail) are visible only with no tenant set.
  await sql`alter table security_events enable row level security`.execute(db);
  await sql`alter table security_events force row level security`.execute(db);
  await sql`
    create policy tenant_isolation on security_events
      using (tenant_id is not distinct from nullif(current_setting('app.tenant_id', true), '')::uuid)
      with check (tenant_id is not distinct from nullif(current_setting('app.tenant_id', true), '')::uuid)
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('foundation migration is not reversible');
}
