import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The data directory is 0711: the embedded PostgreSQL runs as another system user and must traverse
 * it, but nobody may list it. The secrets directory inside is 0700.
 */
function secretsDirectory(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  const directory = join(dataDir, 'secrets');
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  chmodSync(directory, 0o700);
  return directory;
}

export interface DevelopmentSecrets {
  jwtKey: string;
  secretKey: string;
  auditKey: string;
  rootKey: string;
  generated: boolean;
  directory: string;
}

/**
 * Development mode only: secrets that are not configured are generated once into
 * `<data dir>/secrets` (directory 0700, files 0600) and reused on later starts.
 */
export function loadOrCreateDevelopmentSecrets(dataDir: string): DevelopmentSecrets {
  const directory = secretsDirectory(dataDir);
  let generated = false;
  const read = (file: string, create: () => string): string => {
    const path = join(directory, file);
    if (!existsSync(path)) {
      writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
      generated = true;
    }
    return readFileSync(path, 'utf8').trim();
  };
  const jwtKey = read('jwt-ed25519.pem', () =>
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  const secretKey = read('secret.key', () => randomBytes(32).toString('base64'));
  const auditKey = read('audit-ed25519.pem', () =>
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  // Development only: production takes the root key from CLARUS_ROOT_KEY(_FILE) kept away from the
  // data directory, or from an HSM (docs/key-providers.md).
  const rootKey = read('root.key', () => randomBytes(32).toString('base64'));
  return { jwtKey, secretKey, auditKey, rootKey, generated, directory };
}

/** A random password for a database role that Clarus creates itself (embedded mode). */
export function loadOrCreateSecretFile(dataDir: string, file: string): string {
  const directory = secretsDirectory(dataDir);
  const path = join(directory, file);
  if (!existsSync(path)) writeFileSync(path, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
  return readFileSync(path, 'utf8').trim();
}
