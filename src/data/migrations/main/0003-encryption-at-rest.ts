import { sql, type Kysely } from 'kysely';
import { runScript } from '../run-script.ts';
import { enableTenantIsolation } from '../tenant-isolation.ts';

/**
 * KEY-1..3: patient fields become ciphertext with keyed blind indexes; tenant keys and per-patient
 * data keys are stored wrapped. Plaintext columns are dropped, so no PHI is stored in the clear.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Clarus had no release with plaintext patients; refusing is safer than silently dropping them.
  const existing = await sql<{ n: string }>`select count(*)::text as n from patients`.execute(db);
  if (Number(existing.rows[0]?.n ?? 0) > 0) {
    throw new Error('this database holds patients stored before encryption at rest; start from an empty data directory');
  }
  await runScript(db, `
    create table tenant_keys (
      tenant_id uuid not null references tenants(id),
      purpose text not null check (purpose in ('kek','blind-index','pseudonym')),
      version integer not null check (version > 0),
      root_key_id text not null,
      wrapped_key bytea,
      state text not null check (state in ('active','retiring','retired')),
      created_at timestamptz not null default now(),
      retired_at timestamptz,
      primary key (tenant_id, purpose, version),
      check ((state = 'retired') = (wrapped_key is null))
    );
    create unique index tenant_keys_one_active on tenant_keys (tenant_id, purpose) where state = 'active';
    create index tenant_keys_root on tenant_keys (root_key_id) where wrapped_key is not null;

    alter table patients drop constraint patients_tenant_id_mrn_key;
    drop index patients_family_prefix;
    drop index patients_given_prefix;
    alter table patients
      drop column mrn, drop column given_name, drop column family_name, drop column birth_date,
      drop column sex, drop column email, drop column phone, drop column address,
      add column data_key_version integer not null default 1,
      add column mrn_enc bytea, add column given_name_enc bytea, add column family_name_enc bytea,
      add column birth_date_enc bytea, add column sex_enc bytea, add column email_enc bytea,
      add column phone_enc bytea, add column address_enc bytea,
      add column mrn_index bytea, add column email_index bytea, add column phone_index bytea,
      add column erased_at timestamptz;
    create unique index patients_mrn_index on patients (tenant_id, mrn_index);
    create index patients_email_index on patients (tenant_id, email_index);
    create index patients_phone_index on patients (tenant_id, phone_index);
    create index patients_recent on patients (tenant_id, created_at desc, id) where erased_at is null;

    create table patient_keys (
      tenant_id uuid not null references tenants(id),
      patient_id uuid not null references patients(id),
      version integer not null check (version > 0),
      kek_version integer not null,
      wrapped_key bytea,
      created_at timestamptz not null default now(),
      destroyed_at timestamptz,
      primary key (tenant_id, patient_id, version),
      check ((destroyed_at is null) = (wrapped_key is not null))
    );
    create index patient_keys_by_kek on patient_keys (tenant_id, kek_version) where wrapped_key is not null;

    create table patient_name_index (
      tenant_id uuid not null references tenants(id),
      patient_id uuid not null references patients(id),
      token bytea not null,
      primary key (tenant_id, token, patient_id)
    );
    create index patient_name_index_patient on patient_name_index (tenant_id, patient_id);

    alter table break_glass_grants drop column reason, add column reason_enc bytea not null;
  `);
  for (const table of ['tenant_keys', 'patient_keys', 'patient_name_index']) await enableTenantIsolation(db, table);
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
