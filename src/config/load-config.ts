import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { environmentSchema, type Environment } from './config.schema.ts';
import { resolveSecretFiles } from './secret-sources.ts';
import { databaseUrlProblem, decodeKeyMaterial, ed25519KeyProblem, jwtKeyProblem, symmetricSecretProblem } from './secret-strength.ts';
import { loadOrCreateDevelopmentSecrets } from './development-secrets.ts';

export type DatabaseConfig =
  | { mode: 'embedded'; port: number; directory: string }
  | { mode: 'external'; url: string; readUrl?: string; migrationUrl?: string; auditUrl: string; auditMigrationUrl?: string };

export interface Config {
  env: Environment['NODE_ENV'];
  port: number;
  host: string;
  dataDir: string;
  publicUrl: string;
  logLevel: Environment['CLARUS_LOG_LEVEL'];
  trustProxy: boolean;
  database: DatabaseConfig;
  poolMax: number;
  secrets: { jwtKey: string; secretKey: Buffer; auditKey: string };
  /** KEY-2, KEY-3: the root key's provider and the tenant-key rotation period. */
  keys: { provider: RootKeyConfig; rotationDays: number; rewrapBatch: number };
  /** Uploads (ING-2, ING-3): size limit, the malware scanner, and the sweep of orphaned objects. */
  ingest: { maxBytes: number; clamdUrl: string | null; allowUnscanned: boolean; orphanSweepAge: number; memoryBudget: number };
  /** Research exports (issue 7): hours an archive is kept. */
  exports: { ttlHours: number };
  /** Where encrypted objects (images, results, exports) live. */
  objectsDir: string;
  audit: { checkpointMs: number; verifyInterval: number };
  auth: {
    accessTokenTtl: number;
    idleTimeout: number;
    absoluteTimeout: number;
    stepUpWindow: number;
    inviteTtl: number;
    maxFailures: number;
    failureWindow: number;
    lockout: number;
  };
  http: { rateLimitPerMinute: number; bodyLimit: number; tls?: { cert: Buffer; key: Buffer } };
  /** DCM-2: the DIMSE listener; `port` null means off. With `tls.ca`, peers must present a certificate it signed. */
  dimse: { port: number | null; host: string; aeTitle: string; maxAssociations: number; tls?: { cert: Buffer; key: Buffer; ca?: Buffer } };
  bootstrap: { tenant: string; adminEmail: string };
  /** Things the operator should be told at start (never secrets). */
  notices: string[];
}

export type RootKeyConfig =
  | { kind: 'local'; current: Buffer; previous: Buffer[] }
  | { kind: 'pkcs11'; modulePath: string; tokenLabel: string; pin: string; keyLabelPrefix: string };

/** Thrown with every problem found, so an operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration invalid: ${problems.join('; ')}`);
  }
}

/**
 * Reads and validates the whole configuration (KEY-5). Production refuses missing, default or weak
 * secrets; development generates what is missing into the data directory and says so.
 */
