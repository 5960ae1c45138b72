import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { passkeySignInOptions, verifyPasskeySignIn } from './api/auth';
import { passkeyRegistrationOptions, savePasskey } from './api/account';
import { ApiError, ErrorCode } from './api/errors';

/** Turns a WebAuthn failure (cancelled, timed out, unsupported) into a message people understand. */
function passkeyError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const name = error instanceof Error ? error.name : '';
  const message =
    name === 'NotAllowedError' || name === 'AbortError'
      ? 'The passkey request was cancelled or timed out.'
      : name === 'InvalidStateError'
        ? 'This passkey is already registered.'
        : name === 'NotSupportedError'
          ? 'This browser or device does not support passkeys.'
          : 'The passkey could not be used. Try again, or use another method.';
  return new ApiError({ status: 0, code: ErrorCode.client, message });
}

/** Second factor with a passkey: options from the server, the browser ceremony, then verification. */
export async function signInWithPasskey(): Promise<void> {
  try {
    const optionsJSON = await passkeySignInOptions();
    const response = await startAuthentication({ optionsJSON });
    await verifyPasskeySignIn(response);
  } catch (error) {
    throw passkeyError(error);
  }
}

/** Registers a new passkey for the signed-in user under `name`. */
export async function addPasskey(name: string): Promise<void> {
  try {
    const optionsJSON = await passkeyRegistrationOptions();
    const response = await startRegistration({ optionsJSON });
    await savePasskey(response, name);
  } catch (error) {
    throw passkeyError(error);
  }
}
