import type { Kysely } from 'kysely';
import { runScript } from '../run-script.ts';
import { enableTenantIsolation } from '../tenant-isolation.ts';

/**
 * The reconciliation list (issue 6 item 1, ING-6): DICOM received without a chosen patient whose
 * Patient ID (0010,0020) matches no MRN of the tenant waits here, already scanned and validated,
 * until someone files it to a patient or discards it. The bytes are one encrypted object (id = the
 * item id) under the tenant's quarantine key; there is no patient key yet to seal them under.
 *
 * Every identifying value — the DICOM Patient ID and name, study date and description, the SOP and
 * Study Instance UIDs — is field ciphertext under that same tenant key, version `key_version`
 * (docs/encryption.md). What is clear: the modality, sizes, the channel, who sent it and when. The SOP
 * Instance UID's keyed blind index and the content hash's make a re-sent instance idempotent, and
 * another file with the same SOP Instance UID a conflict, as for stored instances.
 */
export const tenantTables = ['reconciliation_items'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `
    create table reconciliation_items (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      key_version integer not null,
      sop_uid_index bytea not null,
      sop_uid_enc bytea not null,
      study_uid_enc bytea not null,
      dicom_patient_id_enc bytea,
      patient_name_enc bytea,
      study_date_enc bytea,
      study_description_enc bytea,
      modality text,
      content_index bytea not null,
      size bigint not null,
      channel text not null check (channel in ('upload','stow','dimse')),
      uploaded_by uuid,
      created_at timestamptz not null default now(),
      unique (tenant_id, sop_uid_index)
    );
    create index reconciliation_items_recent on reconciliation_items (tenant_id, created_at desc);
  `);
  for (const table of tenantTables) await enableTenantIsolation(db, table);
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
