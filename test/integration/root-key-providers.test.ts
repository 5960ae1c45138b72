import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, test } from 'node:test';
import pkcs11js from 'pkcs11js';
import { LocalRootKeyProvider } from '../../src/crypto/keys/local-root-key.ts';
import { openRootKeyProvider } from '../../src/crypto/keys/open-root-key-provider.ts';
import { Pkcs11RootKeyProvider } from '../../src/crypto/keys/pkcs11-root-key.ts';
import type { RootKeyProvider } from '../../src/crypto/keys/root-key-provider.ts';
import { createSoftHsmToken, secretKeyLabels, secretKeys, withTokenSession, type SoftHsmToken } from '../helpers/softhsm.ts';

const context = 'tenant/6d1f0c2a/kek/1';
const providerModule = fileURLToPath(new URL('../../src/crypto/keys/pkcs11-root-key.ts', import.meta.url));

/**
 * Runs provider calls in a separate process, as `clarus keys rotate-root` would beside a running server
 * (one PKCS#11 module per process). Prints the current key id at the end.
 */
function inOtherProcess(token: SoftHsmToken, prefix: string, body: string): string {
  const script = `
    import { Pkcs11RootKeyProvider } from ${JSON.stringify(providerModule)};
    const provider = await Pkcs11RootKeyProvider.open(JSON.parse(process.env.SETTINGS));
    ${body}
    process.stdout.write(provider.currentKeyId());
    await provider.close();`;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, SETTINGS: JSON.stringify({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, keyLabelPrefix: prefix }) },
    encoding: 'utf8',
  });
}

