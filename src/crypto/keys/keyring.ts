import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { destroyKey, KeyHandle, secretKeyOf } from './key-material.ts';
import type { RootKeyProvider } from './root-key-provider.ts';

/** Purposes of tenant keys: the key-encryption key that wraps patient keys, and the blind-index key. */
export type TenantKeyPurpose = 'kek' | 'blind-index' | 'pseudonym' | 'quarantine' | 'export';

/** A tenant key as stored: wrapped by a root key. */
export interface WrappedTenantKey {
  tenantId: string;
  purpose: TenantKeyPurpose;
  version: number;
  rootKeyId: string;
  wrapped: Buffer;
}

/** Thrown when a wrapped key does not unwrap (altered, moved, or its wrapping key is gone). */
export class KeyUnwrapError extends Error {
  constructor(readonly keyId: string) {
    super(`key ${keyId} does not unwrap`);
    this.name = 'KeyUnwrapError';
  }
}

const WRAP_FORMAT = 1;

function tenantContext(tenantId: string, purpose: TenantKeyPurpose, version: number): string {
  return `clarus/v1/tenant-key/${tenantId}/${purpose}/${version}`;
}

function backupContext(backupId: string): string {
  return `clarus/v1/backup/${backupId}`;
}

function dataKeyId(tenantId: string, patientId: string, version: number): string {
  return `patient/${tenantId}/${patientId}/${version}`;
}

/** Unwrapped data keys are kept this long at most, and at most DATA_KEY_CACHE_SIZE per key-encryption key. */
const DATA_KEY_CACHE_MS = 60_000;
const DATA_KEY_CACHE_SIZE = 1024;

/**
 * The key hierarchy of KEY-2: root key (provider) → tenant keys (versioned, per purpose) →
 * per-patient data keys. Unwrapped tenant keys are cached for a short time so that a request does
 * not cost an HSM round trip. Unwrapped data keys are cached for a minute too (a bounded LRU per
 * key-encryption key handle, keyed by the wrapped bytes): an ingest of 50 instances of one patient,
 * or a search answering many rows of one patient, reuses one handle and so one AES KeyObject,
 * instead of an unwrap and a key import per field. The caller still reads the wrapped key row every
 * time, so an erased patient (wrapped key destroyed) or a re-wrapped key is never served from here.
 */
export class Keyring {
  private readonly cache = new Map<string, { handle: Promise<KeyHandle>; until: number }>();
  private dataKeys = new WeakMap<KeyHandle, Map<string, { handle: KeyHandle; until: number }>>();
  /** The same caches, iterable, so that an erasure can purge a patient's keys from all of them. */
  private dataKeyCaches = new Set<Map<string, { handle: KeyHandle; until: number }>>();

  constructor(private readonly provider: RootKeyProvider, private readonly now: () => number = Date.now, private readonly cacheMs = 300_000) {}

  get providerKind(): string {
    return this.provider.kind;
  }

  currentRootKeyId(): string {
    return this.provider.currentKeyId();
  }

  /** A fresh random tenant key, returned wrapped only. */
  async createTenantKey(tenantId: string, purpose: TenantKeyPurpose, version: number): Promise<WrappedTenantKey> {
    const material = randomBytes(32);
    try {
      const { rootKeyId, wrapped } = await this.provider.wrap(material, tenantContext(tenantId, purpose, version));
      return { tenantId, purpose, version, rootKeyId, wrapped };
    } finally {
      material.fill(0);
    }
  }

