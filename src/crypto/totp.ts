import { createHmac, randomBytes } from 'node:crypto';

/**
 * TOTP per RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits: the parameters every authenticator app
 * supports). Verification returns the matched time step so that the caller can refuse any step at
 * or below the last one used: each code works once (AUTH-2).
 */
const STEP_SECONDS = 30;
const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32Alphabet[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = base32Alphabet.indexOf(char);
    if (index < 0) throw new Error('not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new 160-bit secret (RFC 4226 §4 recommends 160 bits). */
export function generateTotpSecret(): Buffer {
  return randomBytes(20);
}

/** HOTP value (RFC 4226 §5.3) of a counter, as a zero-padded decimal string. */
export function hotp(secret: Buffer, counter: number, digits = 6, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac(algorithm, secret).update(message).digest();
  const offset = (digest[digest.length - 1] as number) & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function timeStep(atMs: number): number {
  return Math.floor(atMs / 1000 / STEP_SECONDS);
}

/** The code for a moment (used by tests and by nothing else in production). */
export function totpAt(secret: Buffer, atMs: number): string {
  return hotp(secret, timeStep(atMs));
}

/**
 * Checks a code against the current step and one step either side (clock drift, RFC 6238 §5.2);
 * returns the matched step, or undefined.
 */
export function matchTotp(secret: Buffer, code: string, atMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const now = timeStep(atMs);
  for (const step of [now - 1, now, now + 1]) {
    if (hotp(secret, step) === code) return step;
  }
  return undefined;
}

/** The otpauth:// URI that authenticator apps read from a QR code (Key Uri Format). */
export function otpauthUri(secret: Buffer, issuer: string, account: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${base32Encode(secret)}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=${STEP_SECONDS}`;
}
