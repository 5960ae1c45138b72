/**
 * The top of the key hierarchy (KEY-2): a root key that wraps each tenant's key-encryption keys and
 * never leaves its provider. Providers: `local` (a base64 key of at least 256 bits from the environment
 * or a file; development and small sites), `pkcs11` (an HSM, where the key is generated inside the token,
 * sensitive and non-extractable). A cloud KMS fits the same interface (docs/key-providers.md).
 *
 * Every wrap is bound to a context string (what the wrapped key is for and whose it is) as associated
 * data, so that a wrapped key copied onto another tenant's row does not unwrap.
 */
export interface RootKeyProvider {
  /** 'local' | 'pkcs11' | … — shown to administrators, never secret. */
  readonly kind: string;
  /** The id of the root key that wraps new material; stored beside every wrapped key. */
  currentKeyId(): string;
  /** Ids of every root key this provider can still unwrap with (current first). */
  keyIds(): string[];
  /** Wraps key material under the current root key. */
  wrap(keyMaterial: Buffer, context: string): Promise<{ rootKeyId: string; wrapped: Buffer }>;
  /** Unwraps with the named root key; throws if the key is unknown or the wrapped bytes were altered. */
  unwrap(rootKeyId: string, wrapped: Buffer, context: string): Promise<Buffer>;
  /**
   * Makes a new root key current, where the provider can create one itself (an HSM); the old one stays
   * for unwrapping until nothing references it. Providers whose keys come from the operator throw an Error
   * that says what to configure instead.
   */
  createNextKey(): Promise<string>;
  /** Destroys a root key that nothing references any more (after a root rotation), where possible. */
  retireKey(rootKeyId: string): Promise<void>;
  close(): Promise<void>;
}
