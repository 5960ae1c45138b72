import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { AccessTokenSigner, type AccessClaims } from '../../src/crypto/access-tokens.ts';

function ed25519Pem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

const ttl = 900;
const now = 1_760_000_000_000;
const claims: AccessClaims = { sub: 'user-1', tid: 'tenant-1', sid: 'session-1' };
const pem = ed25519Pem();

/** Re-encodes the payload of a token, keeping its header and signature. */
function withPayload(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.');
  assert.ok(header !== undefined && payload !== undefined && signature !== undefined);
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  change(decoded);
  return `${header}.${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`;
}

describe('AccessTokenSigner with Ed25519', () => {
  test('sign → verify round trip gives the claims back', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const token = await signer.sign(claims, now);
    assert.deepEqual(await signer.verify(token, now), { ok: true, claims });
  });

  test('header is alg EdDSA, typ at+jwt, kid of 16 base64url characters naming the key', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const header = decodeProtectedHeader(await signer.sign(claims, now));
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.kid, signer.keyId);
    assert.match(signer.keyId, /^[A-Za-z0-9_-]{16}$/);
    assert.equal(new AccessTokenSigner(pem, ttl).keyId, signer.keyId, 'the kid is derived from the key');
    assert.notEqual(new AccessTokenSigner(ed25519Pem(), ttl).keyId, signer.keyId);
  });

  test('payload carries iss, aud, sub, tid, sid, iat and exp = iat + ttl', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const payload = decodeJwt(await signer.sign(claims, now + 999));
    assert.equal(payload.iss, 'clarus');
    assert.equal(payload.aud, 'clarus');
    assert.equal(payload.sub, 'user-1');
    assert.equal(payload.tid, 'tenant-1');
    assert.equal(payload.sid, 'session-1');
    assert.equal(payload.iat, now / 1000);
    assert.equal(payload.exp, now / 1000 + ttl);
  });

  test('valid until just before exp, expired from exp on', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const token = await signer.sign(claims, now);
    assert.equal((await signer.verify(token, now + ttl * 1000 - 1)).ok, true);
    assert.deepEqual(await signer.verify(token, now + ttl * 1000), { ok: false, reason: 'expired' });
    assert.deepEqual(await signer.verify(token, now + 24 * 3600 * 1000), { ok: false, reason: 'expired' });
  });

  test('a token signed by another key is invalid', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const other = new AccessTokenSigner(ed25519Pem(), ttl);
    assert.deepEqual(await signer.verify(await other.sign(claims, now), now), { ok: false, reason: 'invalid' });
  });

  test('a token of the same key but another kid is invalid', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const token = await new SignJWT({ tid: claims.tid, sid: claims.sid })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'another-key-id-1', typ: 'at+jwt' })
      .setSubject(claims.sub).setIssuer('clarus').setAudience('clarus')
      .setIssuedAt(now / 1000).setExpirationTime(now / 1000 + ttl)
      .sign(createPrivateKey(pem));
    assert.deepEqual(await signer.verify(token, now), { ok: false, reason: 'invalid' });
  });

  test('a tampered payload is invalid', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const token = await signer.sign(claims, now);
    const tampered = withPayload(token, (payload) => { payload.sub = 'user-2'; });
    assert.notEqual(tampered, token);
    assert.deepEqual(await signer.verify(tampered, now), { ok: false, reason: 'invalid' });
    const extended = withPayload(token, (payload) => { payload.exp = (payload.exp as number) + 86_400; });
    assert.deepEqual(await signer.verify(extended, now), { ok: false, reason: 'invalid' });
  });

  test('a tampered signature and garbage are invalid', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const token = await signer.sign(claims, now);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    assert.deepEqual(await signer.verify(`${token.slice(0, -2)}${last}${token.slice(-1)}`, now), { ok: false, reason: 'invalid' });
    assert.deepEqual(await signer.verify('', now), { ok: false, reason: 'invalid' });
    assert.deepEqual(await signer.verify('a.b.c', now), { ok: false, reason: 'invalid' });
  });

  test('another issuer/audience is invalid', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const elsewhere = new AccessTokenSigner(pem, ttl, 'other-service');
    assert.deepEqual(await signer.verify(await elsewhere.sign(claims, now), now), { ok: false, reason: 'invalid' });
  });

  test('an unsigned (alg none) token is invalid', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const token = await signer.sign(claims, now);
    const [, payload] = token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: signer.keyId, typ: 'at+jwt' })).toString('base64url');
    assert.deepEqual(await signer.verify(`${header}.${payload}.`, now), { ok: false, reason: 'invalid' });
  });

  test('a token of another typ (e.g. an ID token) is invalid', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const token = await new SignJWT({ tid: claims.tid, sid: claims.sid })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.keyId, typ: 'JWT' })
      .setSubject(claims.sub).setIssuer('clarus').setAudience('clarus')
      .setIssuedAt(now / 1000).setExpirationTime(now / 1000 + ttl)
      .sign(createPrivateKey(pem));
    assert.deepEqual(await signer.verify(token, now), { ok: false, reason: 'invalid' });
  });

  test('a token without sid is invalid', async () => {
    const signer = new AccessTokenSigner(pem, ttl);
    const token = await new SignJWT({ tid: claims.tid })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.keyId, typ: 'at+jwt' })
      .setSubject(claims.sub).setIssuer('clarus').setAudience('clarus')
      .setIssuedAt(now / 1000).setExpirationTime(now / 1000 + ttl)
      .sign(createPrivateKey(pem));
    assert.deepEqual(await signer.verify(token, now), { ok: false, reason: 'invalid' });
  });
});

