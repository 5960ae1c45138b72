import type { Tx } from '../unit-of-work.ts';

/** A DIMSE peer with the service account it acts through (no PHI: AE titles, ids, addresses). */
export interface DimsePeerRecord {
  id: string;
  tenantId: string;
  aeTitle: string;
  serviceAccountId: string;
  role: string;
  patientIds: string[] | null;
  /** Source addresses or CIDR blocks the peer may connect from; null allows any. */
  hosts: string[] | null;
  createdAt: Date;
}

/**
 * DIMSE peers (issue 6, DCM-2). The directory is global (an association names only its calling AE
 * title); the peer rows are tenant rows under row-level security.
 */
export const dimsePeerRepository = {
  /** The tenant of a calling AE title; runs without a tenant context (the directory has no RLS). */
  async tenantOf(tx: Tx, aeTitle: string): Promise<string | undefined> {
    const row = await tx.selectFrom('dimse_peer_directory').select('tenant_id').where('ae_title', '=', aeTitle).executeTakeFirst();
    return row?.tenant_id;
  },

  /** Registers the AE title and its peer; false when the title is taken (in any tenant). */
  async create(tx: Tx, peer: { id: string; tenantId: string; aeTitle: string; serviceAccountId: string; hosts: string[] | null; createdBy: string | null }): Promise<boolean> {
    const listed = await tx.insertInto('dimse_peer_directory').values({ ae_title: peer.aeTitle, tenant_id: peer.tenantId })
      .onConflict((oc) => oc.column('ae_title').doNothing()).executeTakeFirst();
    if (Number(listed.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
    await tx.insertInto('dimse_peers').values({
      id: peer.id, tenant_id: peer.tenantId, ae_title: peer.aeTitle, service_account_id: peer.serviceAccountId, hosts: peer.hosts, created_by: peer.createdBy,
    }).execute();
    return true;
  },

  async byAeTitle(tx: Tx, tenantId: string, aeTitle: string): Promise<DimsePeerRecord | undefined> {
    const row = await tx.selectFrom('dimse_peers').innerJoin('service_accounts', 'service_accounts.id', 'dimse_peers.service_account_id')
      .select(['dimse_peers.id', 'dimse_peers.tenant_id', 'dimse_peers.ae_title', 'dimse_peers.service_account_id', 'dimse_peers.hosts', 'dimse_peers.created_at', 'service_accounts.role', 'service_accounts.patient_ids'])
      .where('dimse_peers.tenant_id', '=', tenantId).where('dimse_peers.ae_title', '=', aeTitle).executeTakeFirst();
    return row && toRecord(row);
  },

  async list(tx: Tx, tenantId: string): Promise<DimsePeerRecord[]> {
    const rows = await tx.selectFrom('dimse_peers').innerJoin('service_accounts', 'service_accounts.id', 'dimse_peers.service_account_id')
      .select(['dimse_peers.id', 'dimse_peers.tenant_id', 'dimse_peers.ae_title', 'dimse_peers.service_account_id', 'dimse_peers.hosts', 'dimse_peers.created_at', 'service_accounts.role', 'service_accounts.patient_ids'])
      .where('dimse_peers.tenant_id', '=', tenantId).orderBy('dimse_peers.ae_title').execute();
    return rows.map(toRecord);
  },

  /**
   * Removes the peer, its directory entry and its service account (which never has API keys). The
   * account's id stays in the audit log and as the uploader of what the peer sent.
   */
  async remove(tx: Tx, tenantId: string, aeTitle: string): Promise<DimsePeerRecord | undefined> {
    const peer = await this.byAeTitle(tx, tenantId, aeTitle);
    if (!peer) return undefined;
    await tx.deleteFrom('dimse_peers').where('tenant_id', '=', tenantId).where('id', '=', peer.id).execute();
    await tx.deleteFrom('dimse_peer_directory').where('tenant_id', '=', tenantId).where('ae_title', '=', aeTitle).execute();
    const keys = await tx.selectFrom('api_keys').select('id').where('service_account_id', '=', peer.serviceAccountId).executeTakeFirst();
    if (!keys) await tx.deleteFrom('service_accounts').where('tenant_id', '=', tenantId).where('id', '=', peer.serviceAccountId).execute();
    return peer;
  },
};

function toRecord(row: { id: string; tenant_id: string; ae_title: string; service_account_id: string; hosts: string[] | null; created_at: Date; role: string; patient_ids: string[] | null }): DimsePeerRecord {
  return {
    id: row.id, tenantId: row.tenant_id, aeTitle: row.ae_title, serviceAccountId: row.service_account_id,
    role: row.role, patientIds: row.patient_ids, hosts: row.hosts, createdAt: row.created_at,
  };
}
