import type { Kysely } from 'kysely';
import { runScript } from '../run-script.ts';
import { enableTenantIsolation } from '../tenant-isolation.ts';

/**
 * De-identification workflow (issue 7): consent per patient and purpose (PRIV-1), reviewers'
 * decisions on pixels that may carry text (DEID-2), the tenant's de-identification settings, and
 * research exports run as durable jobs whose archives are sealed under the tenant's `export` key.
 * No PHI in these tables: ids, codes, counts, and the export's purpose (which the form asks to keep
 * free of patient information).
 */
export const tenantTables = ['patient_consents', 'pixel_reviews', 'deid_settings', 'research_exports'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `
    -- Append-only: the latest decision per (patient, purpose) is the current one; history stays.
    create table patient_consents (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      patient_id uuid not null references patients(id),
      purpose text not null check (purpose in ('research','clinical-ai')),
      status text not null check (status in ('granted','refused','withdrawn')),
      recorded_by uuid,
      recorded_at timestamptz not null
    );
    create index patient_consents_current on patient_consents (tenant_id, patient_id, purpose, recorded_at desc);

    create table pixel_reviews (
      instance_id uuid primary key references instances(id),
      tenant_id uuid not null references tenants(id),
      decision text not null check (decision in ('confirmed-clean','masked')),
      regions jsonb,
      reviewed_by uuid not null,
      reviewed_at timestamptz not null
    );

    create table deid_settings (
      tenant_id uuid primary key references tenants(id),
      pixel_policy jsonb not null default '{}',
      text_allow_list text[] not null default '{}',
      safe_private text[] not null default '{}',
      updated_by uuid,
      updated_at timestamptz not null default now()
    );

    create table research_exports (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      requested_by uuid not null,
      state text not null check (state in ('queued','running','ready','downloaded','failed','expired')),
      purpose text not null,
      options text[] not null,
      study_ids uuid[] not null,
      total integer not null default 0,
      done integer not null default 0,
      withheld integer not null default 0,
      size bigint,
      -- The object of the current run: each claim gets a new one, so a worker that lost its claim
      -- can only ever delete its own partial archive, never the one that finished.
      archive_id uuid,
      error text,
      created_at timestamptz not null,
      started_at timestamptz,
      heartbeat_at timestamptz,
      finished_at timestamptz,
      expires_at timestamptz not null
    );
    create index research_exports_queue on research_exports (tenant_id, state, created_at);

    alter table tenant_keys drop constraint tenant_keys_purpose_check;
    alter table tenant_keys add constraint tenant_keys_purpose_check check (purpose in ('kek','blind-index','pseudonym','quarantine','export'));
  `);
  for (const table of tenantTables) await enableTenantIsolation(db, table);
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
