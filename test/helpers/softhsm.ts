import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';

/** SoftHSM2 from Debian (package softhsm2). */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  modulePath: string;
  tokenLabel: string;
  pin: string;
  /** Removes the token directory and restores SOFTHSM2_CONF. Close every provider on it first. */
  cleanup(): void;
}

/**
 * A fresh SoftHSM2 token in a temporary directory (under os.tmpdir()), initialised with a random user
 * PIN and SO PIN.
 *
 * SoftHSM2 finds its token directory through the configuration file named by SOFTHSM2_CONF, and reads
 * that variable once, in C_Initialize. So this sets SOFTHSM2_CONF for the whole process: open PKCS#11
 * providers on the token after calling this, and keep to one token per test process at a time (a module
 * initialised earlier keeps the directory it saw until it is finalized).
 */
export function createSoftHsmToken(tokenLabel = `clarus-test-${randomBytes(3).toString('hex')}`): SoftHsmToken {
  const dir = mkdtempSync(join(tmpdir(), 'clarus-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`, { mode: 0o600 });

  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  const pin = randomBytes(9).toString('base64url');
  const soPin = randomBytes(9).toString('base64url');
  try {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', soPin], {
      env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    restore(previous);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    modulePath: SOFTHSM_MODULE,
    tokenLabel,
    pin,
    cleanup() {
      restore(previous);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function restore(previous: string | undefined): void {
  if (previous === undefined) delete process.env.SOFTHSM2_CONF;
  else process.env.SOFTHSM2_CONF = previous;
}

/**
 * Works in the token with a read-write user session of its own, as an operator with the user PIN could:
 * for checks that no provider API offers (is the key sensitive? can its value be read?) and for planting
 * objects. The module can be initialised once per process, so no provider may be open on it meanwhile.
 */
export function withTokenSession<T>(token: SoftHsmToken, look: (lib: pkcs11js.PKCS11, session: Buffer) => T): T {
  const lib = new pkcs11js.PKCS11();
  lib.load(token.modulePath);
  lib.C_Initialize();
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trimEnd() === token.tokenLabel);
    if (!slot) throw new Error(`token ${token.tokenLabel} not found`);
    const session = lib.C_OpenSession(slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
    lib.C_Login(session, pkcs11js.CKU_USER, token.pin);
    try {
      return look(lib, session);
    } finally {
      lib.C_Logout(session);
      lib.C_CloseSession(session);
    }
  } finally {
    lib.C_Finalize();
    lib.close();
  }
}

/** Labels of the secret keys in the token, sorted. */
export function secretKeyLabels(lib: pkcs11js.PKCS11, session: Buffer): string[] {
  return secretKeys(lib, session).map((key) => key.label).sort();
}

/** Handles and labels of the token's secret keys. */
export function secretKeys(lib: pkcs11js.PKCS11, session: Buffer): Array<{ handle: Buffer; label: string }> {
  lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }]);
  const handles = lib.C_FindObjects(session, 100);
  lib.C_FindObjectsFinal(session);
  return handles.map((handle) => {
    const [label] = lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_LABEL }]);
    return { handle, label: label?.value.toString('utf8') ?? '' };
  });
}
