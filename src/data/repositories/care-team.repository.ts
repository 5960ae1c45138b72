import type { Tx } from '../unit-of-work.ts';

export interface CareTeamMember {
  userId: string;
  email: string;
  displayName: string | null;
  roles: string[];
  endsAt: Date | null;
}

export interface BreakGlassGrant {
  patientId: string;
  expiresAt: Date;
}

/** Care teams (ROLE-3) and break-the-glass grants: what "assigned" means for Clinicians and Viewers. */
export const careTeamRepository = {
  /** Patients assigned to a user at `now` (care team not ended). */
  async assignedPatientIds(tx: Tx, userId: string, now: Date): Promise<string[]> {
    const rows = await tx.selectFrom('care_team').select('patient_id').where('user_id', '=', userId)
      .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)])).execute();
    return rows.map((r) => r.patient_id);
  },

  async activeGrants(tx: Tx, userId: string, now: Date): Promise<BreakGlassGrant[]> {
    const rows = await tx.selectFrom('break_glass_grants').select(['patient_id', 'expires_at'])
      .where('user_id', '=', userId).where('expires_at', '>', now).execute();
    return rows.map((r) => ({ patientId: r.patient_id, expiresAt: r.expires_at }));
  },

  /** The reason arrives sealed under the patient's key (it may name the patient). */
  async addGrant(tx: Tx, g: { id: string; tenantId: string; patientId: string; userId: string; reasonSealed: Buffer; expiresAt: Date }): Promise<void> {
    await tx.insertInto('break_glass_grants').values({ id: g.id, tenant_id: g.tenantId, patient_id: g.patientId, user_id: g.userId, reason_enc: g.reasonSealed, expires_at: g.expiresAt }).execute();
  },

  async members(tx: Tx, patientId: string, now: Date): Promise<CareTeamMember[]> {
    const rows = await tx.selectFrom('care_team').innerJoin('users', 'users.id', 'care_team.user_id')
      .select(['users.id', 'users.email', 'users.display_name', 'users.roles', 'care_team.ends_at'])
      .where('care_team.patient_id', '=', patientId)
      .where((eb) => eb.or([eb('care_team.ends_at', 'is', null), eb('care_team.ends_at', '>', now)]))
      .orderBy('users.email').execute();
    return rows.map((r) => ({ userId: r.id, email: r.email, displayName: r.display_name, roles: r.roles, endsAt: r.ends_at }));
  },

  async assign(tx: Tx, a: { tenantId: string; patientId: string; userId: string; endsAt: Date | null; createdBy: string }): Promise<void> {
    await tx.insertInto('care_team').values({ tenant_id: a.tenantId, patient_id: a.patientId, user_id: a.userId, ends_at: a.endsAt, created_by: a.createdBy })
      .onConflict((oc) => oc.columns(['tenant_id', 'patient_id', 'user_id']).doUpdateSet({ ends_at: a.endsAt, created_by: a.createdBy })).execute();
  },

  async remove(tx: Tx, patientId: string, userId: string): Promise<boolean> {
    const result = await tx.deleteFrom('care_team').where('patient_id', '=', patientId).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  },
};
