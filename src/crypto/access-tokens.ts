import { createHash, createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { decodeKeyMaterial } from '../config/secret-strength.ts';

/** Claims of an access token: it names a server-side session, which is checked on every request. */
export interface AccessClaims {
  sub: string;
  tid: string;
  sid: string;
}

export type AccessTokenCheck =
  | { ok: true; claims: AccessClaims }
  | { ok: false; reason: 'expired' | 'invalid' };

/**
 * AUTH-3: access JWTs signed with Ed25519 (EdDSA) or HS256 with a key of at least 256 bits (checked
 * by the config), a `kid` naming the key so that keys can rotate, a lifetime of at most one hour.
 */
export class AccessTokenSigner {
  private readonly algorithm: 'EdDSA' | 'HS256';
  private readonly signingKey: KeyObject;
  private readonly verifyKey: KeyObject;
  readonly keyId: string;

  constructor(keyMaterial: string, private readonly ttlSeconds: number, private readonly issuer = 'clarus') {
    if (keyMaterial.includes('-----BEGIN')) {
      this.algorithm = 'EdDSA';
      this.signingKey = createPrivateKey(keyMaterial);
      this.verifyKey = createPublicKey(this.signingKey);
      const spki = this.verifyKey.export({ format: 'der', type: 'spki' });
      this.keyId = createHash('sha256').update(spki).digest('base64url').slice(0, 16);
    } else {
      this.algorithm = 'HS256';
      this.signingKey = createSecretKey(decodeKeyMaterial(keyMaterial) ?? Buffer.alloc(0));
      this.verifyKey = this.signingKey;
      this.keyId = createHash('sha256').update('kid:').update(this.signingKey.export()).digest('base64url').slice(0, 16);
    }
  }

  async sign(claims: AccessClaims, nowMs: number): Promise<string> {
    const issuedAt = Math.floor(nowMs / 1000);
    return new SignJWT({ tid: claims.tid, sid: claims.sid })
      .setProtectedHeader({ alg: this.algorithm, kid: this.keyId, typ: 'at+jwt' })
      .setSubject(claims.sub)
      .setIssuer(this.issuer)
      .setAudience(this.issuer)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.signingKey);
  }

  async verify(token: string, nowMs: number): Promise<AccessTokenCheck> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, this.verifyKey, {
        algorithms: [this.algorithm],
        issuer: this.issuer,
        audience: this.issuer,
        currentDate: new Date(nowMs),
        typ: 'at+jwt',
      });
      if (protectedHeader.kid !== this.keyId) return { ok: false, reason: 'invalid' };
      const { sub, tid, sid } = payload;
      if (typeof sub !== 'string' || typeof tid !== 'string' || typeof sid !== 'string') return { ok: false, reason: 'invalid' };
      return { ok: true, claims: { sub, tid, sid } };
    } catch (error) {
      return { ok: false, reason: error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}
