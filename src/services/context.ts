import type { UnitOfWork } from '../data/unit-of-work.ts';
import type { AccessTokenSigner } from '../crypto/access-tokens.ts';
import type { TokenHasher } from '../crypto/opaque-tokens.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { SecurityEventService } from './security-event.service.ts';
import type { AuditRecorder } from './audit-recorder.ts';

/** Settings services need, taken from the validated config (services never read the environment). */
export interface AuthSettings {
  publicUrl: string;
  accessTokenTtl: number;
  idleTimeout: number;
  absoluteTimeout: number;
  stepUpWindow: number;
  inviteTtl: number;
  maxFailures: number;
  failureWindow: number;
  lockout: number;
}

/** What every service is built from; compose.ts creates it once. */
export interface ServiceContext {
  uow: UnitOfWork;
  clock: () => Date;
  settings: AuthSettings;
  signer: AccessTokenSigner;
  tokens: TokenHasher;
  throttleKeys: TokenHasher;
  secretBox: SecretBox;
  securityEvents: SecurityEventService;
  audit: AuditRecorder;
}

/** Who is asking, as established by authentication; every service call that touches data takes it. */
export interface Principal {
  /** A person with a session, or a service account with an API key (ROLE-4). */
  kind: 'user' | 'service';
  tenantId: string;
  /** The user id, or the service account id. */
  userId: string;
  /** Empty for service accounts. */
  sessionId: string;
  stage: 'enrol-totp' | 'mfa' | 'full';
  roles: string[];
  stepUpAt: Date | null;
  /** Service accounts may be limited to some patients; null means no limit beyond the role. */
  patientRestriction: string[] | null;
}

/** Where a request came from, for security events (never PHI). */
export interface RequestOrigin {
  sourceAddress: string | null;
  requestId: string | null;
}
