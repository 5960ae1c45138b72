import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  created_at: CreatedAt;
  mrn_pattern: Generated<string>;
  clinicians_manage_care_team: Generated<boolean>;
  break_glass_minutes: Generated<number>;
}

/** Patient demographics as ciphertext (KEY-1); the `_index` columns are keyed blind indexes. */
export interface PatientsTable {
  id: string;
  tenant_id: string;
  data_key_version: Generated<number>;
  mrn_enc: Buffer | null;
  given_name_enc: Buffer | null;
  family_name_enc: Buffer | null;
  birth_date_enc: Buffer | null;
  sex_enc: Buffer | null;
  email_enc: Buffer | null;
  phone_enc: Buffer | null;
  address_enc: Buffer | null;
  mrn_index: Buffer | null;
  email_index: Buffer | null;
  phone_index: Buffer | null;
  erased_at: Date | null;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: Date;
}

/** Tenant keys wrapped by a root key (KEY-2); retired versions keep their row without key material. */
export interface TenantKeysTable {
  tenant_id: string;
  purpose: 'kek' | 'blind-index' | 'pseudonym' | 'quarantine' | 'export';
  version: number;
  root_key_id: string;
  wrapped_key: Buffer | null;
  state: 'active' | 'retiring' | 'retired';
  created_at: CreatedAt;
  retired_at: Date | null;
}

/** Per-patient data keys wrapped by a tenant key-encryption key; destroyed by crypto-shredding. */
export interface PatientKeysTable {
  tenant_id: string;
  patient_id: string;
  version: number;
  kek_version: number;
  wrapped_key: Buffer | null;
  created_at: CreatedAt;
  destroyed_at: Date | null;
}

/** Truncated keyed tokens of name prefixes (docs/encryption.md). */
export interface PatientNameIndexTable {
  tenant_id: string;
  patient_id: string;
  token: Buffer;
}

