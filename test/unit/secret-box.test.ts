import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SecretBox } from '../../src/crypto/secret-box.ts';

const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const box = new SecretBox(key);
const plaintext = Buffer.from('JBSWY3DPEHPK3PXP-totp-seed', 'utf8');
const owner = 'user:7f1c2d5e';

/** A copy of the sealed value with one bit flipped at an index. */
function flipped(sealed: Buffer, index: number): Buffer {
  const copy = Buffer.from(sealed);
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

describe('SecretBox (AES-256-GCM)', () => {
  test('opens what it sealed, with the same associated data', () => {
    const sealed = box.seal(plaintext, owner);
    assert.deepEqual(box.open(sealed, owner), plaintext);
  });

  test('layout is version 1 | nonce(12) | tag(16) | ciphertext of the plaintext length, without the plaintext in clear', () => {
    const sealed = box.seal(plaintext, owner);
    assert.equal(sealed[0], 1);
    assert.equal(sealed.length, 1 + 12 + 16 + plaintext.length);
    assert.equal(sealed.includes(plaintext), false);
  });

  test('round trip of an empty plaintext and of a large one', () => {
    const empty = Buffer.alloc(0);
    assert.deepEqual(box.open(box.seal(empty, owner), owner), empty);
    const large = randomBytes(64 * 1024);
    assert.deepEqual(box.open(box.seal(large, owner), owner), large);
  });

  test('different associated data does not open', () => {
    const sealed = box.seal(plaintext, owner);
    assert.throws(() => box.open(sealed, 'user:7f1c2d5f'));
    assert.throws(() => box.open(sealed, ''));
  });

  test('another key does not open', () => {
    const sealed = box.seal(plaintext, owner);
    const other = new SecretBox(Buffer.from(key).reverse());
    assert.throws(() => other.open(sealed, owner));
  });

  test('a flipped byte in the nonce, the tag or the ciphertext does not open', () => {
    const sealed = box.seal(plaintext, owner);
    const regions: Array<[string, number]> = [
      ['nonce (first)', 1], ['nonce (last)', 12],
      ['tag (first)', 13], ['tag (last)', 28],
      ['ciphertext (first)', 29], ['ciphertext (last)', sealed.length - 1],
    ];
    for (const [name, index] of regions) {
      assert.throws(() => box.open(flipped(sealed, index), owner), `${name} byte ${index}`);
    }
    // The untouched value still opens, so the failures above come from the flips.
    assert.deepEqual(box.open(sealed, owner), plaintext);
  });

  test('an unknown version byte is refused as an unknown format', () => {
    const sealed = box.seal(plaintext, owner);
    for (const version of [0, 2, 255]) {
      const copy = Buffer.from(sealed);
      copy[0] = version;
      assert.throws(() => box.open(copy, owner), /unknown format/);
    }
  });

  test('a value shorter than version + nonce + tag is refused', () => {
    const sealed = box.seal(plaintext, owner);
    assert.throws(() => box.open(sealed.subarray(0, 28), owner), /unknown format/);
    assert.throws(() => box.open(Buffer.alloc(0), owner), /unknown format/);
  });

  test('a truncated ciphertext does not open', () => {
    const sealed = box.seal(plaintext, owner);
    assert.throws(() => box.open(sealed.subarray(0, sealed.length - 1), owner));
  });

  test('two seals of the same plaintext differ (fresh nonce each time)', () => {
    const a = box.seal(plaintext, owner);
    const b = box.seal(plaintext, owner);
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(a.subarray(1, 13), b.subarray(1, 13));
    assert.deepEqual(box.open(a, owner), box.open(b, owner));
  });
});
