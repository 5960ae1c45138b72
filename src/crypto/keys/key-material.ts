import { createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Key handles that the rest of the code can hold and pass around without ever seeing a key's bytes
 * (DESIGN.md: only crypto/ sees key material). The bytes live in a module-private WeakMap; only modules
 * under src/crypto import `revealKey` (a dependency-cruiser rule checks it).
 */
const material = new WeakMap<object, Buffer>();

/**
 * The same bytes as a node:crypto KeyObject, built once per handle. createCipheriv with a Buffer key
 * imports the key into a new KeyObject on every call (about 20–25 µs, several times the cost of
 * sealing one short field; docs/benchmarks.md); a handle used for many fields or key wraps reuses one.
 */
const secretKeys = new WeakMap<object, KeyObject>();

/** A 256-bit key with a public, non-secret id (for example `patient/<uuid>/1`). */
export class KeyHandle {
  constructor(readonly id: string, key: Buffer) {
    if (key.length !== 32) throw new Error('a key handle holds exactly 256 bits');
    material.set(this, key);
  }

  /** Keeps ids, and never bytes, in logs and error reports. */
  toJSON(): { id: string } {
    return { id: this.id };
  }
}

/** The bytes behind a handle — for src/crypto only. */
export function revealKey(handle: KeyHandle): Buffer {
  const key = material.get(handle);
  if (!key) throw new Error('not a key handle');
  return key;
}

/** The handle's key as a KeyObject (cached with the handle) — for src/crypto only. */
export function secretKeyOf(handle: KeyHandle): KeyObject {
  let key = secretKeys.get(handle);
  if (!key) {
    key = createSecretKey(revealKey(handle));
    secretKeys.set(handle, key);
  }
  return key;
}

/** Overwrites the bytes of a handle that is no longer needed (best effort; GC may hold copies). */
export function destroyKey(handle: KeyHandle): void {
  material.get(handle)?.fill(0);
  material.delete(handle);
  secretKeys.delete(handle);
}
