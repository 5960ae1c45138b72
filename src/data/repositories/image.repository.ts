import type { Insertable, Selectable } from 'kysely';
import type { AccessScope } from '../../domain/access-scope.ts';
import type { Tx } from '../unit-of-work.ts';
import type { InstancesTable, SeriesTable, StudiesTable } from '../schema.ts';

export type StudyRow = Selectable<StudiesTable>;
export type SeriesRow = Selectable<SeriesTable>;
export type InstanceRow = Selectable<InstancesTable>;

/** Which patients' images a scope reaches: the patient reach, narrowed for uploaders (see image-access). */
export interface ImageScope extends AccessScope {
  /** Technicians see only what they uploaded (ROLE-2): set to their id, else null. */
  uploadedBy: string | null;
}

function patientsIn(scope: AccessScope): 'all' | readonly string[] {
  const { full, minimal } = scope.reach;
  if (full === 'all' || minimal === 'all') return 'all';
  return [...new Set([...full, ...minimal])];
}

/**
 * Patient → study → series → instance (issue 6). Values arrive sealed; lookups go through blind
 * indexes. Every read takes the scope: images of patients out of reach do not exist for the caller.
 */
export const imageRepository = {
  async studyByUid(tx: Tx, tenantId: string, uidIndex: Buffer): Promise<StudyRow | undefined> {
    return tx.selectFrom('studies').selectAll().where('tenant_id', '=', tenantId).where('study_uid_index', '=', uidIndex).executeTakeFirst();
  },

  /** Inserts unless a concurrent upload created the same study first (the caller looks it up again). */
  async insertStudy(tx: Tx, row: Insertable<StudiesTable>): Promise<void> {
    await tx.insertInto('studies').values(row).onConflict((oc) => oc.columns(['tenant_id', 'study_uid_index']).doNothing()).execute();
  },

  async addModality(tx: Tx, tenantId: string, studyId: string, modality: string, at: Date): Promise<void> {
    const study = await tx.selectFrom('studies').select('modalities').where('tenant_id', '=', tenantId).where('id', '=', studyId).forUpdate().executeTakeFirst();
    if (!study || study.modalities.includes(modality)) return;
    await tx.updateTable('studies').set({ modalities: [...study.modalities, modality].sort(), updated_at: at }).where('tenant_id', '=', tenantId).where('id', '=', studyId).execute();
  },

  async seriesByUid(tx: Tx, tenantId: string, uidIndex: Buffer): Promise<SeriesRow | undefined> {
    return tx.selectFrom('series').selectAll().where('tenant_id', '=', tenantId).where('series_uid_index', '=', uidIndex).executeTakeFirst();
  },

  /** Inserts unless a concurrent upload created the same series first (the caller looks it up again). */
  async insertSeries(tx: Tx, row: Insertable<SeriesTable>): Promise<void> {
    await tx.insertInto('series').values(row).onConflict((oc) => oc.columns(['tenant_id', 'series_uid_index']).doNothing()).execute();
  },

  async instanceByUid(tx: Tx, tenantId: string, uidIndex: Buffer): Promise<InstanceRow | undefined> {
    return tx.selectFrom('instances').selectAll().where('tenant_id', '=', tenantId).where('sop_uid_index', '=', uidIndex).executeTakeFirst();
  },

  /** Inserts unless an instance with the same SOP Instance UID exists (a concurrent upload); true when inserted. */
  async insertInstance(tx: Tx, row: Insertable<InstancesTable>): Promise<boolean> {
    const result = await tx.insertInto('instances').values(row).onConflict((oc) => oc.columns(['tenant_id', 'sop_uid_index']).doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  /** Studies of the patients in reach (optionally one patient, or blind-index matches), newest first. */
  async studies(tx: Tx, scope: ImageScope, filter: { patientId?: string | undefined; studyUidIndex?: Buffer | undefined; accessionIndex?: Buffer | undefined; dateIndexes?: Buffer[] | undefined; modality?: string | undefined; seriesUidIndex?: Buffer | undefined; sopUidIndex?: Buffer | undefined; dicomOnly?: boolean | undefined; limit: number; offset: number }): Promise<StudyRow[]> {
    const patients = patientsIn(scope);
    if (patients !== 'all' && patients.length === 0) return [];
    if (filter.dateIndexes && filter.dateIndexes.length === 0) return [];
    let query = tx.selectFrom('studies').selectAll().where('tenant_id', '=', scope.tenantId);
    if (patients !== 'all') query = query.where('patient_id', 'in', patients);
    if (filter.patientId) query = query.where('patient_id', '=', filter.patientId);
    if (filter.studyUidIndex) query = query.where('study_uid_index', '=', filter.studyUidIndex);
    if (filter.accessionIndex) query = query.where('accession_index', '=', filter.accessionIndex);
    if (filter.dateIndexes) query = query.where('study_date_index', 'in', filter.dateIndexes);
    if (filter.modality) {
      const modality = filter.modality;
      query = query.where((eb) => eb(eb.val(modality), '=', eb.fn.any('modalities')));
    }
    // QIDO-RS (DICOMweb): studies holding a series or an instance, found by its UID's blind index.
    if (filter.seriesUidIndex) {
      const index = filter.seriesUidIndex;
      query = query.where('id', 'in', (eb) => eb.selectFrom('series').select('study_id').where('tenant_id', '=', scope.tenantId).where('series_uid_index', '=', index));
    }
    if (filter.sopUidIndex) {
      const index = filter.sopUidIndex;
      query = query.where('id', 'in', (eb) => eb.selectFrom('instances').select('study_id').where('tenant_id', '=', scope.tenantId).where('sop_uid_index', '=', index));
    }
    if (filter.dicomOnly) query = query.where('id', 'in', (eb) => eb.selectFrom('instances').select('study_id').where('tenant_id', '=', scope.tenantId).where('kind', '=', 'dicom'));
    if (scope.uploadedBy) {
      const uploader = scope.uploadedBy;
      query = query.where('id', 'in', (eb) => eb.selectFrom('instances').select('study_id').where('tenant_id', '=', scope.tenantId).where('uploaded_by', '=', uploader));
    }
    return query.orderBy('created_at', 'desc').orderBy('id').limit(filter.limit).offset(filter.offset).execute();
  },

  async study(tx: Tx, scope: ImageScope, studyId: string): Promise<StudyRow | undefined> {
    const [row] = await imageRepository.studiesByIds(tx, scope, [studyId]);
    return row;
  },

  async studiesByIds(tx: Tx, scope: ImageScope, ids: string[]): Promise<StudyRow[]> {
    if (ids.length === 0) return [];
    const patients = patientsIn(scope);
    let query = tx.selectFrom('studies').selectAll().where('tenant_id', '=', scope.tenantId).where('id', 'in', ids);
    if (patients !== 'all') query = patients.length === 0 ? query.where('id', 'is', null) : query.where('patient_id', 'in', patients);
    if (scope.uploadedBy) {
      const uploader = scope.uploadedBy;
      query = query.where('id', 'in', (eb) => eb.selectFrom('instances').select('study_id').where('tenant_id', '=', scope.tenantId).where('uploaded_by', '=', uploader));
    }
    return query.execute();
  },

  async seriesOfStudies(tx: Tx, tenantId: string, studyIds: string[]): Promise<SeriesRow[]> {
    if (studyIds.length === 0) return [];
    return tx.selectFrom('series').selectAll().where('tenant_id', '=', tenantId).where('study_id', 'in', studyIds).orderBy('series_number').orderBy('created_at').execute();
  },

  async instancesOfSeries(tx: Tx, scope: ImageScope, seriesIds: string[]): Promise<InstanceRow[]> {
    if (seriesIds.length === 0) return [];
    let query = tx.selectFrom('instances').selectAll().where('tenant_id', '=', scope.tenantId).where('series_id', 'in', seriesIds);
    if (scope.uploadedBy) query = query.where('uploaded_by', '=', scope.uploadedBy);
    return query.orderBy('instance_number').orderBy('created_at').orderBy('id').execute();
  },

  async instancesOfStudy(tx: Tx, scope: ImageScope, studyId: string): Promise<InstanceRow[]> {
    let query = tx.selectFrom('instances').selectAll().where('tenant_id', '=', scope.tenantId).where('study_id', '=', studyId);
    if (scope.uploadedBy) query = query.where('uploaded_by', '=', scope.uploadedBy);
    return query.orderBy('series_id').orderBy('instance_number').orderBy('id').execute();
  },

  /** One instance, if its patient is in reach (and, for uploaders, if they uploaded it). */
  async instance(tx: Tx, scope: ImageScope, id: string): Promise<InstanceRow | undefined> {
    const patients = patientsIn(scope);
    let query = tx.selectFrom('instances').selectAll().where('tenant_id', '=', scope.tenantId).where('id', '=', id);
    if (patients !== 'all') {
      if (patients.length === 0) return undefined;
      query = query.where('patient_id', 'in', patients);
    }
    if (scope.uploadedBy) query = query.where('uploaded_by', '=', scope.uploadedBy);
    return query.executeTakeFirst();
  },

  /**
   * One instance by the blind indexes of its SOP Instance UID, and of the study (and series) a WADO-RS
   * URL puts it in, if its patient is in reach: one query for what took four (instance, reach check,
   * study, series).
   */
  async instanceAt(tx: Tx, scope: ImageScope, at: { sopUidIndex: Buffer; studyUidIndex: Buffer; seriesUidIndex?: Buffer | undefined }): Promise<InstanceRow | undefined> {
    const patients = patientsIn(scope);
    if (patients !== 'all' && patients.length === 0) return undefined;
    let query = tx.selectFrom('instances').selectAll().where('tenant_id', '=', scope.tenantId).where('sop_uid_index', '=', at.sopUidIndex)
      .where('study_id', '=', (eb) => eb.selectFrom('studies').select('id').where('tenant_id', '=', scope.tenantId).where('study_uid_index', '=', at.studyUidIndex));
    if (at.seriesUidIndex) {
      const index = at.seriesUidIndex;
      query = query.where('series_id', '=', (eb) => eb.selectFrom('series').select('id').where('tenant_id', '=', scope.tenantId).where('series_uid_index', '=', index));
    }
    if (patients !== 'all') query = query.where('patient_id', 'in', patients);
    if (scope.uploadedBy) query = query.where('uploaded_by', '=', scope.uploadedBy);
    return query.executeTakeFirst();
  },

  async insertQuarantine(tx: Tx, row: { id: string; tenantId: string; uploadedBy: string | null; signature: string; size: number; source: 'upload' | 'stow' | 'dimse' }): Promise<void> {
    await tx.insertInto('quarantine').values({ id: row.id, tenant_id: row.tenantId, uploaded_by: row.uploadedBy, signature: row.signature, size: row.size, source: row.source }).execute();
  },

  async quarantine(tx: Tx, tenantId: string, limit: number): Promise<{ id: string; uploadedBy: string | null; signature: string; size: number; source: string; createdAt: Date }[]> {
    const rows = await tx.selectFrom('quarantine').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, uploadedBy: r.uploaded_by, signature: r.signature, size: Number(r.size), source: r.source, createdAt: r.created_at }));
  },

  /**
   * Which of these object ids the tenant's index knows (instances and quarantine), for the sweep of
   * orphaned objects. Run in the tenant's unit of work: row-level security hides other tenants.
   */
  async knownObjectIds(tx: Tx, tenantId: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const a = await tx.selectFrom('instances').select('id').where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
    const b = await tx.selectFrom('quarantine').select('id').where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
    return new Set([...a, ...b].map((r) => r.id));
  },
};
