import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { revealKey, type KeyHandle } from './keys/key-material.ts';

/** Fields searchable by exact value, each under its own subkey so that indexes cannot be joined. */
export type ExactIndexField = 'mrn' | 'email' | 'phone' | 'uid' | 'accession' | 'study-date' | 'content';

/**
 * How many bytes of each HMAC are kept. The MRN index is unique per tenant, so it keeps 128 bits.
 * E-mail and phone keep 32 bits and name prefixes 16 bits: equal values still match, but unrelated
 * values collide often enough that an index value alone does not single out a patient; every
 * candidate is decrypted and checked before it is answered (docs/encryption.md says what each
 * index reveals). The idea follows CipherSweet's truncated blind indexes.
 */
export const indexBytes: Record<ExactIndexField | 'name', number> = {
  mrn: 16, email: 4, phone: 4, name: 2,
  // Images (issue 6): DICOM UIDs and accession numbers are unique identifiers (PS3.15 Annex E), looked
  // up exactly; study dates by day (a range becomes a list of days); content keys idempotent uploads.
  uid: 16, accession: 16, 'study-date': 16, content: 32,
};

/** Longest name prefix that gets a token; longer search terms use it and are filtered after decryption. */
export const MAX_NAME_PREFIX = 8;

/** Folds a name for matching: compatibility form, no diacritics, lower case ("Müller" ~ "muller"). */
export function foldName(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().normalize('NFC').trim();
}

/** One indexer per tenant key handle: its eight HKDF subkeys are derived once, not per request. */
const indexers = new WeakMap<KeyHandle, BlindIndexer>();

/**
 * Keyed blind indexes (HMAC-SHA256, RFC 2104) under the tenant's blind-index key, which is separate
 * from the keys that encrypt (KEY-1).
 */
export class BlindIndexer {
  /**
   * KeyObjects, not Buffers: createHmac imports a Buffer key on every call (about 12 µs against 2 µs
   * here), and an ingest or a search computes several indexes per row.
   */
  private readonly subkeys: Map<string, KeyObject>;

  /** The indexer of a key handle, built on first use (the keyring hands out one handle per cached tenant key). */
  static of(key: KeyHandle): BlindIndexer {
    let indexer = indexers.get(key);
    if (!indexer) {
      indexer = new BlindIndexer(key);
      indexers.set(key, indexer);
    }
    return indexer;
  }

  constructor(key: KeyHandle) {
    const root = revealKey(key);
    this.subkeys = new Map(['mrn', 'email', 'phone', 'name', 'uid', 'accession', 'study-date', 'content'].map((field) => [field, createSecretKey(Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), `clarus/v1/blind-index/${field}`, 32)))]));
  }

  private mac(field: ExactIndexField | 'name', value: string): Buffer {
    const key = this.subkeys.get(field) as KeyObject;
    return createHmac('sha256', key).update(value, 'utf8').digest().subarray(0, indexBytes[field]);
  }

  /** Index of an exact value; the caller passes it in its canonical form (MRN as stored, e-mail lower case, E.164 phone). */
  exact(field: ExactIndexField, value: string): Buffer {
    return this.mac(field, value);
  }

  /** Tokens for every prefix (1..MAX_NAME_PREFIX characters) of each word of the name. */
  nameTokens(...names: string[]): Buffer[] {
    const prefixes = new Set<string>();
    for (const name of names) {
      const folded = foldName(name);
      // The whole name and each word in it, so "van der Berg" is found by "berg" too.
      for (const word of new Set([folded, ...folded.split(/[\s'’.-]+/u)])) {
        const letters = [...word];
        for (let n = 1; n <= Math.min(letters.length, MAX_NAME_PREFIX); n += 1) prefixes.add(letters.slice(0, n).join(''));
      }
    }
    const seen = new Set<string>();
    return [...prefixes].map((prefix) => this.mac('name', prefix)).filter((token) => {
      const hex = token.toString('hex');
      if (seen.has(hex)) return false;
      seen.add(hex);
      return true;
    });
  }

  /** The token to look up for a search term (its first MAX_NAME_PREFIX folded characters). */
  nameQuery(term: string): Buffer {
    return this.mac('name', [...foldName(term)].slice(0, MAX_NAME_PREFIX).join(''));
  }
}
