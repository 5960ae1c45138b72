import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../../src/crypto/password-hashing.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem } from '../../src/crypto/password-policy.ts';

describe('passwordProblem: length (NIST SP 800-63B, counted in code points)', () => {
  test('the limits are 12 and 256', () => {
    assert.equal(MIN_PASSWORD_LENGTH, 12);
    assert.equal(MAX_PASSWORD_LENGTH, 256);
  });

  test('11 characters are refused, 12 are accepted', () => {
    assert.match(passwordProblem('vq7-Lm2;xR9') ?? '', /at least 12/);
    assert.equal(passwordProblem('vq7-Lm2;xR9k'), undefined);
  });

  test('emoji count as one character each, not as UTF-16 units', () => {
    const twelve = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋', '😎'];
    const eleven = twelve.slice(0, 11).join('');
    assert.equal(eleven.length, 22, 'the 11-emoji string is 22 UTF-16 units long');
    assert.match(passwordProblem(eleven) ?? '', /at least 12/);
    assert.equal(passwordProblem(twelve.join('')), undefined);
  });

  test('256 characters are accepted, 257 refused', () => {
    const unit = 'Tq8#zW1!mK4$';
    const long = unit.repeat(22).slice(0, 256);
    assert.equal([...long].length, 256);
    assert.equal(passwordProblem(long), undefined);
    assert.match(passwordProblem(`${long}x`) ?? '', /at most 256/);
  });
});

describe('passwordProblem: common and guessable passwords', () => {
  for (const password of ['password1234', 'Password1234!', '123456789012', 'qwertyuiop12', 'PASSWORD1234', '!!!!password', 'P@ssw0rd1234']) {
    test(`refuses ${JSON.stringify(password)} as too common`, () => {
      assert.equal(passwordProblem(password), 'is too common');
    });
  }

  test('refuses a repeated character', () => {
    assert.equal(passwordProblem('aaaaaaaaaaaaaaaa'), 'is too repetitive');
    assert.equal(passwordProblem('abababababababab'), 'is too repetitive');
  });

  test('refuses the product name with digits appended', () => {
    assert.equal(passwordProblem('clarus123456'), 'is too easy to guess from the context');
    assert.equal(passwordProblem('Clarus2024!!!'), 'is too easy to guess from the context');
  });

  test('refuses the e-mail address and its local part, with or without digits appended', () => {
    const email = 'margarethe.lindqvist@example.org';
    const expected = 'is too easy to guess from the context';
    assert.equal(passwordProblem(email, { email }), expected);
    assert.equal(passwordProblem('Margarethe.Lindqvist@Example.org', { email }), expected);
    assert.equal(passwordProblem(`${email}2024`, { email }), expected);
    assert.equal(passwordProblem('margarethe.lindqvist', { email }), expected);
    assert.equal(passwordProblem('margarethe.lindqvist1987', { email }), expected);
    assert.equal(passwordProblem('Margarethe.Lindqvist!!', { email }), expected);
  });

  test('the same local-part password is accepted for another account', () => {
    assert.equal(passwordProblem('margarethe.lindqvist1987', { email: 'ada@example.org' }), undefined);
    assert.equal(passwordProblem('margarethe.lindqvist1987'), undefined);
  });
});

describe('passwordProblem: long unusual passphrases in several scripts', () => {
  for (const password of ['correct horse battery staple', 'Жёлтый дракон летит', '緑の山と青い川の歌が聞こえる', 'Ο γλάρος πετά πάνω από τη θάλασσα', 'שמש חמה מעל ההרים הירוקים']) {
    test(`accepts ${JSON.stringify(password)}`, () => {
      assert.ok([...password].length >= 12);
      assert.equal(passwordProblem(password), undefined);
      assert.equal(passwordProblem(password, { email: 'ada.lovelace@example.org' }), undefined);
    });
  }
});

describe('password hashing (argon2id)', () => {
  test('hashes with argon2id v19, m=19456, t=2, p=1 and a fresh salt', async () => {
    const first = await hashPassword('correct horse battery staple');
    const second = await hashPassword('correct horse battery staple');
    assert.match(first, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    assert.notEqual(first, second, 'each hash has its own salt');
  });

  test('verify is true for the password and false for any other', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    assert.equal(await verifyPassword(encoded, 'correct horse battery staple'), true);
    assert.equal(await verifyPassword(encoded, 'correct horse battery stapl'), false);
    assert.equal(await verifyPassword(encoded, 'Correct horse battery staple'), false);
    assert.equal(await verifyPassword(encoded, ''), false);
  });

  test('verify is false (not an exception) for a malformed hash', async () => {
    assert.equal(await verifyPassword('not-a-hash', 'correct horse battery staple'), false);
    assert.equal(await verifyPassword('', 'correct horse battery staple'), false);
  });

  test('verifyAgainstDummy always answers false', async () => {
    assert.equal(await verifyAgainstDummy('correct horse battery staple'), false);
    assert.equal(await verifyAgainstDummy('clarus-timing-equaliser-not-a-password'), false);
  });

  test('passwords are NFKC-normalised: the "ﬁ" ligature verifies as "fi" and vice versa', async () => {
    const ligature = 'ﬁrst light over the harbour';
    const plain = 'first light over the harbour';
    assert.notEqual(ligature, plain);
    assert.equal(await verifyPassword(await hashPassword(ligature), plain), true);
    assert.equal(await verifyPassword(await hashPassword(plain), ligature), true);
  });

  test('composed and decomposed accents verify alike', async () => {
    const composed = 'Jos\u00e9 lives by the sea';
    const decomposed = 'Jose\u0301 lives by the sea';
    assert.notEqual(composed, decomposed);
    assert.equal(await verifyPassword(await hashPassword(decomposed), composed), true);
  });
});