/** A copy with one bit flipped at an index. */
function flipped(wrapped: Buffer, index: number): Buffer {
  const copy = Buffer.from(wrapped);
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

/** Every region of a wrapped value — version, IV/nonce, tag, ciphertext — altered by one bit fails to unwrap. */
async function assertTamperingDetected(provider: RootKeyProvider, rootKeyId: string, wrapped: Buffer): Promise<void> {
  for (const index of [0, 1, 12, 13, 28, 29, wrapped.length - 1]) {
    await assert.rejects(provider.unwrap(rootKeyId, flipped(wrapped, index), context), `bit flipped in byte ${index}`);
  }
  // The untouched value still unwraps, so the failures above come from the flips.
  assert.equal((await provider.unwrap(rootKeyId, wrapped, context)).length > 0, true);
}

describe('local root key', () => {
  const key1 = randomBytes(32);
  const key2 = randomBytes(32);

  test('wraps and unwraps key material; the wrapped form is version 1 | nonce | tag | ciphertext', async () => {
    const provider = new LocalRootKeyProvider({ current: key1, previous: [] });
    const material = randomBytes(32);
    const { rootKeyId, wrapped } = await provider.wrap(material, context);
    assert.equal(rootKeyId, provider.currentKeyId());
    assert.equal(wrapped[0], 1);
    assert.equal(wrapped.length, 1 + 12 + 16 + 32);
    assert.equal(wrapped.includes(material), false);
    assert.deepEqual(await provider.unwrap(rootKeyId, wrapped, context), material);
  });

  test('another context does not unwrap', async () => {
    const provider = new LocalRootKeyProvider({ current: key1, previous: [] });
    const { rootKeyId, wrapped } = await provider.wrap(randomBytes(32), context);
    await assert.rejects(provider.unwrap(rootKeyId, wrapped, 'tenant/6d1f0c2b/kek/1'));
    await assert.rejects(provider.unwrap(rootKeyId, wrapped, ''));
  });

  test('a flipped bit anywhere does not unwrap', async () => {
    const provider = new LocalRootKeyProvider({ current: key1, previous: [] });
    const { rootKeyId, wrapped } = await provider.wrap(randomBytes(32), context);
    await assertTamperingDetected(provider, rootKeyId, wrapped);
  });

  test('previous keys still unwrap; new wraps use the current key', async () => {
    const before = new LocalRootKeyProvider({ current: key1, previous: [] });
    const material = randomBytes(32);
    const old = await before.wrap(material, context);

    const after = new LocalRootKeyProvider({ current: key2, previous: [key1] });
    assert.deepEqual(after.keyIds(), [after.currentKeyId(), before.currentKeyId()]);
    assert.deepEqual(await after.unwrap(old.rootKeyId, old.wrapped, context), material);
    const fresh = await after.wrap(material, context);
    assert.equal(fresh.rootKeyId, after.currentKeyId());
    assert.notEqual(fresh.rootKeyId, old.rootKeyId);
    // Without the previous key, the old material is out of reach.
    await assert.rejects(new LocalRootKeyProvider({ current: key2, previous: [] }).unwrap(old.rootKeyId, old.wrapped, context));
  });

  test('an unknown key id is refused with a hint and without any key bytes', async () => {
    const provider = new LocalRootKeyProvider({ current: key1, previous: [key2] });
    const { wrapped } = await provider.wrap(randomBytes(32), context);
    const error = await provider.unwrap('local:0123456789abcdef', wrapped, context).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.equal(error.message, 'root key local:0123456789abcdef is not configured (set CLARUS_ROOT_KEY_PREVIOUS during a root-key rotation)');
    for (const key of [key1, key2]) {
      for (const encoding of ['hex', 'base64', 'base64url'] as const) assert.equal(error.message.includes(key.toString(encoding)), false);
    }
  });

  test('key ids are stable, differ between keys and reveal nothing but an HMAC prefix', () => {
    const id1 = new LocalRootKeyProvider({ current: key1, previous: [] }).currentKeyId();
    assert.equal(new LocalRootKeyProvider({ current: Buffer.from(key1), previous: [] }).currentKeyId(), id1);
    assert.notEqual(new LocalRootKeyProvider({ current: key2, previous: [] }).currentKeyId(), id1);
    assert.match(id1, /^local:[0-9a-f]{16}$/);
    assert.equal(id1, `local:${createHmac('sha256', key1).update('clarus root key id').digest('hex').slice(0, 16)}`);
    assert.equal(key1.toString('hex').includes(id1.slice('local:'.length)), false);
  });

  test('a key longer than 256 bits is condensed with HKDF; a shorter one is refused', async () => {
    const long = randomBytes(64);
    const provider = new LocalRootKeyProvider({ current: long, previous: [] });
    const material = randomBytes(32);
    const { rootKeyId, wrapped } = await provider.wrap(material, context);
    assert.deepEqual(await new LocalRootKeyProvider({ current: Buffer.from(long), previous: [] }).unwrap(rootKeyId, wrapped, context), material);
    // The id belongs to the derived key, so a 32-byte prefix of the long key is a different key.
    assert.notEqual(new LocalRootKeyProvider({ current: long.subarray(0, 32), previous: [] }).currentKeyId(), rootKeyId);
    assert.throws(() => new LocalRootKeyProvider({ current: randomBytes(31), previous: [] }), /at least 256 bits/);
    assert.throws(() => new LocalRootKeyProvider({ current: key1, previous: [randomBytes(16)] }), /at least 256 bits/);
  });

  test('createNextKey explains the operator rotation instead', async () => {
    const provider = await openRootKeyProvider({ kind: 'local', current: key1, previous: [] });
    assert.equal(provider.kind, 'local');
    await assert.rejects(provider.createNextKey(), (error: Error) =>
      /CLARUS_ROOT_KEY\b/.test(error.message) && /CLARUS_ROOT_KEY_PREVIOUS/.test(error.message) && /restart/.test(error.message) && /clarus keys rotate-root/.test(error.message));
    await provider.retireKey(provider.currentKeyId());
    assert.deepEqual(provider.keyIds(), [provider.currentKeyId()]);
  });
});

describe('PKCS#11 root key in a SoftHSM2 token', () => {
  const prefix = 'clarus-root';
  let token: SoftHsmToken;
  const settings = () => ({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, keyLabelPrefix: prefix });
  const idOf = (label: string) => `pkcs11:${token.tokenLabel}/${label}`;

  beforeEach(() => {
    token = createSoftHsmToken();
  });
  afterEach(() => {
    token.cleanup();
  });

  test('the first open generates <prefix>-1 inside the token; a second open reuses it', async () => {
    assert.deepEqual(withTokenSession(token, secretKeyLabels), []);
    const provider = await Pkcs11RootKeyProvider.open(settings());
    assert.equal(provider.kind, 'pkcs11');
    assert.equal(provider.currentKeyId(), idOf(`${prefix}-1`));
    assert.deepEqual(provider.keyIds(), [idOf(`${prefix}-1`)]);
    await provider.close();
    assert.deepEqual(withTokenSession(token, secretKeyLabels), [`${prefix}-1`]);

    const again = await Pkcs11RootKeyProvider.open(settings());
    assert.equal(again.currentKeyId(), idOf(`${prefix}-1`));
    await again.close();
    assert.deepEqual(withTokenSession(token, secretKeyLabels), [`${prefix}-1`]);
  });

  test('wraps and unwraps with AES-GCM in the token; another context or a flipped bit does not unwrap', async () => {
    const provider = await Pkcs11RootKeyProvider.open(settings());
    try {
      const material = randomBytes(32);
      const { rootKeyId, wrapped } = await provider.wrap(material, context);
      assert.equal(rootKeyId, idOf(`${prefix}-1`));
      assert.equal(wrapped[0], 1);
      assert.equal(wrapped.length, 1 + 12 + 32 + 16);
      assert.equal(wrapped.includes(material), false);
      assert.deepEqual(await provider.unwrap(rootKeyId, wrapped, context), material);
      // Random IVs: the same material wraps differently each time.
      assert.notDeepEqual((await provider.wrap(material, context)).wrapped, wrapped);
      await assert.rejects(provider.unwrap(rootKeyId, wrapped, 'tenant/6d1f0c2b/kek/1'), /does not match/);
      await assertTamperingDetected(provider, rootKeyId, wrapped);
    } finally {
      await provider.close();
    }
  });

  test('the root key is sensitive and non-extractable: its value cannot be read from the token', async () => {
    await (await Pkcs11RootKeyProvider.open(settings())).close();
    withTokenSession(token, (lib, session) => {
      const key = secretKeys(lib, session).find((k) => k.label === `${prefix}-1`);
      assert.ok(key);
      assert.throws(() => lib.C_GetAttributeValue(session, key.handle, [{ type: pkcs11js.CKA_VALUE }]),
        (error: unknown) => error instanceof pkcs11js.Pkcs11Error && error.code === pkcs11js.CKR_ATTRIBUTE_SENSITIVE);
      const [extractable, sensitive, token_, length] = lib.C_GetAttributeValue(session, key.handle, [
        { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_TOKEN }, { type: pkcs11js.CKA_VALUE_LEN },
      ]);
      assert.equal(extractable?.value[0], 0);
      assert.equal(sensitive?.value[0], 1);
      assert.equal(token_?.value[0], 1);
      assert.equal(length?.value.readUInt32LE(), 32);
    });
  });

  test('a provider opened later on the same token unwraps what an earlier one wrapped', async () => {
    const first = await openRootKeyProvider({ kind: 'pkcs11', ...settings() });
    const material = randomBytes(32);
    const { rootKeyId, wrapped } = await first.wrap(material, context);
    await first.close();
    await assert.rejects(first.wrap(material, context), /closed/);

    const second = await openRootKeyProvider({ kind: 'pkcs11', ...settings() });
    try {
      assert.deepEqual(await second.unwrap(rootKeyId, wrapped, context), material);
    } finally {
      await second.close();
    }
  });

  test('createNextKey makes a new current key; material wrapped before still unwraps', async () => {
    const provider = await Pkcs11RootKeyProvider.open(settings());
    const material = randomBytes(32);
    try {
      const old = await provider.wrap(material, context);
      const next = await provider.createNextKey();
      assert.equal(next, idOf(`${prefix}-2`));
      assert.equal(provider.currentKeyId(), next);
      assert.deepEqual(provider.keyIds(), [next, old.rootKeyId]);
      assert.deepEqual(await provider.unwrap(old.rootKeyId, old.wrapped, context), material);
      const fresh = await provider.wrap(material, context);
      assert.equal(fresh.rootKeyId, next);
      assert.deepEqual(await provider.unwrap(next, fresh.wrapped, context), material);
      // Each wrapped value names the key that opens it: the other key does not.
      await assert.rejects(provider.unwrap(old.rootKeyId, fresh.wrapped, context));
    } finally {
      await provider.close();
    }
    assert.deepEqual(withTokenSession(token, secretKeyLabels), [`${prefix}-1`, `${prefix}-2`]);
    const reopened = await Pkcs11RootKeyProvider.open(settings());
    assert.equal(reopened.currentKeyId(), idOf(`${prefix}-2`));
    await reopened.close();
  });

  test('retireKey destroys an old key and refuses the current one', async () => {
    const provider = await Pkcs11RootKeyProvider.open(settings());
    try {
      const old = await provider.wrap(randomBytes(32), context);
      const next = await provider.createNextKey();
      await assert.rejects(provider.retireKey(next), /current root key/);
      await provider.retireKey(old.rootKeyId);
      assert.deepEqual(provider.keyIds(), [next]);
      await assert.rejects(provider.unwrap(old.rootKeyId, old.wrapped, context), /is not in PKCS#11 token/);
      await assert.rejects(provider.retireKey(old.rootKeyId), /is not in PKCS#11 token/);
    } finally {
      await provider.close();
    }
    assert.deepEqual(withTokenSession(token, secretKeyLabels), [`${prefix}-2`]);
  });

  test('a root key created and a key retired by another process are seen without a restart', async () => {
    const provider = await Pkcs11RootKeyProvider.open(settings());
    try {
      const material = randomBytes(32);
      const old = await provider.wrap(material, context);
      assert.equal(inOtherProcess(token, prefix, 'await provider.createNextKey();'), idOf(`${prefix}-2`));
      // The next wrap here uses the key the other process made current.
      const fresh = await provider.wrap(material, context);
      assert.equal(fresh.rootKeyId, idOf(`${prefix}-2`));
      assert.equal(provider.currentKeyId(), idOf(`${prefix}-2`));
      assert.deepEqual(await provider.unwrap(old.rootKeyId, old.wrapped, context), material);

      inOtherProcess(token, prefix, `await provider.retireKey(${JSON.stringify(old.rootKeyId)});`);
      await assert.rejects(provider.unwrap(old.rootKeyId, old.wrapped, context), /is not in PKCS#11 token/);
      assert.deepEqual(await provider.unwrap(fresh.rootKeyId, fresh.wrapped, context), material);
    } finally {
      await provider.close();
    }
  });

  test('a wrong PIN fails with a clear error that contains no PIN, and leaves the module usable', async () => {
    const wrongPin = `wrong-${randomBytes(6).toString('hex')}`;
    const error = await Pkcs11RootKeyProvider.open({ ...settings(), pin: wrongPin }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.match(error.message, new RegExp(`login to PKCS#11 token "${token.tokenLabel}" failed: CKR_PIN_INCORRECT`));
    assert.equal(error.message.includes(wrongPin), false);
    assert.equal(error.message.includes(token.pin), false);
    assert.equal(String(error.stack).includes(wrongPin), false);
    // The failed open finalized the module: a correct open works in the same process.
    const provider = await Pkcs11RootKeyProvider.open(settings());
    assert.equal(provider.currentKeyId(), idOf(`${prefix}-1`));
    await provider.close();
  });

  test('keys with the prefix that could leave the token, or two keys with one label, are refused', async () => {
    const aesKey = (label: string, sensitive: boolean, extractable: boolean): pkcs11js.Template => [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }, { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 }, { type: pkcs11js.CKA_LABEL, value: label }, { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: sensitive }, { type: pkcs11js.CKA_EXTRACTABLE, value: extractable },
      { type: pkcs11js.CKA_ENCRYPT, value: true }, { type: pkcs11js.CKA_DECRYPT, value: true },
    ];
    const generate = (template: pkcs11js.Template) => withTokenSession(token, (lib, session) => {
      lib.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, template);
    });
    generate(aesKey('weak-1', false, true));
    await assert.rejects(Pkcs11RootKeyProvider.open({ ...settings(), keyLabelPrefix: 'weak' }), /not a sensitive, non-extractable AES-256 key: refusing/);
    generate(aesKey('twin-1', true, false));
    generate(aesKey('twin-1', true, false));
    await assert.rejects(Pkcs11RootKeyProvider.open({ ...settings(), keyLabelPrefix: 'twin' }), /holds two keys labelled twin-1/);
    // Both refusals finalized the module again: a well-formed prefix still opens.
    const provider = await Pkcs11RootKeyProvider.open(settings());
    assert.equal(provider.currentKeyId(), idOf(`${prefix}-1`));
    await provider.close();
  });

  test('an unknown token label is named in the error, with the tokens present', async () => {
    await assert.rejects(Pkcs11RootKeyProvider.open({ ...settings(), tokenLabel: 'no-such-token' }),
      (error: Error) => error.message.includes('no PKCS#11 token labelled "no-such-token"') && error.message.includes(`"${token.tokenLabel}"`));
  });

  test('one provider per module per process: a second open while the first is open is refused clearly', async () => {
    const provider = await Pkcs11RootKeyProvider.open(settings());
    try {
      await assert.rejects(Pkcs11RootKeyProvider.open(settings()), /already in use in this process/);
      // The refused open did not disturb the open one.
      const { rootKeyId, wrapped } = await provider.wrap(Buffer.alloc(32, 7), context);
      assert.deepEqual(await provider.unwrap(rootKeyId, wrapped, context), Buffer.alloc(32, 7));
    } finally {
      await provider.close();
    }
  });
});
