import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/browser';
import { del, get, post } from './client';
import type { Passkey, RecoveryCodes } from './types';

/** Ends every session of this user, on every device. */
export function logoutEverywhere(): Promise<void> {
  return post<void>('/api/auth/logout-all');
}

/** Proves the second factor again so that sensitive actions are allowed for a while. */
export function stepUp(code: string): Promise<{ stepUpValidUntil: string }> {
  return post<{ stepUpValidUntil: string }>('/api/auth/step-up', { code });
}

/** Changes the password; other sessions are revoked by the server. */
export function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  return post<void>('/api/auth/password', { currentPassword, newPassword });
}

/** Replaces the recovery codes (needs step-up). */
export function regenerateRecoveryCodes(): Promise<RecoveryCodes> {
  return post<RecoveryCodes>('/api/auth/recovery-codes');
}

/** WebAuthn creation options for registering a new passkey. */
export function passkeyRegistrationOptions(): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return post<PublicKeyCredentialCreationOptionsJSON>('/api/auth/passkeys/options');
}

/** Stores a new passkey under a name. */
export function savePasskey(response: RegistrationResponseJSON, name: string): Promise<{ id: string }> {
  return post<{ id: string }>('/api/auth/passkeys', { response, name });
}

/** The passkeys of the signed-in user. */
export async function listPasskeys(): Promise<Passkey[]> {
  return (await get<{ passkeys: Passkey[] }>('/api/auth/passkeys')).passkeys;
}

/** Removes one passkey (needs step-up). */
export function deletePasskey(id: string): Promise<void> {
  return del(`/api/auth/passkeys/${encodeURIComponent(id)}`);
}
