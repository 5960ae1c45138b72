import type { Kysely } from 'kysely';
import { runScript } from '../run-script.ts';
import { enableTenantIsolation } from '../tenant-isolation.ts';

/**
 * Resumable uploads (issue 6, the tus 1.0.0 protocol; docs/adr/0003-tus-own-implementation.md). One
 * row per upload session: who owns it, the length the client declared, how far it got, and the
 * encrypted chunk objects (one per PATCH, sealed under the tenant's quarantine key) in order. Ids,
 * sizes, a media type and a refusal code only: no PHI, not even a file name. The outcome is kept
 * after the file was ingested (ids or a refusal code) until the row expires, so that a client whose
 * final answer was lost can ask for it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `
    create table resumable_uploads (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      -- The owner: a user or a service account (principal id); nobody else sees the session.
      owner_id uuid not null,
      upload_length bigint not null check (upload_length > 0),
      upload_offset bigint not null default 0 check (upload_offset >= 0 and upload_offset <= upload_length),
      chunk_ids text[] not null default '{}',
      chunk_sizes bigint[] not null default '{}',
      patient_id uuid,
      content_type text not null,
      state text not null default 'receiving' check (state in ('receiving', 'finishing', 'done')),
      -- One PATCH (or the ingest) at a time: the holder's random id and when it took the lock.
      lock_id uuid,
      locked_at timestamptz,
      outcome jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null,
      expires_at timestamptz not null
    );
    create index resumable_uploads_expiry on resumable_uploads (tenant_id, expires_at);
  `);
  await enableTenantIsolation(db, 'resumable_uploads');
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
