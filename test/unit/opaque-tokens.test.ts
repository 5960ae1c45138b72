import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokenHasher, generateRecoveryCodes, normaliseRecoveryCode, randomToken } from '../../src/crypto/opaque-tokens.ts';

const recoveryAlphabet = 'abcdefghijkmnpqrstuvwxyz23456789';

describe('randomToken', () => {
  test('is 32 bytes of base64url by default (43 characters, no padding)', () => {
    const token = randomToken();
    assert.equal(token.length, 43);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
  });

  test('honours the byte count', () => {
    assert.equal(Buffer.from(randomToken(16), 'base64url').length, 16);
    assert.equal(randomToken(16).length, 22);
    assert.equal(randomToken(48).length, 64);
  });

  test('does not repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    assert.equal(tokens.size, 1000);
  });
});

describe('TokenHasher (HMAC-SHA256)', () => {
  const keyA = Buffer.alloc(32, 0xa1);
  const keyB = Buffer.alloc(32, 0xb2);

  test('is deterministic for one key', () => {
    const token = randomToken();
    assert.equal(new TokenHasher(keyA).hash(token), new TokenHasher(keyA).hash(token));
  });

  test('is a base64url SHA-256 MAC that does not contain the token', () => {
    const token = randomToken();
    const hashed = new TokenHasher(keyA).hash(token);
    assert.match(hashed, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(hashed, token);
  });

  test('differs per key and per token', () => {
    const token = randomToken();
    assert.notEqual(new TokenHasher(keyA).hash(token), new TokenHasher(keyB).hash(token));
    assert.notEqual(new TokenHasher(keyA).hash(token), new TokenHasher(keyA).hash(`${token}x`));
  });

  test('matches() accepts the token and refuses others, other keys and malformed hashes', () => {
    const hasher = new TokenHasher(keyA);
    const token = randomToken();
    const stored = hasher.hash(token);
    assert.equal(hasher.matches(token, stored), true);
    assert.equal(hasher.matches(randomToken(), stored), false);
    assert.equal(new TokenHasher(keyB).matches(token, stored), false);
    assert.equal(hasher.matches(token, stored.slice(0, -1)), false);
    assert.equal(hasher.matches(token, ''), false);
    assert.equal(hasher.matches(token, token), false);
  });
});

describe('recovery codes', () => {
  test('ten by default, all different, formatted xxxxx-xxxxx from an unambiguous alphabet', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    const pattern = new RegExp(`^[${recoveryAlphabet}]{5}-[${recoveryAlphabet}]{5}$`);
    for (const code of codes) {
      assert.match(code, pattern);
      assert.doesNotMatch(code, /[l01o]/);
    }
  });

  test('the count is configurable', () => {
    assert.equal(generateRecoveryCodes(3).length, 3);
    assert.equal(generateRecoveryCodes(0).length, 0);
  });

  test('over many codes, every character of the 32-letter alphabet appears', () => {
    const seen = new Set(generateRecoveryCodes(500).join('').replace(/-/g, ''));
    assert.deepEqual([...seen].sort().join(''), [...recoveryAlphabet].sort().join(''));
  });

  test('normaliseRecoveryCode removes case, spaces and dashes', () => {
    assert.equal(normaliseRecoveryCode('ABCDE-FGHIJ'), 'abcdefghij');
    assert.equal(normaliseRecoveryCode(' abcde fghij '), 'abcdefghij');
    assert.equal(normaliseRecoveryCode('ab-cd\tefg\nhij'), 'abcdefghij');
    const [code] = generateRecoveryCodes(1);
    assert.ok(code !== undefined);
    assert.equal(normaliseRecoveryCode(code.toUpperCase().replace('-', ' - ')), code.replace('-', ''));
  });
});
