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

export type { Principal, RequestOrigin } from './principal.ts';