describe('AccessTokenSigner with HS256', () => {
  const secret = randomBytes(32).toString('base64');

  test('sign → verify round trip with a 32-byte base64 key, header alg HS256', async () => {
    const signer = new AccessTokenSigner(secret, ttl);
    const token = await signer.sign(claims, now);
    assert.equal(decodeProtectedHeader(token).alg, 'HS256');
    assert.equal(decodeProtectedHeader(token).kid, signer.keyId);
    assert.deepEqual(await signer.verify(token, now), { ok: true, claims });
    assert.deepEqual(await signer.verify(token, now + ttl * 1000), { ok: false, reason: 'expired' });
  });

  test('another secret does not verify', async () => {
    const signer = new AccessTokenSigner(secret, ttl);
    const other = new AccessTokenSigner(randomBytes(32).toString('base64'), ttl);
    assert.notEqual(other.keyId, signer.keyId);
    assert.deepEqual(await other.verify(await signer.sign(claims, now), now), { ok: false, reason: 'invalid' });
  });

  test('algorithm confusion: an EdDSA signer refuses HS256 tokens, even one keyed with its own public key', async () => {
    const edSigner = new AccessTokenSigner(pem, ttl);
    const hsSigner = new AccessTokenSigner(secret, ttl);
    assert.deepEqual(await edSigner.verify(await hsSigner.sign(claims, now), now), { ok: false, reason: 'invalid' });

    const publicKey = createPublicKey(createPrivateKey(pem));
    for (const material of [publicKey.export({ format: 'der', type: 'spki' }), Buffer.from(publicKey.export({ format: 'pem', type: 'spki' }))]) {
      const forged = await new SignJWT({ tid: claims.tid, sid: claims.sid })
        .setProtectedHeader({ alg: 'HS256', kid: edSigner.keyId, typ: 'at+jwt' })
        .setSubject(claims.sub).setIssuer('clarus').setAudience('clarus')
        .setIssuedAt(now / 1000).setExpirationTime(now / 1000 + ttl)
        .sign(createSecretKey(material));
      assert.deepEqual(await edSigner.verify(forged, now), { ok: false, reason: 'invalid' });
    }
  });

  test('an HS256 signer refuses EdDSA tokens', async () => {
    const edSigner = new AccessTokenSigner(pem, ttl);
    const hsSigner = new AccessTokenSigner(secret, ttl);
    assert.deepEqual(await hsSigner.verify(await edSigner.sign(claims, now), now), { ok: false, reason: 'invalid' });
  });
});