export function loadConfig(processEnv: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const raw = resolveSecretFiles(processEnv, problems);
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
    // Report weak secrets too, so that an operator fixes everything in one go.
    const jwtProblem = raw.CLARUS_JWT_KEY ? jwtKeyProblem(raw.CLARUS_JWT_KEY) : undefined;
    const keyProblem = raw.CLARUS_SECRET_KEY ? symmetricSecretProblem('CLARUS_SECRET_KEY', raw.CLARUS_SECRET_KEY) : undefined;
    for (const problem of [jwtProblem, keyProblem]) if (problem) problems.push(problem);
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  const production = env.NODE_ENV === 'production';
  const dataDir = resolve(env.CLARUS_DATA_DIR);
  const notices: string[] = [];

  let jwtKey = env.CLARUS_JWT_KEY;
  let secretKeyText = env.CLARUS_SECRET_KEY;
  let auditKey = env.CLARUS_AUDIT_SIGNING_KEY;
  let rootKeyText = env.CLARUS_ROOT_KEY;
  const localRoot = env.CLARUS_KEY_PROVIDER === 'local';
  if (production) {
    if (localRoot && !rootKeyText) problems.push('CLARUS_ROOT_KEY is required in production with the local key provider (or use CLARUS_KEY_PROVIDER=pkcs11)');
    if (!auditKey) problems.push('CLARUS_AUDIT_SIGNING_KEY is required in production');
    if (!jwtKey) problems.push('CLARUS_JWT_KEY is required in production');
    if (!secretKeyText) problems.push('CLARUS_SECRET_KEY is required in production');
    if (!env.DATABASE_URL) problems.push('DATABASE_URL is required in production (the embedded database is for development)');
    if (!env.AUDIT_DATABASE_URL) problems.push('AUDIT_DATABASE_URL is required in production');
    if (!env.CLARUS_PUBLIC_URL) problems.push('CLARUS_PUBLIC_URL is required in production');
  } else if (!jwtKey || !secretKeyText || !auditKey || (localRoot && !rootKeyText)) {
    const generated = loadOrCreateDevelopmentSecrets(dataDir);
    jwtKey ??= generated.jwtKey;
    secretKeyText ??= generated.secretKey;
    auditKey ??= generated.auditKey;
    if (localRoot) rootKeyText ??= generated.rootKey;
    notices.push(generated.generated
      ? `development mode: generated local secrets in ${generated.directory} (mode 0600); never use them in production`
      : `development mode: using local secrets from ${generated.directory}`);
  }
  if (jwtKey) {
    const problem = jwtKeyProblem(jwtKey);
    if (problem) problems.push(problem);
  }
  if (secretKeyText) {
    const problem = symmetricSecretProblem('CLARUS_SECRET_KEY', secretKeyText);
    if (problem) problems.push(problem);
  }
  const provider = readKeyProvider(env, rootKeyText, problems);
  if (auditKey && ed25519KeyProblem(auditKey)) problems.push('CLARUS_AUDIT_SIGNING_KEY must be an Ed25519 private key (PEM)');
  if (!production && env.DATABASE_URL && !env.AUDIT_DATABASE_URL) problems.push('AUDIT_DATABASE_URL is required with DATABASE_URL');
  if (production && env.CLARUS_ALLOW_UNSCANNED) problems.push('CLARUS_ALLOW_UNSCANNED is not allowed in production: every upload is scanned (ING-3)');
  if (production && !env.CLAMD_URL) problems.push('CLAMD_URL is required in production: uploads are scanned by clamd (ING-3)');
  // Development: Debian's clamav-daemon, when installed and running, is found at its default socket.
  const debianClamd = '/run/clamav/clamd.ctl';
  const clamdUrl = env.CLAMD_URL ?? (!production && existsSync(debianClamd) ? `unix:${debianClamd}` : undefined);
  if (!env.CLAMD_URL && clamdUrl) notices.push(`uploads are scanned by the local clamd at ${debianClamd}`);
  if (!production && !clamdUrl) {
    notices.push(env.CLARUS_ALLOW_UNSCANNED
      ? 'WARNING: CLARUS_ALLOW_UNSCANNED=true: uploads are NOT scanned for malware (development only)'
      : 'uploads are refused until CLAMD_URL points at a clamd (or CLARUS_ALLOW_UNSCANNED=true, development only)');
  }
  if (production && env.CLARUS_PUBLIC_URL && !env.CLARUS_PUBLIC_URL.startsWith('https://')) problems.push('CLARUS_PUBLIC_URL must be an https:// URL in production');
  if (production) {
    for (const name of ['DATABASE_URL', 'DATABASE_READ_URL', 'DATABASE_MIGRATION_URL', 'AUDIT_DATABASE_URL', 'AUDIT_DATABASE_MIGRATION_URL'] as const) {
      const value = env[name];
      const problem = value ? databaseUrlProblem(name, value) : undefined;
      if (problem) problems.push(problem);
    }
  }
  const tls = readTls(env, problems);
  const dimseTls = readDimseTls(env, problems);
  if (env.CLARUS_DIMSE_PORT !== undefined && !dimseTls && !['127.0.0.1', '::1', 'localhost'].includes(env.CLARUS_DIMSE_HOST)) {
    // DIMSE carries PHI: in clear only on loopback, or on a network the operator secures (docs/operations.md).
    notices.push(`WARNING: DIMSE listens on ${env.CLARUS_DIMSE_HOST} without TLS: PHI crosses the network in clear unless it is a secured segment or VPN`);
  }
  if (production && !tls && !env.CLARUS_TRUST_PROXY) {
    problems.push('production needs CLARUS_TLS_CERT_FILE/CLARUS_TLS_KEY_FILE, or CLARUS_TRUST_PROXY=true behind a TLS proxy');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const scheme = tls ? 'https' : 'http';
  const shownHost = env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST;
  const publicUrl = (env.CLARUS_PUBLIC_URL ?? `${scheme}://${shownHost === '127.0.0.1' ? 'localhost' : shownHost}:${env.PORT}`).replace(/\/$/, '');
  const database: DatabaseConfig = env.DATABASE_URL
    ? {
        mode: 'external',
        url: env.DATABASE_URL,
        auditUrl: env.AUDIT_DATABASE_URL ?? env.DATABASE_URL,
        ...(env.DATABASE_READ_URL ? { readUrl: env.DATABASE_READ_URL } : {}),
        ...(env.DATABASE_MIGRATION_URL ? { migrationUrl: env.DATABASE_MIGRATION_URL } : {}),
        ...(env.AUDIT_DATABASE_MIGRATION_URL ? { auditMigrationUrl: env.AUDIT_DATABASE_MIGRATION_URL } : {}),
      }
    : { mode: 'embedded', port: env.CLARUS_EMBEDDED_PG_PORT, directory: resolve(dataDir, 'pg') };

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    dataDir,
    publicUrl,
    logLevel: env.CLARUS_LOG_LEVEL,
    trustProxy: env.CLARUS_TRUST_PROXY,
    database,
    poolMax: env.DATABASE_POOL_MAX,
    secrets: { jwtKey: jwtKey as string, secretKey: decodeKeyMaterial(secretKeyText as string) as Buffer, auditKey: auditKey as string },
    keys: { provider: provider as RootKeyConfig, rotationDays: env.CLARUS_KEY_ROTATION_DAYS, rewrapBatch: env.CLARUS_KEY_REWRAP_BATCH },
    exports: { ttlHours: env.CLARUS_EXPORT_TTL_HOURS },
    ingest: { maxBytes: env.CLARUS_UPLOAD_MAX_BYTES, clamdUrl: clamdUrl ?? null, allowUnscanned: env.CLARUS_ALLOW_UNSCANNED, orphanSweepAge: env.CLARUS_ORPHAN_SWEEP_AGE, memoryBudget: env.CLARUS_INGEST_MEMORY_BYTES },
    objectsDir: resolve(env.CLARUS_OBJECTS_DIR ?? resolve(dataDir, 'objects')),
    audit: { checkpointMs: env.CLARUS_AUDIT_CHECKPOINT_MS, verifyInterval: env.CLARUS_AUDIT_VERIFY_INTERVAL },
    auth: {
      accessTokenTtl: env.CLARUS_ACCESS_TOKEN_TTL,
      idleTimeout: env.CLARUS_IDLE_TIMEOUT,
      absoluteTimeout: env.CLARUS_ABSOLUTE_TIMEOUT,
      stepUpWindow: env.CLARUS_STEP_UP_WINDOW,
      inviteTtl: env.CLARUS_INVITE_TTL,
      maxFailures: env.CLARUS_LOGIN_MAX_FAILURES,
      failureWindow: env.CLARUS_LOGIN_WINDOW,
      lockout: env.CLARUS_LOCKOUT,
    },
    http: { rateLimitPerMinute: env.CLARUS_RATE_LIMIT_PER_MINUTE, bodyLimit: env.CLARUS_BODY_LIMIT_BYTES, ...(tls ? { tls } : {}) },
    dimse: { port: env.CLARUS_DIMSE_PORT ?? null, host: env.CLARUS_DIMSE_HOST, aeTitle: env.CLARUS_DIMSE_AE_TITLE, maxAssociations: env.CLARUS_DIMSE_MAX_ASSOCIATIONS, ...(dimseTls ? { tls: dimseTls } : {}) },
    bootstrap: { tenant: env.CLARUS_INIT_TENANT, adminEmail: env.CLARUS_INIT_ADMIN_EMAIL },
    notices,
  };
}

