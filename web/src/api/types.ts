/** Shapes of the API answers, as described in docs/api-auth.md. */

export const ROLES = ['Administrator', 'Radiologist', 'Clinician', 'Technician', 'Viewer'] as const;
export type Role = (typeof ROLES)[number];

export type Stage = 'full' | 'mfa' | 'enrol-totp';
export type MfaMethod = 'totp' | 'recovery' | 'webauthn';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
}

export interface Me {
  stage: Stage;
  user: {
    id: string;
    email: string;
    displayName: string | null;
    roles: Role[];
    tenant: Tenant;
  };
  session: {
    idleTimeoutSeconds: number;
    absoluteExpiresAt: string;
    stepUpValidUntil: string | null;
  };
  mfa: {
    totp: boolean;
    /** Number of registered passkeys (a boolean is tolerated). */
    passkeys: number | boolean;
    recoveryCodesRemaining: number;
  };
}

export interface EnrolmentInfo {
  email: string;
  tenantName: string;
  expiresAt: string;
}

export interface LoginResult {
  next: 'mfa' | 'enrol-totp';
  methods: MfaMethod[];
}

export interface TotpSetup {
  secret: string;
  otpauthUri: string;
}

export interface RecoveryCodes {
  recoveryCodes: string[];
}

export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
}

export type UserStatus = 'active' | 'disabled' | 'invited' | (string & {});

export interface UserSummary {
  id: string;
  email: string;
  displayName: string | null;
  roles: Role[];
  status: UserStatus;
  mfaEnrolled: boolean;
  createdAt: string;
}

export interface Invitation {
  userId: string;
  enrolmentUrl: string;
  expiresAt: string;
}

export interface SecurityEvent {
  id: string;
  at: string;
  severity: string;
  kind: string;
  outcome?: string | null;
}