export interface CareTeamTable {
  tenant_id: string;
  patient_id: string;
  user_id: string;
  ends_at: Date | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface BreakGlassGrantsTable {
  id: Generated<string>;
  tenant_id: string;
  patient_id: string;
  user_id: string;
  reason_enc: Buffer;
  created_at: CreatedAt;
  expires_at: Date;
}

export interface ServiceAccountsTable {
  id: string;
  tenant_id: string;
  name: string;
  role: string;
  patient_ids: string[] | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  service_account_id: string;
  key_hash: string;
  created_at: CreatedAt;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** Images (issue 6): identifying values sealed under the patient's data key; `_index` are blind indexes. */
export interface StudiesTable {
  id: string;
  tenant_id: string;
  patient_id: string;
  study_uid_index: Buffer;
  study_uid_enc: Buffer;
  accession_index: Buffer | null;
  accession_enc: Buffer | null;
  study_date_index: Buffer | null;
  study_date_enc: Buffer | null;
  study_time_enc: Buffer | null;
  description_enc: Buffer | null;
  referring_physician_enc: Buffer | null;
  modalities: string[];
  created_at: CreatedAt;
  updated_at: Date;
}

export interface SeriesTable {
  id: string;
  tenant_id: string;
  study_id: string;
  series_uid_index: Buffer;
  series_uid_enc: Buffer;
  modality: string | null;
  series_number: number | null;
  description_enc: Buffer | null;
  created_at: CreatedAt;
}

export interface InstancesTable {
  id: string;
  tenant_id: string;
  patient_id: string;
  study_id: string;
  series_id: string;
  sop_uid_index: Buffer;
  sop_uid_enc: Buffer;
  sop_class_uid: string | null;
  transfer_syntax_uid: string | null;
  kind: 'dicom' | 'nifti' | 'png' | 'jpeg';
  instance_number: number | null;
  rows: number | null;
  columns: number | null;
  frames: number | null;
  bits_allocated: number | null;
  burned_in_annotation: string | null;
  content_index: Buffer;
  size: ColumnType<string, number, number>;
  stored_size: ColumnType<string, number, number>;
  uploaded_by: string | null;
  created_at: CreatedAt;
}

/** Objects being written (ING-7): global, ids only, so that the start-up sweep sees every tenant's. */
export interface PendingObjectsTable {
  id: string;
  tenant_id: string;
  created_at: CreatedAt;
}

/**
 * Resumable (tus) upload sessions (0008): ids, sizes and the encrypted chunk objects in order; the
 * outcome (ids or a refusal code, never PHI) once the file went through the ingest pipeline.
 */
export interface ResumableUploadsTable {
  id: string;
  tenant_id: string;
  owner_id: string;
  upload_length: ColumnType<string, number, number>;
  upload_offset: ColumnType<string, number | undefined, number>;
  chunk_ids: ColumnType<string[], string[] | undefined, string[]>;
  chunk_sizes: ColumnType<string[], number[] | undefined, number[]>;
  patient_id: string | null;
  content_type: string;
  state: ColumnType<'receiving' | 'finishing' | 'done', 'receiving' | undefined, 'receiving' | 'finishing' | 'done'>;
  lock_id: string | null;
  locked_at: Date | null;
  outcome: ColumnType<Record<string, string> | null, string | null, string | null>;
  created_at: CreatedAt;
  updated_at: Date;
  expires_at: Date;
}

export interface QuarantineTable {
  id: string;
  tenant_id: string;
  uploaded_by: string | null;
  signature: string;
  size: ColumnType<string, number, number>;
  source: 'upload' | 'stow' | 'dimse';
  created_at: CreatedAt;
}

/** Unmatched DICOM waiting for a patient (0007): identifying values only as ciphertext under the tenant's quarantine key. */
export interface ReconciliationItemsTable {
  id: string;
  tenant_id: string;
  key_version: number;
  sop_uid_index: Buffer;
  sop_uid_enc: Buffer;
  study_uid_enc: Buffer;
  dicom_patient_id_enc: Buffer | null;
  patient_name_enc: Buffer | null;
  study_date_enc: Buffer | null;
  study_description_enc: Buffer | null;
  modality: string | null;
  content_index: Buffer;
  size: ColumnType<string, number, number>;
  channel: 'upload' | 'stow' | 'dimse';
  uploaded_by: string | null;
  created_at: CreatedAt;
}

/** Global e-mail directory (no RLS): sign-in must find the tenant before any tenant is set. */
/** DIMSE peers (0005): the global AE-title directory, and the tenant's peers under RLS. */
export interface DimsePeerDirectoryTable {
  ae_title: string;
  tenant_id: string;
}

export interface DimsePeersTable {
  id: string;
  tenant_id: string;
  ae_title: string;
  service_account_id: string;
  hosts: string[] | null;
  created_by: string | null;
  created_at: CreatedAt;
}

/** De-identification workflow (0006): consent, pixel reviews, settings, research exports. */
export interface PatientConsentsTable {
  id: string;
  tenant_id: string;
  patient_id: string;
  purpose: 'research' | 'clinical-ai';
  status: 'granted' | 'refused' | 'withdrawn';
  recorded_by: string | null;
  recorded_at: Date;
}

export interface PixelReviewsTable {
  instance_id: string;
  tenant_id: string;
  decision: 'confirmed-clean' | 'masked';
  regions: ColumnType<unknown, string | null, string | null>;
  reviewed_by: string;
  reviewed_at: Date;
}

export interface DeidSettingsTable {
  tenant_id: string;
  pixel_policy: ColumnType<unknown, string, string>;
  text_allow_list: string[];
  safe_private: string[];
  updated_by: string | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type ResearchExportState = 'queued' | 'running' | 'ready' | 'downloaded' | 'failed' | 'expired';

export interface ResearchExportsTable {
  id: string;
  tenant_id: string;
  requested_by: string;
  state: ResearchExportState;
  purpose: string;
  options: string[];
  study_ids: string[];
  total: Generated<number>;
  done: Generated<number>;
  withheld: Generated<number>;
  size: ColumnType<string | null, number | null, number | null>;
  archive_id: string | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  heartbeat_at: Date | null;
  finished_at: Date | null;
  expires_at: Date;
}

export interface UserDirectoryTable {
  email: string;
  tenant_id: string;
  user_id: string;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  email: string;
  display_name: string | null;
  roles: string[];
  status: 'invited' | 'active' | 'disabled';
  password_hash: string | null;
  totp_secret: Buffer | null;
  totp_pending_secret: Buffer | null;
  totp_enabled_at: Date | null;
  totp_last_step: ColumnType<string, number, number> | null;
  created_at: CreatedAt;
  password_changed_at: Date | null;
}

export interface InvitationsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export type SessionStage = 'enrol-totp' | 'mfa' | 'full';

export interface SessionsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  stage: SessionStage;
  created_at: CreatedAt;
  last_seen_at: Date;
  absolute_expires_at: Date;
  stage_expires_at: Date | null;
  step_up_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  webauthn_challenge: string | null;
  webauthn_challenge_expires_at: Date | null;
  source_address: string | null;
}

export interface RefreshTokensTable {
  id: Generated<string>;
  tenant_id: string;
  session_id: string;
  token_hash: string;
  created_at: CreatedAt;
  used_at: Date | null;
}

export interface RecoveryCodesTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  code_hash: string;
  used_at: Date | null;
}

export interface WebauthnCredentialsTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  counter: ColumnType<string, number, number>;
  transports: string[];
  name: string;
  created_at: CreatedAt;
}

