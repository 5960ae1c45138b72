import type { Kysely } from 'kysely';
import { runScript } from '../run-script.ts';
import { enableTenantIsolation } from '../tenant-isolation.ts';

/** Patients, care teams, break-the-glass grants, service accounts and API keys (ROLE-1..4). */
export const tenantTables = ['patients', 'care_team', 'break_glass_grants', 'service_accounts', 'api_keys'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `
    alter table tenants add column mrn_pattern text not null default '^[A-Z0-9][A-Z0-9-]{2,19}$';
    alter table tenants add column clinicians_manage_care_team boolean not null default false;
    alter table tenants add column break_glass_minutes integer not null default 60 check (break_glass_minutes between 5 and 720);
    create table patients (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      mrn text not null,
      given_name text not null,
      family_name text not null,
      birth_date date not null,
      sex text not null check (sex in ('female','male','other','unknown')),
      email text,
      phone text,
      address text,
      created_by uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (tenant_id, mrn)
    );
    create index patients_family_prefix on patients (tenant_id, lower(family_name) text_pattern_ops);
    create index patients_given_prefix on patients (tenant_id, lower(given_name) text_pattern_ops);
    create table care_team (
      tenant_id uuid not null references tenants(id),
      patient_id uuid not null references patients(id),
      user_id uuid not null references users(id),
      ends_at timestamptz,
      created_by uuid,
      created_at timestamptz not null default now(),
      primary key (tenant_id, patient_id, user_id)
    );
    create index care_team_user on care_team (tenant_id, user_id);
    create table break_glass_grants (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      patient_id uuid not null references patients(id),
      user_id uuid not null references users(id),
      reason text not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null
    );
    create index break_glass_user on break_glass_grants (tenant_id, user_id, expires_at);
    create table service_accounts (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      name text not null,
      role text not null check (role in ('Administrator','Radiologist','Clinician','Technician','Viewer')),
      patient_ids uuid[],
      created_by uuid,
      created_at timestamptz not null default now(),
      unique (tenant_id, name)
    );
    create table api_keys (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      service_account_id uuid not null references service_accounts(id),
      key_hash text not null unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz,
      last_used_at timestamptz
    );
  `);
  for (const table of tenantTables) await enableTenantIsolation(db, table);
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
