import type { Kysely } from 'kysely';
import { runScript } from '../run-script.ts';
import { enableTenantIsolation } from '../tenant-isolation.ts';

/**
 * DIMSE peers (issue 6, DCM-2): the calling AE titles allowed to open associations, each belonging
 * to one tenant and acting through a service account of that tenant (its role and patient
 * restriction apply to every C-STORE and C-FIND).
 *
 * `dimse_peer_directory` is global and holds no PHI (an AE title and a tenant id), like
 * `user_directory`: an association names only its calling AE title, so the tenant must be found
 * before any tenant context exists. AE titles are unique across the installation (PS3.8 §7.1.1.4:
 * an AE title names one application entity on the network). `dimse_peers` is a tenant table under
 * row-level security.
 */
export const tenantTables = ['dimse_peers'];

// PS3.5 §6.2 (AE): at most 16 characters of the default repertoire without backslash and control
// characters; leading and trailing spaces are not significant, so titles are stored trimmed.
const aeCheck = "ae_title ~ '^[\\x20-\\x5b\\x5d-\\x7e]{1,16}$' and ae_title = btrim(ae_title)";

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `
    create table dimse_peer_directory (
      ae_title text primary key check (${aeCheck}),
      tenant_id uuid not null references tenants(id)
    );
    create table dimse_peers (
      id uuid primary key,
      tenant_id uuid not null references tenants(id),
      ae_title text not null unique references dimse_peer_directory(ae_title),
      service_account_id uuid not null references service_accounts(id),
      hosts text[],
      created_by uuid,
      created_at timestamptz not null default now()
    );
  `);
  for (const table of tenantTables) await enableTenantIsolation(db, table);
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
