import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { get, post } from './client';
import type { EnrolmentInfo, LoginResult, Me, RecoveryCodes, TotpSetup } from './types';

/** The current session and user; 401 when there is none (reported quietly: the caller decides). */
export function fetchMe(): Promise<Me> {
  return get<Me>('/api/auth/me', { quietSession: true });
}

/** Checks an enrolment token and returns whom it is for. */
export function inspectEnrolment(token: string): Promise<EnrolmentInfo> {
  return post<EnrolmentInfo>('/api/auth/enrolment/inspect', { token });
}

/** Sets the first password; the server starts a pending session in stage enrol-totp. */
export function completeEnrolment(token: string, password: string): Promise<{ next: 'enrol-totp' }> {
  return post<{ next: 'enrol-totp' }>('/api/auth/enrolment', { token, password });
}

/** Checks e-mail and password; the second factor comes next. */
export function login(email: string, password: string): Promise<LoginResult> {
  return post<LoginResult>('/api/auth/login', { email, password });
}

/** Creates a new TOTP secret for the pending session. */
export function setupTotp(): Promise<TotpSetup> {
  return post<TotpSetup>('/api/auth/totp/setup');
}

/** Confirms the authenticator with a first code; returns the recovery codes (shown once). */
export function confirmTotp(code: string): Promise<RecoveryCodes> {
  return post<RecoveryCodes>('/api/auth/totp/confirm', { code });
}

/** Completes sign-in with a TOTP code. */
export function verifyMfaTotp(code: string): Promise<{ ok: true }> {
  return post<{ ok: true }>('/api/auth/mfa/totp', { code });
}

/** Completes sign-in with a one-time recovery code. */
export function verifyMfaRecovery(code: string): Promise<{ ok: true }> {
  return post<{ ok: true }>('/api/auth/mfa/recovery', { code });
}

/** WebAuthn request options for signing in with a passkey. */
export function passkeySignInOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return post<PublicKeyCredentialRequestOptionsJSON>('/api/auth/mfa/webauthn/options');
}

/** Completes sign-in with a passkey assertion. */
export function verifyPasskeySignIn(response: AuthenticationResponseJSON): Promise<{ ok: true }> {
  return post<{ ok: true }>('/api/auth/mfa/webauthn/verify', { response });
}

/** Ends this session. Session errors are quiet: signing out of a dead session is still signing out. */
export function logout(): Promise<void> {
  return post<void>('/api/auth/logout', undefined, { quietSession: true });
}
