import { randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import pkcs11js from 'pkcs11js';
import type { RootKeyProvider } from './root-key-provider.ts';

/** Where the root keys live: a PKCS#11 module (the HSM vendor's library), a token, its user PIN. */
export interface Pkcs11RootKeySettings {
  modulePath: string;
  tokenLabel: string;
  pin: string;
  /** Root keys are labelled `<prefix>-1`, `<prefix>-2`, …; the highest number is current. */
  keyLabelPrefix: string;
}

type Handle = Buffer;
interface RootKeyObject {
  n: number;
  label: string;
  handle: Handle;
}

// Wrapped layout: version(1) | iv(12) | ciphertext | tag(16). A 96-bit IV is the size NIST SP 800-38D
// §8.2 recommends for GCM; the tag is the full 128 bits.
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A short description of a pkcs11js error: the CKR_* name, or the native message (dlopen and the like).
 * pkcs11js messages never repeat call arguments; C_Login, the one call that sees the PIN, has its own.
 */
function reason(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'unknown error';
}

function isCkr(error: unknown, code: number): boolean {
  return error instanceof pkcs11js.Pkcs11Error && error.code === code;
}

/** A CK_BBOOL attribute value. */
function bool(value: Buffer | undefined): boolean {
  return value !== undefined && value.length > 0 && value[0] !== 0;
}

/** A CK_ULONG attribute value (native size and byte order of the module). */
function ulong(value: Buffer | undefined): number {
  if (!value) return 0;
  const le = endianness() === 'LE';
  if (value.length === 8) return Number(le ? value.readBigUInt64LE() : value.readBigUInt64BE());
  if (value.length === 4) return le ? value.readUInt32LE() : value.readUInt32BE();
  return 0;
}

/**
 * Root keys inside an HSM, reached through its PKCS#11 module (tested with SoftHSM2; Luna, nShield and
 * YubiHSM ship PKCS#11 modules too). Each root key is an AES-256 secret key generated in the token —
 * CKA_SENSITIVE true, CKA_EXTRACTABLE false — so its bytes never exist outside the HSM (PKCS#11 v2.40
 * §4.9). Key material is wrapped by CKM_AES_GCM inside the token with a random IV and the context string
 * as associated data.
 *
 * One provider per module per process: C_Initialize and the login state belong to the whole process
 * (PKCS#11 v2.40 §5.4, §5.6). All calls run one after another on one session, which PKCS#11 does not
 * allow to be used concurrently (§2.6.2); pkcs11js calls are synchronous, the queue keeps that true if
 * its async variants are used later.
 */
export class Pkcs11RootKeyProvider implements RootKeyProvider {
  readonly kind = 'pkcs11';
  /** Newest first. */
  private keys: RootKeyObject[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly lib: pkcs11js.PKCS11,
    private readonly session: Handle,
    private readonly tokenLabel: string,
    private readonly prefix: string,
  ) {}

  /**
   * Loads the module, logs in to the token with this label and finds the root keys; on a token without
   * any, generates `<prefix>-1` inside it. SoftHSM2 reads SOFTHSM2_CONF when the module is initialised.
   */
  static async open(settings: Pkcs11RootKeySettings): Promise<Pkcs11RootKeyProvider> {
    const { modulePath, tokenLabel, pin, keyLabelPrefix } = settings;
    if (!/^[A-Za-z0-9._-]{1,48}$/.test(keyLabelPrefix)) throw new Error('the PKCS#11 key label prefix must be 1–48 characters of A–Z, a–z, 0–9, . _ -');
    if (tokenLabel.length === 0 || tokenLabel.length > 32) throw new Error('a PKCS#11 token label has 1–32 characters');

    const lib = new pkcs11js.PKCS11();
    try {
      lib.load(modulePath);
    } catch (error) {
      throw new Error(`cannot load the PKCS#11 module ${modulePath}: ${reason(error)}`);
    }
    try {
      lib.C_Initialize();
    } catch (error) {
      lib.close();
      if (isCkr(error, pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
        throw new Error(`the PKCS#11 module ${modulePath} is already in use in this process: open one root-key provider and share it`);
      }
      throw new Error(`cannot initialise the PKCS#11 module ${modulePath}: ${reason(error)}`);
    }

    let session: Handle | undefined;
    let loggedIn = false;
    try {
      session = lib.C_OpenSession(findSlot(lib, tokenLabel), pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
      try {
        lib.C_Login(session, pkcs11js.CKU_USER, pin);
      } catch (error) {
        // Only the CKR_* name: the PIN must not reach a log through this message.
        throw new Error(`login to PKCS#11 token "${tokenLabel}" failed: ${error instanceof pkcs11js.Pkcs11Error ? error.message : 'unexpected error'} (check CLARUS_PKCS11_PIN)`);
      }
      loggedIn = true;
      const provider = new Pkcs11RootKeyProvider(lib, session, tokenLabel, keyLabelPrefix);
      provider.scan();
      if (provider.keys.length === 0) provider.generate(1);
      return provider;
    } catch (error) {
      if (session) {
        if (loggedIn) attempt(() => lib.C_Logout(session as Handle));
        attempt(() => lib.C_CloseSession(session as Handle));
      }
      attempt(() => lib.C_Finalize());
      attempt(() => lib.close());
      throw error;
    }
  }

  currentKeyId(): string {
    return this.idOf(this.current().label);
  }

  keyIds(): string[] {
    return this.keys.map((key) => this.idOf(key.label));
  }

  async wrap(keyMaterial: Buffer, context: string): Promise<{ rootKeyId: string; wrapped: Buffer }> {
    if (keyMaterial.length === 0) throw new Error('there is no key material to wrap');
    return this.serialize(() => {
      // Another process (`clarus keys rotate-root`) may have made a newer key current: wrap with it.
      this.scan();
      const key = this.current();
      const iv = randomBytes(IV_BYTES);
      try {
        this.lib.C_EncryptInit(this.session, gcm(iv, context), key.handle);
        const body = this.lib.C_Encrypt(this.session, keyMaterial, Buffer.alloc(keyMaterial.length + TAG_BYTES));
        return { rootKeyId: this.idOf(key.label), wrapped: Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, body]) };
      } catch (error) {
        throw new Error(`wrapping with root key ${this.idOf(key.label)} failed: ${reason(error)}`);
      }
    });
  }

  async unwrap(rootKeyId: string, wrapped: Buffer, context: string): Promise<Buffer> {
    if (wrapped.length < 1 + IV_BYTES + TAG_BYTES || wrapped[0] !== FORMAT_VERSION) throw new Error('wrapped key has an unknown format');
    return this.serialize(() => {
      let key = this.find(rootKeyId);
      if (!key) {
        // Perhaps created by another process since we last looked.
        this.scan();
        key = this.find(rootKeyId);
      }
      if (!key) throw this.notConfigured(rootKeyId);
      const iv = Buffer.from(wrapped.subarray(1, 1 + IV_BYTES));
      const body = wrapped.subarray(1 + IV_BYTES);
      try {
        this.lib.C_DecryptInit(this.session, gcm(iv, context), key.handle);
        return this.lib.C_Decrypt(this.session, body, Buffer.alloc(body.length));
      } catch (error) {
        if (isCkr(error, pkcs11js.CKR_KEY_HANDLE_INVALID) || isCkr(error, pkcs11js.CKR_OBJECT_HANDLE_INVALID)) {
          // Destroyed by another process.
          this.scan();
          throw this.notConfigured(rootKeyId);
        }
        throw new Error(`unwrapping with root key ${rootKeyId} failed: the wrapped key or its context does not match (${reason(error)})`);
      }
    });
  }

  async createNextKey(): Promise<string> {
    return this.serialize(() => {
      this.scan();
      const next = this.current().n + 1;
      this.generate(next);
      return this.idOf(this.labelOf(next));
    });
  }

  async retireKey(rootKeyId: string): Promise<void> {
    return this.serialize(() => {
      this.scan();
      const key = this.find(rootKeyId);
      if (!key) throw this.notConfigured(rootKeyId);
      if (key === this.current()) throw new Error(`root key ${rootKeyId} is the current root key and cannot be retired: create the next one first`);
      try {
        this.lib.C_DestroyObject(this.session, key.handle);
      } catch (error) {
        throw new Error(`destroying root key ${rootKeyId} failed: ${reason(error)}`);
      }
      this.scan();
    });
  }

  /** Logs out, closes the session and finalizes the module; safe to call twice. */
  async close(): Promise<void> {
    return this.serialize(() => {
      this.closed = true;
      const failures = [
        attempt(() => this.lib.C_Logout(this.session)),
        attempt(() => this.lib.C_CloseSession(this.session)),
        attempt(() => this.lib.C_Finalize()),
        attempt(() => this.lib.close()),
      ].filter((failure): failure is string => failure !== undefined);
      if (failures.length > 0) throw new Error(`closing the PKCS#11 session: ${failures.join(', ')}`);
    }, true);
  }

  /** Runs PKCS#11 work one call at a time on the session. */
  private serialize<T>(work: () => T, closing = false): Promise<T> {
    const run = this.tail.then(() => {
      if (this.closed) {
        if (closing) return undefined as T;
        throw new Error('the PKCS#11 root-key provider is closed');
      }
      return work();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Reads the root keys with our label prefix from the token (newest first). */
  private scan(): void {
    const found: RootKeyObject[] = [];
    for (const handle of this.findAesKeys()) {
      const [label, sensitive, extractable, length] = this.lib.C_GetAttributeValue(this.session, handle, [
        { type: pkcs11js.CKA_LABEL }, { type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_VALUE_LEN },
      ]);
      const text = label?.value.toString('utf8') ?? '';
      const n = this.numberOf(text);
      if (n === undefined) continue;
      if (found.some((key) => key.n === n)) {
        throw new Error(`PKCS#11 token "${this.tokenLabel}" holds two keys labelled ${text} (two processes created it at once?): remove the one that nothing references`);
      }
      if (!bool(sensitive?.value) || bool(extractable?.value) || ulong(length?.value) !== 32) {
        throw new Error(`root key ${this.idOf(text)} is not a sensitive, non-extractable AES-256 key: refusing to use it`);
      }
      found.push({ n, label: text, handle });
    }
    this.keys = found.sort((a, b) => b.n - a.n);
  }

  private findAesKeys(): Handle[] {
    this.lib.C_FindObjectsInit(this.session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_TOKEN, value: true },
    ]);
    const handles: Handle[] = [];
    try {
      for (let batch = this.lib.C_FindObjects(this.session, 64); batch.length > 0; batch = this.lib.C_FindObjects(this.session, 64)) {
        handles.push(...batch);
      }
    } finally {
      this.lib.C_FindObjectsFinal(this.session);
    }
    return handles;
  }

  /** Generates root key number n inside the token (CKM_AES_KEY_GEN); its bytes never leave it. */
  private generate(n: number): void {
    const label = this.labelOf(n);
    try {
      this.lib.C_GenerateKey(this.session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_ID, value: Buffer.from(label, 'utf8') },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_ENCRYPT, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: true },
        { type: pkcs11js.CKA_WRAP, value: true },
        { type: pkcs11js.CKA_UNWRAP, value: true },
      ]);
    } catch (error) {
      throw new Error(`generating root key ${this.idOf(label)} in the token failed: ${reason(error)}`);
    }
    this.scan();
  }

  private current(): RootKeyObject {
    const key = this.keys[0];
    if (!key) throw new Error(`PKCS#11 token "${this.tokenLabel}" holds no root key labelled ${this.prefix}-<n>`);
    return key;
  }

  private find(rootKeyId: string): RootKeyObject | undefined {
    const base = `pkcs11:${this.tokenLabel}/`;
    if (!rootKeyId.startsWith(base)) return undefined;
    const label = rootKeyId.slice(base.length);
    return this.keys.find((key) => key.label === label);
  }

  private numberOf(label: string): number | undefined {
    const prefix = `${this.prefix}-`;
    if (!label.startsWith(prefix)) return undefined;
    const digits = label.slice(prefix.length);
    return /^[1-9][0-9]{0,8}$/.test(digits) ? Number(digits) : undefined;
  }

  private labelOf(n: number): string {
    return `${this.prefix}-${n}`;
  }

  private idOf(label: string): string {
    return `pkcs11:${this.tokenLabel}/${label}`;
  }

  private notConfigured(rootKeyId: string): Error {
    return new Error(`root key ${rootKeyId} is not in PKCS#11 token "${this.tokenLabel}" with prefix ${this.prefix} (retired, or another token?)`);
  }
}

