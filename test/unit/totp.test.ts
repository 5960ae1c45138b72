import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  base32Decode,
  base32Encode,
  generateTotpSecret,
  hotp,
  matchTotp,
  otpauthUri,
  timeStep,
  totpAt,
} from '../../src/crypto/totp.ts';

/** The shared secret of RFC 4226 Appendix D and RFC 6238 Appendix B (SHA-1). */
const rfcSecret = Buffer.from('12345678901234567890', 'ascii');

describe('hotp (RFC 4226 Appendix D)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  for (const [counter, code] of expected.entries()) {
    test(`counter ${counter} → ${code}`, () => {
      assert.equal(hotp(rfcSecret, counter), code);
    });
  }

  test('the default is 6 digits, zero-padded', () => {
    for (let counter = 0; counter < 200; counter += 1) {
      assert.match(hotp(rfcSecret, counter), /^\d{6}$/);
    }
  });
});

describe('TOTP (RFC 6238 Appendix B, SHA-1, 8 digits)', () => {
  const vectors: Array<[number, string]> = [
    [59, '94287082'],
    [1_111_111_109, '07081804'],
    [1_111_111_111, '14050471'],
    [1_234_567_890, '89005924'],
    [2_000_000_000, '69279037'],
    [20_000_000_000, '65353130'],
  ];
  for (const [seconds, code] of vectors) {
    test(`T=${seconds} → ${code}`, () => {
      assert.equal(hotp(rfcSecret, Math.floor(seconds / 30), 8), code);
      assert.equal(timeStep(seconds * 1000), Math.floor(seconds / 30));
    });
  }

  test('totpAt gives the 6-digit code of the 30-second step', () => {
    // 6-digit truncation of the same HOTP value as the 8-digit vector 94287082.
    assert.equal(totpAt(rfcSecret, 59_000), '287082');
    assert.equal(totpAt(rfcSecret, 59_000), hotp(rfcSecret, 1));
    assert.equal(totpAt(rfcSecret, 29_999), hotp(rfcSecret, 0));
    assert.equal(totpAt(rfcSecret, 30_000), hotp(rfcSecret, 1));
  });
});

describe('base32 (RFC 4648, without padding)', () => {
  const vectors: Array<[string, string]> = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];
  for (const [plain, encoded] of vectors) {
    test(`"${plain}" ↔ "${encoded}"`, () => {
      assert.equal(base32Encode(Buffer.from(plain, 'ascii')), encoded);
      assert.equal(base32Decode(encoded).toString('ascii'), plain);
    });
  }

  test('decoding accepts RFC padding, lower case and spaces', () => {
    assert.equal(base32Decode('MZXW6YQ=').toString('ascii'), 'foob');
    assert.equal(base32Decode('MZXW6YTBOI======').toString('ascii'), 'foobar');
    assert.equal(base32Decode('mzxw 6ytb oi').toString('ascii'), 'foobar');
  });

  test('decoding refuses characters outside the alphabet', () => {
    assert.throws(() => base32Decode('MZXW1'), /not base32/);
    assert.throws(() => base32Decode('MZXW0'), /not base32/);
  });

  test('round trip of every length up to 64 bytes, and of generated 160-bit secrets', () => {
    for (let length = 0; length <= 64; length += 1) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length * 11) & 0xff));
      const encoded = base32Encode(bytes);
      assert.match(encoded, /^[A-Z2-7]*$/);
      assert.equal(encoded.length, Math.ceil((length * 8) / 5));
      assert.deepEqual(base32Decode(encoded), bytes);
    }
    for (let i = 0; i < 20; i += 1) {
      const secret = generateTotpSecret();
      assert.equal(secret.length, 20);
      assert.deepEqual(base32Decode(base32Encode(secret)), secret);
    }
  });
});

describe('matchTotp', () => {
  const secret = rfcSecret;
  // Middle of a step, so that ±30 s lands squarely in the neighbouring steps.
  const now = 1_700_000_015_000;
  const step = timeStep(now);
  const codeAt = (s: number): string => hotp(secret, s);

  test('accepts the current step and returns it', () => {
    assert.equal(matchTotp(secret, codeAt(step), now), step);
  });

  test('accepts one step before and one step after, returning the matched step', () => {
    assert.equal(matchTotp(secret, codeAt(step - 1), now), step - 1);
    assert.equal(matchTotp(secret, codeAt(step + 1), now), step + 1);
  });

  test('refuses two steps before and two steps after', () => {
    // Make sure the codes are not coincidentally equal to a code inside the window.
    const window = new Set([codeAt(step - 1), codeAt(step), codeAt(step + 1)]);
    assert.equal(window.has(codeAt(step - 2)), false);
    assert.equal(window.has(codeAt(step + 2)), false);
    assert.equal(matchTotp(secret, codeAt(step - 2), now), undefined);
    assert.equal(matchTotp(secret, codeAt(step + 2), now), undefined);
  });

  test('refuses input that is not exactly six ASCII digits', () => {
    const good = codeAt(step);
    for (const bad of ['', good.slice(0, 5), `${good}0`, ` ${good}`, `${good} `, `${good}\n`, `${good.slice(0, 3)} ${good.slice(3)}`, 'abcdef',
      hotp(secret, step, 8), '٠١٢٣٤٥']) {
      assert.equal(matchTotp(secret, bad, now), undefined, JSON.stringify(bad));
    }
  });

  test('a code for another secret is refused', () => {
    const other = Buffer.from('abcdefghijabcdefghij', 'ascii');
    const otherCode = hotp(other, step);
    const window = new Set([codeAt(step - 1), codeAt(step), codeAt(step + 1)]);
    assert.equal(window.has(otherCode), false);
    assert.equal(matchTotp(secret, otherCode, now), undefined);
  });
});

describe('otpauthUri', () => {
  test('names the issuer, the account, the base32 secret, SHA1, 6 digits and a 30-second period', () => {
    const secret = Buffer.from('foobar', 'ascii');
    const uri = new URL(otpauthUri(secret, 'Clarus Hospital', 'ada@example.org'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/Clarus Hospital:ada@example.org');
    assert.equal(uri.searchParams.get('secret'), 'MZXW6YTBOI');
    assert.equal(uri.searchParams.get('issuer'), 'Clarus Hospital');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
  });

  test('encodes characters that would break the label or the query', () => {
    const uri = otpauthUri(Buffer.from('f'), 'A&B: Radiology', 'x?y@example.org');
    const parsed = new URL(uri);
    assert.equal(parsed.searchParams.get('issuer'), 'A&B: Radiology');
    assert.equal(parsed.searchParams.get('secret'), 'MY');
    assert.equal([...parsed.searchParams.keys()].sort().join(','), 'algorithm,digits,issuer,period,secret');
  });
});
