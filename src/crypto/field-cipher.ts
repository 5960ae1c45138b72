import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { secretKeyOf, type KeyHandle } from './keys/key-material.ts';

/**
 * Where a field value belongs. All of it is associated data (NIST SP 800-38D §5.2.1): a ciphertext
 * copied to another tenant, table, row or field, or presented under another key version, fails to open.
 */
export interface FieldPlace {
  tenantId: string;
  table: string;
  rowId: string;
  field: string;
  keyVersion: number;
}

/** A field that does not open: altered, moved, or under a key that is gone. Carries no value. */
export class FieldIntegrityError extends Error {
  constructor(readonly place: Omit<FieldPlace, 'tenantId'>) {
    super(`encrypted field ${place.table}.${place.field} of row ${place.rowId} does not open`);
    this.name = 'FieldIntegrityError';
  }
}

const FORMAT = 1;
const NONCE = 12;
const TAG = 16;

function associatedData(place: FieldPlace): Buffer {
  // Length-prefixed parts: no two different places can produce the same bytes. Written into one
  // buffer (a field is opened per row and column: the 12 small buffers of a concat showed in profiles).
  const parts = ['clarus/field/v1', place.tenantId, place.table, place.rowId, place.field, String(place.keyVersion)];
  let size = 0;
  for (const part of parts) size += 2 + Buffer.byteLength(part, 'utf8');
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const part of parts) {
    const length = out.write(part, at + 2, 'utf8');
    out.writeUInt16BE(length, at);
    at += 2 + length;
  }
  return out;
}

/**
 * AES-256-GCM for one field value (KEY-1). Layout: format(1) | nonce(12) | ciphertext | tag(16).
 * Random 96-bit nonces under a per-patient key stay far below the 2^32 messages per key of
 * SP 800-38D §8.3.
 */
export function sealField(key: KeyHandle, plaintext: string, place: FieldPlace, nonce: Buffer = randomBytes(NONCE)): Buffer {
  const cipher = createCipheriv('aes-256-gcm', secretKeyOf(key), nonce);
  cipher.setAAD(associatedData(place));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT]), nonce, body, cipher.getAuthTag()]);
}

export function openField(key: KeyHandle, sealed: Buffer, place: FieldPlace): string {
  const shown = { table: place.table, rowId: place.rowId, field: place.field, keyVersion: place.keyVersion };
  if (sealed.length < 1 + NONCE + TAG || sealed[0] !== FORMAT) throw new FieldIntegrityError(shown);
  try {
    const decipher = createDecipheriv('aes-256-gcm', secretKeyOf(key), sealed.subarray(1, 1 + NONCE));
    decipher.setAAD(associatedData(place));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE, sealed.length - TAG)), decipher.final()]).toString('utf8');
  } catch {
    throw new FieldIntegrityError(shown);
  }
}