/** The slot whose token carries this label; slot ids are renumbered by some modules (SoftHSM2). */
function findSlot(lib: pkcs11js.PKCS11, tokenLabel: string): Handle {
  const slots = lib.C_GetSlotList(true).map((slot) => ({ slot, label: lib.C_GetTokenInfo(slot).label.trimEnd() }));
  const matching = slots.filter((entry) => entry.label === tokenLabel);
  if (matching.length > 1) throw new Error(`more than one PKCS#11 token is labelled "${tokenLabel}"`);
  const match = matching[0];
  if (!match) {
    const known = slots.map((entry) => `"${entry.label}"`).join(', ') || 'none';
    throw new Error(`no PKCS#11 token labelled "${tokenLabel}" (tokens present: ${known})`);
  }
  return match.slot;
}

/** CKM_AES_GCM with a 96-bit IV, the context as AAD and a 128-bit tag (the v2.40 CK_GCM_PARAMS). */
function gcm(iv: Buffer, context: string): pkcs11js.Mechanism {
  const params: pkcs11js.AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM_v240, iv, ivBits: IV_BYTES * 8, aad: Buffer.from(context, 'utf8'), tagBits: TAG_BYTES * 8 };
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter: params };
}

/** Runs a clean-up step; returns a description of its failure instead of throwing. */
function attempt(step: () => void): string | undefined {
  try {
    step();
    return undefined;
  } catch (error) {
    return reason(error);
  }
}
