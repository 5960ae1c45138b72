import type { Config } from './config/load-config.ts';
import { AccessTokenSigner } from './crypto/access-tokens.ts';
import { TokenHasher } from './crypto/opaque-tokens.ts';
import { SecretBox } from './crypto/secret-box.ts';
import { deriveSubkey } from './crypto/subkeys.ts';
import { openDatabases, type Databases } from './data/open-databases.ts';
import { checkDatabases } from './data/health.ts';
import { AccountService } from './services/account.service.ts';
import type { ServiceContext } from './services/context.ts';
import { PasskeyService } from './services/passkey.service.ts';
import { SecondFactorService } from './services/second-factor.service.ts';
import { SecurityEventService } from './services/security-event.service.ts';
import { SessionService } from './services/session.service.ts';
import { SignInThrottle } from './services/sign-in-throttle.ts';
import { SignInService } from './services/sign-in.service.ts';
import { TenantService } from './services/tenant.service.ts';
import { UserAdminService } from './services/user-admin.service.ts';
import { PatientScopeService } from './services/patient-scope.service.ts';
import { PatientService } from './services/patient.service.ts';
import { CareTeamService } from './services/care-team.service.ts';
import { ServiceAccountService } from './services/service-account.service.ts';
import { TenantSettingsService } from './services/tenant-settings.service.ts';
import { AuditSigner } from './crypto/audit-signer.ts';
import { AuditLog } from './audit/audit-log.ts';
import { AuditRecorder } from './services/audit-recorder.ts';
import { AuditService } from './services/audit.service.ts';
import { ProbingDetector } from './services/probing-detector.ts';
import { openRootKeyProvider } from './crypto/keys/open-root-key-provider.ts';
import { Keyring } from './crypto/keys/keyring.ts';
import { PatientProtection } from './services/patient-protection.ts';
import { KeyService } from './services/key.service.ts';
import { PatientErasureService } from './services/patient-erasure.service.ts';
import { BackupService } from './services/backup.service.ts';
import { PatientObjects } from './services/patient-objects.ts';
import { FileBlobStore } from './storage/file-blob-store.ts';
import { EncryptedBlobStore } from './storage/encrypted-blob-store.ts';
import { createScanner } from './ingest/clamd-client.ts';
import { IngestService } from './services/images/ingest.service.ts';
import { ImageQueryService } from './services/images/image-query.service.ts';
import { ImageViewService } from './services/images/image-view.service.ts';
import { MemoryBudget } from './services/images/memory-budget.ts';
import { DimsePeerService } from './services/dimse-peer.service.ts';
import { ObjectJanitor } from './services/images/object-janitor.ts';
import { ConsentService } from './services/consent.service.ts';
import { DeidService } from './services/deid/deid-keys.service.ts';
import { DeidSettingsService } from './services/deid/deid-settings.service.ts';
import { DeidentifiedCopies } from './services/deid/deidentified-copies.ts';
import { DeidentifiedInputService } from './services/deid/deidentified-inputs.service.ts';
import { PixelReviewService } from './services/deid/pixel-review.service.ts';
import { ResearchExportService } from './services/research-export/research-export.service.ts';
import { ReconciliationParking } from './services/images/reconciliation-parking.ts';
import { ReconciliationService } from './services/images/reconciliation.service.ts';
import { ResumableUploadService } from './services/images/resumable-upload.service.ts';

