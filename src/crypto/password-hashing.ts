import { hash, verify } from '@node-rs/argon2';

/**
 * AUTH-1: argon2id with the OWASP Password Storage Cheat Sheet minimum (m=19 MiB, t=2, p=1).
 * The parameters are encoded in each hash, so raising them later keeps old hashes verifiable.
 */
const options = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFKC'), options);
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  try {
    return await verify(encoded, password.normalize('NFKC'));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real verification when there is no account (or no password yet),
 * so that neither answers nor timing reveal whether an account exists (AUTH-6).
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('clarus-timing-equaliser-not-a-password');
  await verifyPassword(await dummyHash, password);
  return false;
}
