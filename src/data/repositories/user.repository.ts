import { sql, type Selectable } from 'kysely';
import type { Tx } from '../unit-of-work.ts';
import type { UsersTable } from '../schema.ts';

export interface UserRecord {
  id: string;
  tenantId: string;
  email: string;
  displayName: string | null;
  roles: string[];
  status: UsersTable['status'];
  passwordHash: string | null;
  totpSecret: Buffer | null;
  totpPendingSecret: Buffer | null;
  totpEnabled: boolean;
  totpLastStep: number | null;
  createdAt: Date;
}

const columns = [
  'id', 'tenant_id', 'email', 'display_name', 'roles', 'status', 'password_hash', 'totp_secret',
  'totp_pending_secret', 'totp_enabled_at', 'totp_last_step', 'created_at',
] as const;

type Row = Pick<Selectable<UsersTable>, (typeof columns)[number]>;

function toRecord(row: Row): UserRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    displayName: row.display_name,
    roles: row.roles,
    status: row.status,
    passwordHash: row.password_hash,
    totpSecret: row.totp_secret,
    totpPendingSecret: row.totp_pending_secret,
    totpEnabled: row.totp_enabled_at !== null,
    totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
    createdAt: row.created_at,
  };
}

/** Users of one tenant (row-level security applies); the e-mail directory is the one global part. */
export const userRepository = {
  /** Pre-authentication lookup of which tenant an e-mail belongs to (global directory, no PHI). */
  async findDirectoryEntry(tx: Tx, email: string): Promise<{ tenantId: string; userId: string } | undefined> {
    const row = await tx.selectFrom('user_directory').select(['tenant_id', 'user_id']).where('email', '=', email).executeTakeFirst();
    return row && { tenantId: row.tenant_id, userId: row.user_id };
  },

  /** Inserts the user and its directory entry; returns false when the e-mail is taken anywhere. */
  async create(tx: Tx, user: { id: string; tenantId: string; email: string; displayName: string | null; roles: string[] }): Promise<boolean> {
    const inserted = await tx.insertInto('user_directory')
      .values({ email: user.email, tenant_id: user.tenantId, user_id: user.id })
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    await tx.insertInto('users').values({
      id: user.id, tenant_id: user.tenantId, email: user.email, display_name: user.displayName,
      roles: user.roles, status: 'invited',
    }).execute();
    return true;
  },

  async findById(tx: Tx, id: string): Promise<UserRecord | undefined> {
    const row = await tx.selectFrom('users').select(columns).where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  },

  async list(tx: Tx): Promise<UserRecord[]> {
    const rows = await tx.selectFrom('users').select(columns).orderBy('email').execute();
    return rows.map(toRecord);
  },

  async countActiveAdministrators(tx: Tx): Promise<number> {
    const row = await tx.selectFrom('users').select(sql<number>`count(*)::int`.as('n'))
      .where('status', '=', 'active').where(sql<boolean>`'Administrator' = any(roles)`).executeTakeFirst();
    return row?.n ?? 0;
  },

  async setPassword(tx: Tx, id: string, passwordHash: string, at: Date): Promise<void> {
    await tx.updateTable('users').set({ password_hash: passwordHash, password_changed_at: at }).where('id', '=', id).execute();
  },

  async setStatus(tx: Tx, id: string, status: UsersTable['status']): Promise<void> {
    await tx.updateTable('users').set({ status }).where('id', '=', id).execute();
  },

  async setRoles(tx: Tx, id: string, roles: string[]): Promise<void> {
    await tx.updateTable('users').set({ roles }).where('id', '=', id).execute();
  },

  async setPendingTotp(tx: Tx, id: string, sealed: Buffer): Promise<void> {
    await tx.updateTable('users').set({ totp_pending_secret: sealed }).where('id', '=', id).execute();
  },

  async enableTotp(tx: Tx, id: string, sealed: Buffer, step: number, at: Date): Promise<void> {
    await tx.updateTable('users')
      .set({ totp_secret: sealed, totp_pending_secret: null, totp_enabled_at: at, totp_last_step: step, status: 'active' })
      .where('id', '=', id).execute();
  },

  /**
   * Records a used TOTP step only if it is newer than the last one: the conditional update makes
   * "each code usable once" hold even for two requests racing with the same code.
   */
  async consumeTotpStep(tx: Tx, id: string, step: number): Promise<boolean> {
    const result = await tx.updateTable('users').set({ totp_last_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', String(step))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },
};