/** Everything the HTTP layer and the CLI use; built once, passed down (no hidden singletons). */
export interface Services {
  sessions: SessionService;
  signIn: SignInService;
  secondFactor: SecondFactorService;
  passkeys: PasskeyService;
  account: AccountService;
  users: UserAdminService;
  tenants: TenantService;
  securityEvents: SecurityEventService;
  patients: PatientService;
  careTeams: CareTeamService;
  serviceAccounts: ServiceAccountService;
  tenantSettings: TenantSettingsService;
  audit: AuditService;
  auditRecorder: AuditRecorder;
  keys: KeyService;
  erasure: PatientErasureService;
  backup: BackupService;
  protection: PatientProtection;
  objects: PatientObjects;
  ingest: IngestService;
  images: ImageQueryService;
  viewer: ImageViewService;
  dimsePeers: DimsePeerService;
  janitor: ObjectJanitor;
  reconciliation: ReconciliationService;
  uploads: ResumableUploadService;
  probing: ProbingDetector;
  consents: ConsentService;
  deidSettings: DeidSettingsService;
  pixelReviews: PixelReviewService;
  deidentifiedInputs: DeidentifiedInputService;
  researchExports: ResearchExportService;
  readiness(): Promise<{ database: boolean; auditDatabase: boolean }>;
}

export interface Composition {
  config: Config;
  services: Services;
  databases: Databases;
  auditLog: AuditLog;
  close(): Promise<void>;
}

export interface ComposeOptions {
  clock?: () => Date;
  log?: (message: string) => void;
  securityLog?: (event: object) => void;
}

