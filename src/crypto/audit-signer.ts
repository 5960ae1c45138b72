import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 signatures of audit checkpoints (AUD-2). The private key comes from configuration
 * (CLARUS_AUDIT_SIGNING_KEY; a key provider with the encryption capability); the public key and its
 * id are published for auditors (docs/audit-log.md).
 */
export class AuditSigner {
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(pem: string) {
    this.privateKey = createPrivateKey(pem);
    if (this.privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the audit signing key must be Ed25519');
    this.publicKey = createPublicKey(this.privateKey);
    this.keyId = createHash('sha256').update(this.publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
  }

  sign(statement: Buffer): Buffer {
    return sign(null, statement, this.privateKey);
  }

  publicKeyPem(): string {
    return this.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }
}

/** Checks a checkpoint signature with a public key (PEM), as the verifier and auditors do. */
export function verifyCheckpointSignature(publicKeyPem: string, statement: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, statement, createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}
