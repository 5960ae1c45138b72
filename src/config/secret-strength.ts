import { createPrivateKey } from 'node:crypto';

/** Values seen in tutorials and sample files; a production secret must never be one of them. */
const knownDefaults = new Set([
  'changeme', 'change-me', 'changeit', 'secret', 'password', 'postgres', 'clarus', 'admin', 'example',
  'default', 'test', 'development', 'your-secret-key', 'supersecret', 'letmein', '123456', 'password123',
]);

/** Minimum key length for symmetric secrets: 256 bits (AUTH-3, KEY-1). */
export const MIN_SECRET_BYTES = 32;

/** Decodes base64 / base64url / hex text into bytes; returns undefined when it is none of them. */
export function decodeKeyMaterial(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0 && trimmed.length >= 64) {
    return Buffer.from(trimmed, 'hex');
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return Buffer.from(trimmed, 'base64');
  return undefined;
}

/** True when the bytes are too regular to be random (one repeated byte, or a short repeated pattern). */
function looksRepetitive(bytes: Buffer): boolean {
  return new Set(bytes).size < 8;
}

/** Checks a symmetric secret; returns a problem sentence or undefined when it is acceptable. */
export function symmetricSecretProblem(name: string, value: string): string | undefined {
  if (knownDefaults.has(value.trim().toLowerCase())) return `${name} is a well-known default value`;
  const bytes = decodeKeyMaterial(value);
  if (!bytes) return `${name} must be base64 or hex encoded key material`;
  if (bytes.length < MIN_SECRET_BYTES) return `${name} must hold at least 256 bits (32 bytes); it holds ${bytes.length * 8}`;
  if (looksRepetitive(bytes)) return `${name} is not random enough`;
  return undefined;
}

/** The JWT key is an Ed25519 private key (PEM) or an HS256 secret of at least 256 bits. */
export function jwtKeyProblem(value: string): string | undefined {
  if (value.includes('-----BEGIN')) {
    try {
      const key = createPrivateKey(value);
      return key.asymmetricKeyType === 'ed25519' ? undefined : 'CLARUS_JWT_KEY must be an Ed25519 private key';
    } catch {
      return 'CLARUS_JWT_KEY is not a readable PEM private key';
    }
  }
  return symmetricSecretProblem('CLARUS_JWT_KEY', value);
}

/** True when the text is not a readable Ed25519 private key in PEM. */
export function ed25519KeyProblem(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType !== 'ed25519';
  } catch {
    return true;
  }
}

/** A database URL's password must not be a default nor shorter than 12 characters. */
export function databaseUrlProblem(name: string, value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${name} is not a valid URL`;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return `${name} must be a postgres:// URL`;
  const password = decodeURIComponent(url.password);
  const usesClientCertificate = url.searchParams.has('sslcert');
  if (password === '' && !usesClientCertificate) return `${name} has no password (or client certificate)`;
  if (password !== '' && (knownDefaults.has(password.toLowerCase()) || password.length < 12)) {
    return `${name} uses a default or short password (at least 12 characters)`;
  }
  // KEY-4: TLS with certificate and host name checks, except to a server on this machine.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || (url.searchParams.get('host') ?? '').startsWith('/');
  if (!loopback && url.searchParams.get('sslmode') !== 'verify-full') return `${name} must use sslmode=verify-full (TLS with certificate and host name checks)`;
  return undefined;
}