/** The one place that creates repositories and services and wires them (DESIGN.md layout). */
export async function compose(config: Config, options: ComposeOptions = {}): Promise<Composition> {
  const clock = options.clock ?? (() => new Date());
  // KEY-2: the root key first; without it nothing can be read, so there is no point opening databases.
  const rootKeys = await openRootKeyProvider(config.keys.provider);
  let databases: Databases;
  try {
    databases = await openDatabases(config, options.log ?? (() => undefined));
  } catch (error) {
    await rootKeys.close();
    throw error;
  }
  // ROLE-1: row-level security is the second wall only for a role it applies to.
  const unsafeRole = ([['DATABASE_URL', databases.role], ['DATABASE_READ_URL', databases.readRole]] as const).find(([, facts]) => facts.superuser || facts.bypassRls || (config.database.mode === 'external' && facts.ownedTables > 0));
  if (unsafeRole) {
    const message = `the database role of ${unsafeRole[0]} is a superuser, bypasses row-level security or owns the tables; use an ordinary role and DATABASE_MIGRATION_URL for the owner`;
    if (config.env === 'production') {
      await databases.close();
      await rootKeys.close();
      throw new Error(message);
    }
    options.log?.(`warning: ${message}`);
  }
  const auditSigner = new AuditSigner(config.secrets.auditKey);
  const auditLog = new AuditLog(databases.audit, clock, auditSigner, config.audit.checkpointMs);
  const audit = new AuditRecorder(auditLog, (action) => options.securityLog?.({ auditUnavailable: action }));
  const securityEvents = new SecurityEventService(databases.unitOfWork, clock, options.securityLog ?? (() => undefined), audit);
  const ctx: ServiceContext = {
    uow: databases.unitOfWork,
    clock,
    settings: { publicUrl: config.publicUrl, ...config.auth },
    signer: new AccessTokenSigner(config.secrets.jwtKey, config.auth.accessTokenTtl),
    tokens: new TokenHasher(deriveSubkey(config.secrets.secretKey, 'token-hash')),
    throttleKeys: new TokenHasher(deriveSubkey(config.secrets.secretKey, 'login-throttle')),
    secretBox: new SecretBox(deriveSubkey(config.secrets.secretKey, 'totp-secret-box')),
    securityEvents,
    audit,
  };
  const sessions = new SessionService(ctx);
  const throttle = new SignInThrottle(ctx);
  const users = new UserAdminService(ctx);
  const scopes = new PatientScopeService(ctx);
  const keyring = new Keyring(rootKeys, () => clock().getTime());
  const protection = new PatientProtection(keyring, clock);
  const blobs = await FileBlobStore.open(config.objectsDir);
  // Temporary files of writes cut short by a crash (older than a write could take) are swept at start.
  await blobs.sweepTemporary();
  const objects = new PatientObjects(databases.unitOfWork, protection, new EncryptedBlobStore(blobs));
  const images = new ImageQueryService(ctx, scopes, protection, objects);
  // Issue 7: consent, de-identification settings and keys, pixel review, AI inputs, research exports.
  const consents = new ConsentService(ctx, scopes);
  const deidSettings = new DeidSettingsService(ctx);
  const deidKeys = new DeidService(databases.unitOfWork, protection);
  const copies = new DeidentifiedCopies(objects);
  // Unmatched DICOM waits, sealed under the tenant's quarantine key, for a patient (issue 6 item 1).
  const parking = new ReconciliationParking(ctx, protection, new EncryptedBlobStore(blobs));
  const services: Services = {
    sessions,
    signIn: new SignInService(ctx, sessions, throttle),
    secondFactor: new SecondFactorService(ctx, sessions, throttle),
    passkeys: new PasskeyService(ctx, sessions),
    account: new AccountService(ctx, throttle),
    users,
    tenants: new TenantService(ctx, users),
    securityEvents,
    patients: new PatientService(ctx, scopes, protection),
    careTeams: new CareTeamService(ctx, scopes),
    serviceAccounts: new ServiceAccountService(ctx, throttle),
    tenantSettings: new TenantSettingsService(ctx),
    audit: new AuditService(ctx, databases.audit, auditLog, auditSigner),
    auditRecorder: audit,
    keys: new KeyService(databases.unitOfWork, keyring, protection, audit, securityEvents, clock, config.keys.rotationDays, config.keys.rewrapBatch),
    erasure: new PatientErasureService(ctx, scopes, protection),
    backup: new BackupService({ ctx, databases, keyring, protection, auditLog, auditSigner, blobs }),
    protection,
    objects,
    ingest: new IngestService(ctx, scopes, protection, objects, new EncryptedBlobStore(blobs), config.ingest.clamdUrl ? createScanner(config.ingest.clamdUrl) : null, {
      maxBytes: config.ingest.maxBytes, allowUnscanned: config.ingest.allowUnscanned, maxImagePixels: 100_000_000, memoryBudget: config.ingest.memoryBudget,
      // A .nii.gz is inflated to check its header against its size: at most 512 MiB, 300:1 (bombs).
      maxInflatedBytes: 512 * 1024 * 1024, maxInflateRatio: 300,
    }, parking),
    images,
    // Decodes for the viewer and DICOMweb rendering share a budget of the same size as the ingest's.
    viewer: new ImageViewService(images, new MemoryBudget(config.ingest.memoryBudget)),
    dimsePeers: new DimsePeerService(ctx),
    janitor: new ObjectJanitor(databases.unitOfWork, objects, clock, () => services.uploads.sweepExpired()),
    // tus resumable uploads: chunks sealed under the tenant's quarantine key, then the same ingest pipeline.
    uploads: new ResumableUploadService(ctx, scopes, protection, { ingest: (...args) => services.ingest.ingest(...args) }, new EncryptedBlobStore(blobs), {
      maxBytes: config.ingest.maxBytes, ttlSeconds: 24 * 3600, lockStaleSeconds: 600,
    }),
    reconciliation: new ReconciliationService(ctx, parking, { storeParked: (...args) => services.ingest.storeParked(...args) }),
    probing: new ProbingDetector(securityEvents, clock),
    consents,
    deidSettings,
    pixelReviews: new PixelReviewService(ctx, images, deidSettings, copies),
    deidentifiedInputs: new DeidentifiedInputService(ctx, images, protection, consents, deidKeys, deidSettings, copies),
    researchExports: new ResearchExportService(ctx, images, protection, consents, deidKeys, deidSettings, copies, new EncryptedBlobStore(blobs), { ttlHours: config.exports.ttlHours, staleSeconds: 120 }),
    readiness: () => checkDatabases(databases),
  };
  return {
    config, services, databases, auditLog,
    async close() {
      await services.keys.idle();
      await auditLog.stop();
      await databases.close();
      keyring.forget();
      await rootKeys.close();
    },
  };
}
