import { createHmac, hkdfSync } from 'node:crypto';
import { revealKey, type KeyHandle } from './keys/key-material.ts';

/** Subkeys of a tenant's pseudonym key, one per use, so that values of one kind never match another. */
type PseudonymPurpose = 'uid' | 'date-shift' | 'patient' | 'token';

/** Longest date shift, in days: about ten years (docs/deidentification.md, "Dates"). */
export const MAX_DATE_SHIFT_DAYS = 3650;

/** RFC 4648 base32 alphabet (upper case, no padding): safe in DICOM LO/SH/CS values and file names. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Keyed pseudonyms of one tenant (DEID-1, DEID-4), from the tenant's `pseudonym` key. Everything is
 * HMAC-SHA256 (RFC 2104) under HKDF-SHA256 subkeys (RFC 5869) of that key, so the same input gives
 * the same output in every export of the tenant, and nobody without the key — another tenant, a
 * recipient of the data — can compute, reverse or confirm a guess of any of them.
 *
 * The pseudonym key never rotates: a new key would change every pseudonym, UID and date shift, and
 * results could no longer be re-linked (key rotation in KeyService touches key-encryption keys only).
 */
export class TenantPseudonyms {
  private readonly subkeys: ReadonlyMap<PseudonymPurpose, Buffer>;

  constructor(key: KeyHandle) {
    const root = revealKey(key);
    const purposes: PseudonymPurpose[] = ['uid', 'date-shift', 'patient', 'token'];
    this.subkeys = new Map(purposes.map((p) => [p, Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), `clarus/v1/deid/${p}`, 32))]));
  }

  private mac(purpose: PseudonymPurpose, value: string): Buffer {
    return createHmac('sha256', this.subkeys.get(purpose) as Buffer).update(value, 'utf8').digest();
  }

  /**
   * The replacement of a DICOM UID: `2.25.` and the decimal integer of a UUID (PS3.5 §B.2, ITU-T
   * X.667) built from the first 128 bits of HMAC(uid subkey, original) with the version and variant
   * bits of an RFC 9562 version 8 (custom) UUID set — 122 keyed bits, at most 44 characters.
   */
  uid(original: string): string {
    const bytes = this.mac('uid', original).subarray(0, 16);
    bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
    bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
    return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
  }

  /** `P-` and 16 base32 characters (80 bits) of HMAC(patient subkey, the tenant's identity of the patient). */
  patientPseudonym(identity: string): string {
    return `P-${base32(this.mac('patient', identity).subarray(0, 10))}`;
  }

  /**
   * Days by which this patient's dates move back: 1 to {@link MAX_DATE_SHIFT_DAYS}, never 0, the same
   * for all their studies (Retain Longitudinal Temporal Information with Modified Dates, PS3.15 E.3.6).
   */
  dateShiftDays(identity: string): number {
    return (this.mac('date-shift', identity).readUInt32BE(0) % MAX_DATE_SHIFT_DAYS) + 1;
  }

  /** A short keyed token (base32, `length` characters, at most 52) for other values of a kind, e.g. AE titles or file names. */
  token(kind: string, value: string, length = 12): string {
    return base32(this.mac('token', `${kind}\u0000${value}`)).slice(0, Math.min(Math.max(length, 1), 52));
  }
}
