import type { ConsentDecision, ConsentPurpose } from '../../domain/consent.ts';
import type { Tx } from '../unit-of-work.ts';

export interface ConsentRow {
  patientId: string;
  purpose: ConsentPurpose;
  status: ConsentDecision;
  recordedBy: string | null;
  recordedAt: Date;
}

/** Consent decisions (PRIV-1): append-only; the latest per patient and purpose is the current one. */
export const consentRepository = {
  async record(tx: Tx, row: ConsentRow & { id: string; tenantId: string }): Promise<void> {
    await tx.insertInto('patient_consents').values({
      id: row.id, tenant_id: row.tenantId, patient_id: row.patientId, purpose: row.purpose, status: row.status,
      recorded_by: row.recordedBy, recorded_at: row.recordedAt,
    }).execute();
  },

  /** The current decision of each purpose for each of these patients (none: no row). */
  async current(tx: Tx, tenantId: string, patientIds: readonly string[]): Promise<ConsentRow[]> {
    if (patientIds.length === 0) return [];
    const rows = await tx.selectFrom('patient_consents')
      .select(['patient_id', 'purpose', 'status', 'recorded_by', 'recorded_at'])
      .distinctOn(['patient_id', 'purpose'])
      .where('tenant_id', '=', tenantId).where('patient_id', 'in', [...patientIds])
      .orderBy('patient_id').orderBy('purpose').orderBy('recorded_at', 'desc').orderBy('id', 'desc')
      .execute();
    return rows.map((r) => ({ patientId: r.patient_id, purpose: r.purpose, status: r.status, recordedBy: r.recorded_by, recordedAt: r.recorded_at }));
  },
};