/** Pre-authentication throttling (no tenant is known yet): keyed hashes of e-mail and address only. */
export interface LoginFailuresTable {
  id: Generated<string>;
  subject: string;
  at: Date;
}

export interface LockoutsTable {
  subject: string;
  locked_until: Date;
}

export interface SecurityEventsTable {
  id: Generated<string>;
  tenant_id: string | null;
  at: Date;
  severity: 'Critical' | 'High' | 'Medium' | 'Low';
  kind: string;
  actor_id: string | null;
  subject_id: string | null;
  source_address: string | null;
  request_id: string | null;
  details: ColumnType<Record<string, unknown>, string, string>;
}

export interface Database {
  tenants: TenantsTable;
  user_directory: UserDirectoryTable;
  dimse_peer_directory: DimsePeerDirectoryTable;
  dimse_peers: DimsePeersTable;
  users: UsersTable;
  invitations: InvitationsTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  recovery_codes: RecoveryCodesTable;
  webauthn_credentials: WebauthnCredentialsTable;
  login_failures: LoginFailuresTable;
  lockouts: LockoutsTable;
  security_events: SecurityEventsTable;
  patients: PatientsTable;
  tenant_keys: TenantKeysTable;
  patient_keys: PatientKeysTable;
  patient_name_index: PatientNameIndexTable;
  studies: StudiesTable;
  series: SeriesTable;
  instances: InstancesTable;
  quarantine: QuarantineTable;
  reconciliation_items: ReconciliationItemsTable;
  pending_objects: PendingObjectsTable;
  resumable_uploads: ResumableUploadsTable;
  care_team: CareTeamTable;
  break_glass_grants: BreakGlassGrantsTable;
  service_accounts: ServiceAccountsTable;
  api_keys: ApiKeysTable;
  patient_consents: PatientConsentsTable;
  pixel_reviews: PixelReviewsTable;
  deid_settings: DeidSettingsTable;
  research_exports: ResearchExportsTable;
}

/** The audit database (its content grows with the audit capability). */
export interface AuditEntriesTable {
  seq: ColumnType<string, number, never>;
  at: Date;
  tenant_id: string | null;
  actor_kind: 'user' | 'service' | 'system' | 'anonymous';
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  patient_id: string | null;
  outcome: 'success' | 'denied' | 'failure' | 'error';
  source_address: string | null;
  request_id: string | null;
  details: ColumnType<Record<string, string | number | boolean>, string, never>;
  leaf_hash: Buffer;
}

export interface AuditDatabase {
  audit_schema_info: { key: string; value: string };
  audit_entries: AuditEntriesTable;
  audit_nodes: { level: number; index: ColumnType<string, number, never>; hash: Buffer };
  audit_checkpoints: { tree_size: ColumnType<string, number, never>; root_hash: Buffer; at: Date; key_id: string; signature: Buffer };
  audit_verifications: { id: Generated<string>; at: Date; tree_size: ColumnType<string, number, never>; ok: boolean; problem: string | null };
}
