import type { Kysely } from 'kysely';
import { runScript } from '../run-script.ts';
import { enableTenantIsolation } from '../tenant-isolation.ts';

/**
 * Images (issue 6): patient → study → series → instance, as QIDO-RS and the viewer need them
 * (DICOM PS3.18 §10.6, PS3.4 Annex C). Identifying values — UIDs, accession number, study date and
 * time, descriptions — are sealed under the patient's data key with keyed blind indexes for exact
 * lookup (docs/encryption.md); technical values (modality, numbers, sizes, SOP class, transfer syntax)
 * are stored in the clear. Each instance's bytes are one encrypted object whose id is the instance id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `
    create table studies (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      patient_id uuid not null references patients(id),
      study_uid_index bytea not null,
      study_uid_enc bytea not null,
      accession_index bytea,
      accession_enc bytea,
      study_date_index bytea,
      study_date_enc bytea,
      study_time_enc bytea,
      description_enc bytea,
      referring_physician_enc bytea,
      modalities text[] not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (tenant_id, study_uid_index)
    );
    create index studies_patient on studies (tenant_id, patient_id);
    create index studies_accession on studies (tenant_id, accession_index);
    create index studies_date on studies (tenant_id, study_date_index);
    create index studies_recent on studies (tenant_id, created_at desc);

    create table series (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      study_id uuid not null references studies(id),
      series_uid_index bytea not null,
      series_uid_enc bytea not null,
      modality text,
      series_number integer,
      description_enc bytea,
      created_at timestamptz not null default now(),
      unique (tenant_id, series_uid_index)
    );
    create index series_study on series (tenant_id, study_id);

    create table instances (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      patient_id uuid not null references patients(id),
      study_id uuid not null references studies(id),
      series_id uuid not null references series(id),
      sop_uid_index bytea not null,
      sop_uid_enc bytea not null,
      sop_class_uid text,
      transfer_syntax_uid text,
      kind text not null check (kind in ('dicom','nifti','png','jpeg')),
      instance_number integer,
      rows integer,
      columns integer,
      frames integer,
      bits_allocated integer,
      burned_in_annotation text,
      content_index bytea not null,
      size bigint not null,
      stored_size bigint not null,
      uploaded_by uuid,
      created_at timestamptz not null default now(),
      unique (tenant_id, sop_uid_index)
    );
    create index instances_series on instances (tenant_id, series_id, instance_number);
    create index instances_study on instances (tenant_id, study_id);

    alter table tenant_keys drop constraint tenant_keys_purpose_check;
    alter table tenant_keys add constraint tenant_keys_purpose_check check (purpose in ('kek','blind-index','pseudonym','quarantine'));

    -- ING-7: an object is announced here before it is written and forgotten in the transaction that
    -- indexes it, so a crash in between leaves a row that the start-up sweep resolves (ids only, no PHI).
    create table pending_objects (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      created_at timestamptz not null default now()
    );

    -- ING-3: infected uploads, sealed under the tenant's quarantine key; Administrators see them.
    create table quarantine (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      uploaded_by uuid,
      signature text not null,
      size bigint not null,
      source text not null check (source in ('upload','stow','dimse')),
      created_at timestamptz not null default now()
    );
  `);
  for (const table of ['studies', 'series', 'instances', 'quarantine']) await enableTenantIsolation(db, table);
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
