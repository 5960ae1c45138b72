import { createHmac, hkdfSync } from 'node:crypto';
import { SecretBox } from '../secret-box.ts';
import type { RootKeyProvider } from './root-key-provider.ts';

/** Root keys given by the operator (CLARUS_ROOT_KEY, CLARUS_ROOT_KEY_PREVIOUS), decoded from base64. */
export interface LocalRootKeySettings {
  current: Buffer;
  previous: Buffer[];
}

/** The error for a root key id that is not among the configured keys (ids are public; no key bytes). */
function rootKeyNotConfigured(rootKeyId: string): Error {
  return new Error(`root key ${rootKeyId} is not configured (set CLARUS_ROOT_KEY_PREVIOUS during a root-key rotation)`);
}

/**
 * Exactly 256 bits from an operator key of at least 256 bits: a 32-byte key is used as is, a longer one
 * is condensed with HKDF-SHA256 (RFC 5869) so that every bit of it counts.
 */
function rootKeyBytes(key: Buffer): Buffer {
  if (key.length < 32) throw new Error('a local root key must have at least 256 bits (generate one with `openssl rand -base64 32`)');
  if (key.length === 32) return Buffer.from(key);
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'clarus/v1/root-key', 32));
}

/**
 * A public name for a key: 64 bits of an HMAC under the key itself. Stable across restarts, different
 * for different keys, and it says nothing about the key's bytes (a PRF output, RFC 2104).
 */
function localKeyId(key: Buffer): string {
  return `local:${createHmac('sha256', key).update('clarus root key id').digest('hex').slice(0, 16)}`;
}

/**
 * Root keys from the environment or a file (development and small sites). Wrapping is AES-256-GCM with a
 * random 96-bit nonce (NIST SP 800-38D) and the context string as associated data; the layout is
 * version(1) | nonce(12) | tag(16) | ciphertext (see SecretBox).
 */
export class LocalRootKeyProvider implements RootKeyProvider {
  readonly kind = 'local';
  private readonly keys = new Map<string, { bytes: Buffer; box: SecretBox }>();
  private readonly current: string;

  constructor(settings: LocalRootKeySettings) {
    const ordered = [settings.current, ...settings.previous].map(rootKeyBytes);
    for (const bytes of ordered) {
      const id = localKeyId(bytes);
      // The same key listed twice (current also in PREVIOUS) is one key.
      if (!this.keys.has(id)) this.keys.set(id, { bytes, box: new SecretBox(bytes) });
    }
    this.current = localKeyId(ordered[0] as Buffer);
  }

  currentKeyId(): string {
    return this.current;
  }

  keyIds(): string[] {
    // Map insertion order: current first, then the previous keys as configured.
    return [...this.keys.keys()];
  }

  async wrap(keyMaterial: Buffer, context: string): Promise<{ rootKeyId: string; wrapped: Buffer }> {
    if (keyMaterial.length === 0) throw new Error('there is no key material to wrap');
    return { rootKeyId: this.current, wrapped: this.key(this.current).box.seal(keyMaterial, context) };
  }

  async unwrap(rootKeyId: string, wrapped: Buffer, context: string): Promise<Buffer> {
    return this.key(rootKeyId).box.open(wrapped, context);
  }

  async createNextKey(): Promise<string> {
    throw new Error(
      'a local root key cannot be created by Clarus: generate a new key (`openssl rand -base64 32`), set it as ' +
      'CLARUS_ROOT_KEY, move the old one to CLARUS_ROOT_KEY_PREVIOUS, restart, then run `clarus keys rotate-root`',
    );
  }

  /** Nothing to destroy here: the operator removes the old key from CLARUS_ROOT_KEY_PREVIOUS. */
  async retireKey(): Promise<void> {}

  async close(): Promise<void> {
    for (const { bytes } of this.keys.values()) bytes.fill(0);
    this.keys.clear();
  }

  private key(rootKeyId: string): { bytes: Buffer; box: SecretBox } {
    const entry = this.keys.get(rootKeyId);
    if (!entry) throw rootKeyNotConfigured(rootKeyId);
    return entry;
  }
}
