import { z } from 'zod';

/**
 * The environment Clarus reads, as one schema. Every variable is documented in README.md
 * ("Configuration"); secrets may also come from `<NAME>_FILE` (see secret-sources.ts).
 */
const seconds = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.string().regex(/^\d{1,5}$/, 'must be a port number').transform(Number).pipe(z.number().max(65535)).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  CLARUS_DATA_DIR: z.string().min(1).default('./data'),
  CLARUS_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  CLARUS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CLARUS_TRUST_PROXY: z.stringbool().default(false),

  DATABASE_URL: z.string().optional(),
  DATABASE_READ_URL: z.string().optional(),
  DATABASE_MIGRATION_URL: z.string().optional(),
  AUDIT_DATABASE_URL: z.string().optional(),
  AUDIT_DATABASE_MIGRATION_URL: z.string().optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  CLARUS_EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),

  CLARUS_JWT_KEY: z.string().optional(),
  CLARUS_SECRET_KEY: z.string().optional(),
  CLARUS_AUDIT_SIGNING_KEY: z.string().optional(),
  CLARUS_AUDIT_CHECKPOINT_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  CLARUS_AUDIT_VERIFY_INTERVAL: seconds(3600, 10, 7 * 86_400),

  // AUTH-3: access tokens live at most one hour.
  CLARUS_ACCESS_TOKEN_TTL: seconds(900, 30, 3600),
  // AUTH-4: 15 minutes idle, 12 hours absolute, configurable.
  CLARUS_IDLE_TIMEOUT: seconds(900, 2, 86_400),
  CLARUS_ABSOLUTE_TIMEOUT: seconds(43_200, 60, 7 * 86_400),
  CLARUS_STEP_UP_WINDOW: seconds(300, 30, 3600),
  CLARUS_INVITE_TTL: seconds(72 * 3600, 300, 30 * 86_400),
  // AUTH-6: 5 failures in 15 minutes lock the account (and throttle the address) for 15 minutes.
  CLARUS_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  CLARUS_LOGIN_WINDOW: seconds(900, 10, 86_400),
  CLARUS_LOCKOUT: seconds(900, 10, 86_400),
  CLARUS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(10).max(100_000).default(600),
  CLARUS_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(1024 * 1024),

  // KEY-2: the root key's provider (docs/key-providers.md) and KEY-3: tenant-key rotation period.
  CLARUS_KEY_PROVIDER: z.enum(['local', 'pkcs11']).default('local'),
  CLARUS_ROOT_KEY: z.string().optional(),
  CLARUS_ROOT_KEY_PREVIOUS: z.string().optional(),
  CLARUS_PKCS11_MODULE: z.string().optional(),
  CLARUS_PKCS11_TOKEN_LABEL: z.string().optional(),
  CLARUS_PKCS11_PIN: z.string().optional(),
  CLARUS_PKCS11_KEY_LABEL: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'letters, digits, dot, dash, underscore').default('clarus-root'),
  CLARUS_KEY_ROTATION_DAYS: z.coerce.number().int().min(1).max(365).default(90),
  CLARUS_KEY_REWRAP_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
  CLARUS_OBJECTS_DIR: z.string().optional(),

  // ING-2, ING-3: upload size limit, and the clamd that scans every file (tcp://host:port or unix:/path).
  CLARUS_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1024).max(4 * 1024 ** 3).default(100 * 1024 * 1024),
  CLAMD_URL: z.string().regex(/^(tcp:\/\/[^\s/]+:\d{1,5}|unix:\/\S+)$/, 'tcp://host:port or unix:/path/to/clamd.sock').optional(),
  CLARUS_ALLOW_UNSCANNED: z.stringbool().default(false),
  CLARUS_INGEST_MEMORY_BYTES: z.coerce.number().int().min(16 * 1024 * 1024).max(64 * 1024 ** 3).default(512 * 1024 * 1024),
  CLARUS_ORPHAN_SWEEP_AGE: seconds(900, 0, 7 * 86_400),

  // Issue 7: research export archives are destroyed this many hours after they are made.
  CLARUS_EXPORT_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(24),

  CLARUS_TLS_CERT_FILE: z.string().optional(),
  CLARUS_TLS_KEY_FILE: z.string().optional(),

  // DCM-2: the DIMSE listener (C-ECHO, C-STORE, C-FIND). Off unless a port is set; loopback by default.
  CLARUS_DIMSE_PORT: z.string().regex(/^\d{1,5}$/, 'must be a port number').transform(Number).pipe(z.number().min(1).max(65535)).optional(),
  CLARUS_DIMSE_HOST: z.string().min(1).default('127.0.0.1'),
  CLARUS_DIMSE_AE_TITLE: z.string().trim().regex(/^[\x20-\x5B\x5D-\x7E]{1,16}$/u, '1 to 16 characters, no backslash or control characters').default('CLARUS'),
  CLARUS_DIMSE_MAX_ASSOCIATIONS: z.coerce.number().int().min(1).max(1000).default(32),
  CLARUS_DIMSE_TLS_CERT_FILE: z.string().optional(),
  CLARUS_DIMSE_TLS_KEY_FILE: z.string().optional(),
  CLARUS_DIMSE_TLS_CA_FILE: z.string().optional(),

  CLARUS_INIT_TENANT: z.string().default('main'),
  CLARUS_INIT_ADMIN_EMAIL: z.string().default('admin@clarus.local'),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Names of the variables that hold secrets: each may be given as `<NAME>_FILE` instead. */
export const secretVariables = [
  'DATABASE_URL',
  'DATABASE_READ_URL',
  'DATABASE_MIGRATION_URL',
  'AUDIT_DATABASE_URL',
  'AUDIT_DATABASE_MIGRATION_URL',
  'CLARUS_JWT_KEY',
  'CLARUS_SECRET_KEY',
  'CLARUS_AUDIT_SIGNING_KEY',
  'CLARUS_ROOT_KEY',
  'CLARUS_ROOT_KEY_PREVIOUS',
  'CLARUS_PKCS11_PIN',
] as const;