  /** The tenant key behind a wrapped record, from the cache when recently used. */
  openTenantKey(record: WrappedTenantKey): Promise<KeyHandle> {
    const id = `tenant/${record.tenantId}/${record.purpose}/${record.version}`;
    const cacheKey = `${id}@${record.rootKeyId}:${record.wrapped.toString('base64')}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.until > this.now()) return cached.handle;
    const handle = this.provider.unwrap(record.rootKeyId, record.wrapped, tenantContext(record.tenantId, record.purpose, record.version))
      .then((material) => new KeyHandle(id, material))
      .catch(() => {
        this.cache.delete(cacheKey);
        throw new KeyUnwrapError(id);
      });
    this.cache.set(cacheKey, { handle, until: this.now() + this.cacheMs });
    return handle;
  }

  /** Root-key rotation: the same tenant key, wrapped by the provider's current root key. */
  async rewrapTenantKey(record: WrappedTenantKey): Promise<WrappedTenantKey> {
    const context = tenantContext(record.tenantId, record.purpose, record.version);
    let material: Buffer;
    try {
      material = await this.provider.unwrap(record.rootKeyId, record.wrapped, context);
    } catch {
      throw new KeyUnwrapError(`tenant/${record.tenantId}/${record.purpose}/${record.version}`);
    }
    try {
      const { rootKeyId, wrapped } = await this.provider.wrap(material, context);
      return { ...record, rootKeyId, wrapped };
    } finally {
      material.fill(0);
    }
  }

  /** A fresh data key for a patient, and its wrapped form under the tenant's key-encryption key. */
  createDataKey(kek: KeyHandle, tenantId: string, patientId: string, version: number): { handle: KeyHandle; wrapped: Buffer } {
    const material = randomBytes(32);
    const wrapped = wrapUnder(kek, material, dataKeyId(tenantId, patientId, version));
    return { handle: new KeyHandle(dataKeyId(tenantId, patientId, version), material), wrapped };
  }

  openDataKey(kek: KeyHandle, tenantId: string, patientId: string, version: number, wrapped: Buffer): KeyHandle {
    const id = dataKeyId(tenantId, patientId, version);
    const cacheKey = `${id}:${wrapped.toString('base64')}`;
    let cache = this.dataKeys.get(kek);
    if (!cache) {
      cache = new Map();
      this.dataKeys.set(kek, cache);
      this.dataKeyCaches.add(cache);
    }
    const now = this.now();
    const cached = cache.get(cacheKey);
    cache.delete(cacheKey);
    if (cached && cached.until > now) {
      cache.set(cacheKey, cached); // most recently used last
      return cached.handle;
    }
    const handle = new KeyHandle(id, unwrapUnder(kek, wrapped, id));
    cache.set(cacheKey, { handle, until: now + DATA_KEY_CACHE_MS });
    for (const [oldest, entry] of cache) {
      if (cache.size <= DATA_KEY_CACHE_SIZE && entry.until > now) break;
      cache.delete(oldest);
    }
    return handle;
  }

  /** Tenant-key rotation: the same data key, wrapped by the new key-encryption key (KEY-3: no data re-encrypted). */
  rewrapDataKey(oldKek: KeyHandle, newKek: KeyHandle, tenantId: string, patientId: string, version: number, wrapped: Buffer): Buffer {
    const id = dataKeyId(tenantId, patientId, version);
    const material = unwrapUnder(oldKek, wrapped, id);
    try {
      return wrapUnder(newKek, material, id);
    } finally {
      material.fill(0);
    }
  }

  /** A fresh random key for one backup archive (docs/encryption.md, "Backups"), and its form wrapped by the current root key. */
  async createBackupKey(backupId: string): Promise<{ handle: KeyHandle; wrapped: { rootKeyId: string; wrapped: Buffer } }> {
    const material = randomBytes(32);
    const wrapped = await this.provider.wrap(material, backupContext(backupId));
    return { handle: new KeyHandle(`backup/${backupId}`, material), wrapped };
  }

  /** The key of a backup archive; KeyUnwrapError if the root key is absent or anything was altered. */
  async openBackupKey(backupId: string, wrapped: { rootKeyId: string; wrapped: Buffer }): Promise<KeyHandle> {
    try {
      return new KeyHandle(`backup/${backupId}`, await this.provider.unwrap(wrapped.rootKeyId, wrapped.wrapped, backupContext(backupId)));
    } catch {
      throw new KeyUnwrapError(`backup/${backupId}`);
    }
  }

  /** Root-key rotation with an HSM: a new root key inside the provider becomes current. */
  createNextRootKey(): Promise<string> {
    return this.provider.createNextKey();
  }

  /** Destroys the provider's root keys that no wrapped tenant key references any more. */
  async retireRootKeysExcept(inUse: Set<string>): Promise<string[]> {
    const retired: string[] = [];
    for (const id of this.provider.keyIds()) {
      if (id === this.provider.currentKeyId() || inUse.has(id)) continue;
      await this.provider.retireKey(id);
      retired.push(id);
    }
    return retired;
  }

  /** Forgets cached tenant keys (after a rotation retires a version, or on shutdown). */
  forget(): void {
    this.cache.clear();
    for (const cache of this.dataKeyCaches) for (const entry of cache.values()) destroyKey(entry.handle);
    this.dataKeys = new WeakMap();
    this.dataKeyCaches = new Set();
  }

  /**
   * Crypto-shredding (PRIV-2): the patient's unwrapped data keys leave the cache and their bytes are
   * zeroed at once, not when the cache would have expired them. (Reads could not reach them anyway:
   * every read needs the wrapped row, which the erasure clears.)
   */
  forgetPatient(tenantId: string, patientId: string): void {
    const prefix = `patient/${tenantId}/${patientId}/`;
    for (const cache of this.dataKeyCaches) {
      for (const [cacheKey, entry] of cache) {
        if (!cacheKey.startsWith(prefix)) continue;
        cache.delete(cacheKey);
        destroyKey(entry.handle);
      }
    }
  }
}

/** AES-256-GCM key wrap with the key's id as associated data: format(1) | nonce(12) | tag(16) | wrapped(32). */
function wrapUnder(kek: KeyHandle, material: Buffer, id: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secretKeyOf(kek), nonce);
  cipher.setAAD(Buffer.from(id, 'utf8'));
  const body = Buffer.concat([cipher.update(material), cipher.final()]);
  return Buffer.concat([Buffer.from([WRAP_FORMAT]), nonce, cipher.getAuthTag(), body]);
}

function unwrapUnder(kek: KeyHandle, wrapped: Buffer, id: string): Buffer {
  if (wrapped.length !== 61 || wrapped[0] !== WRAP_FORMAT) throw new KeyUnwrapError(id);
  try {
    const decipher = createDecipheriv('aes-256-gcm', secretKeyOf(kek), wrapped.subarray(1, 13));
    decipher.setAAD(Buffer.from(id, 'utf8'));
    decipher.setAuthTag(wrapped.subarray(13, 29));
    return Buffer.concat([decipher.update(wrapped.subarray(29)), decipher.final()]);
  } catch {
    throw new KeyUnwrapError(id);
  }
}
