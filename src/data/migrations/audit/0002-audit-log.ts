import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { runScript } from '../run-script.ts';

/**
 * AUD-2: the audit log. Entries are the leaves of an RFC 9162 Merkle tree; `audit_nodes` keeps the
 * hash of every complete aligned subtree (level ≥ 1) so that proofs need O(log n) reads;
 * `audit_checkpoints` are signed tree heads. Review pages newest first by sequence (keyset paging), so
 * each index ends in `seq desc` and a page costs the same at any depth. A trigger refuses UPDATE,
 * DELETE and TRUNCATE for everyone, the table owner included; the application role may only INSERT
 * and SELECT.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `
    create table audit_entries (
      seq bigint primary key check (seq >= 0),
      at timestamptz not null,
      tenant_id uuid,
      actor_kind text not null check (actor_kind in ('user','service','system','anonymous')),
      actor_id uuid,
      action text not null,
      resource_type text,
      resource_id text,
      patient_id uuid,
      outcome text not null check (outcome in ('success','denied','failure','error')),
      source_address text,
      request_id text,
      details jsonb not null default '{}',
      leaf_hash bytea not null check (length(leaf_hash) = 32)
    );
    create index audit_entries_tenant on audit_entries (tenant_id, seq desc);
    create index audit_entries_patient on audit_entries (tenant_id, patient_id, seq desc) where patient_id is not null;
    create index audit_entries_actor on audit_entries (tenant_id, actor_id, seq desc);
    create index audit_entries_action on audit_entries (tenant_id, action, seq desc);
    create table audit_nodes (
      level smallint not null check (level >= 1),
      index bigint not null check (index >= 0),
      hash bytea not null check (length(hash) = 32),
      primary key (level, index)
    );
    create table audit_checkpoints (
      tree_size bigint primary key check (tree_size >= 1),
      root_hash bytea not null check (length(root_hash) = 32),
      at timestamptz not null,
      key_id text not null,
      signature bytea not null
    );
    create table audit_verifications (
      id bigserial primary key,
      at timestamptz not null,
      tree_size bigint not null,
      ok boolean not null,
      problem text
    );
  `);
  await sql`
    create function audit_refuse_change() returns trigger language plpgsql as
    'begin raise exception ''the audit log is append-only (%)'', tg_op using errcode = ''insufficient_privilege''; end'
  `.execute(db);
  for (const table of ['audit_entries', 'audit_nodes', 'audit_checkpoints', 'audit_verifications']) {
    await sql`create trigger append_only before update or delete on ${sql.table(table)} for each row execute function audit_refuse_change()`.execute(db);
    await sql`create trigger append_only_truncate before truncate on ${sql.table(table)} for each statement execute function audit_refuse_change()`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
