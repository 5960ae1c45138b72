import { hkdfSync } from 'node:crypto';

/** Purposes for which keys are derived from CLARUS_SECRET_KEY; one key per purpose (NIST SP 800-108). */
export type SubkeyPurpose = 'token-hash' | 'cookie-signing' | 'totp-secret-box' | 'login-throttle';

/** HKDF-SHA256 (RFC 5869) subkey of 256 bits for one purpose. */
export function deriveSubkey(masterKey: Buffer, purpose: SubkeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `clarus/v1/${purpose}`, 32));
}