/** The root-key provider's settings (docs/key-providers.md), with every problem reported. */
function readKeyProvider(env: Environment, rootKeyText: string | undefined, problems: string[]): RootKeyConfig | undefined {
  if (env.CLARUS_KEY_PROVIDER === 'pkcs11') {
    const missing = (['CLARUS_PKCS11_MODULE', 'CLARUS_PKCS11_TOKEN_LABEL', 'CLARUS_PKCS11_PIN'] as const).filter((name) => !env[name]);
    for (const name of missing) problems.push(`${name} is required with CLARUS_KEY_PROVIDER=pkcs11`);
    if (missing.length > 0) return undefined;
    return { kind: 'pkcs11', modulePath: env.CLARUS_PKCS11_MODULE as string, tokenLabel: env.CLARUS_PKCS11_TOKEN_LABEL as string, pin: env.CLARUS_PKCS11_PIN as string, keyLabelPrefix: env.CLARUS_PKCS11_KEY_LABEL };
  }
  if (!rootKeyText) return undefined;
  const keys: Buffer[] = [];
  const texts = [['CLARUS_ROOT_KEY', rootKeyText], ...(env.CLARUS_ROOT_KEY_PREVIOUS ?? '').split(',').filter((t) => t.trim()).map((t) => ['CLARUS_ROOT_KEY_PREVIOUS', t] as const)] as const;
  for (const [name, text] of texts) {
    const problem = symmetricSecretProblem(name, text);
    if (problem) problems.push(problem);
    else keys.push(decodeKeyMaterial(text) as Buffer);
  }
  const [current, ...previous] = keys;
  return current && keys.length === texts.length ? { kind: 'local', current, previous } : undefined;
}

function readTls(env: Environment, problems: string[]): { cert: Buffer; key: Buffer } | undefined {
  const { CLARUS_TLS_CERT_FILE: certFile, CLARUS_TLS_KEY_FILE: keyFile } = env;
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) {
    problems.push('CLARUS_TLS_CERT_FILE and CLARUS_TLS_KEY_FILE go together');
    return undefined;
  }
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch {
    problems.push('the TLS certificate or key file cannot be read');
    return undefined;
  }
}

/** DIMSE over TLS (PS3.15 §B.9, BCP 195 profile): certificate and key together; a CA file asks peers for certificates. */
function readDimseTls(env: Environment, problems: string[]): { cert: Buffer; key: Buffer; ca?: Buffer } | undefined {
  const { CLARUS_DIMSE_TLS_CERT_FILE: certFile, CLARUS_DIMSE_TLS_KEY_FILE: keyFile, CLARUS_DIMSE_TLS_CA_FILE: caFile } = env;
  if (!certFile && !keyFile && !caFile) return undefined;
  if (!certFile || !keyFile) {
    problems.push('CLARUS_DIMSE_TLS_CERT_FILE and CLARUS_DIMSE_TLS_KEY_FILE go together (CLARUS_DIMSE_TLS_CA_FILE needs both)');
    return undefined;
  }
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile), ...(caFile ? { ca: readFileSync(caFile) } : {}) };
  } catch {
    problems.push('the DIMSE TLS certificate, key or CA file cannot be read');
    return undefined;
  }
}
