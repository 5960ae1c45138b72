import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { KeyHandle } from '../../src/crypto/keys/key-material.ts';
import { ObjectIntegrityError, type KeyLookup } from '../../src/crypto/object-cipher.ts';
import { BlobExistsError, BlobNotFoundError, InvalidBlobIdError } from '../../src/storage/blob-store.ts';
import { EncryptedBlobStore } from '../../src/storage/encrypted-blob-store.ts';
import { FileBlobStore } from '../../src/storage/file-blob-store.ts';

let workDir: string;
before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'clarus-blobs-'));
});
after(() => {
  rmSync(workDir, { recursive: true, force: true });
});

async function freshStore(): Promise<{ root: string; store: FileBlobStore }> {
  const root = join(workDir, randomUUID());
  return { root, store: await FileBlobStore.open(root) };
}

/** Every file under a folder, recursively, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

/** A source that yields some bytes and then fails, as an upload cut off mid-way does. */
function failingSource(before: Buffer): Readable {
  return Readable.from((async function* () {
    yield before;
    throw new Error('client went away');
  })());
}

const mode = (path: string) => statSync(path).mode & 0o777;
const collect = async (stream: Readable) => Buffer.concat(await stream.toArray() as Buffer[]);

describe('FileBlobStore', () => {
  test('writes, reads whole and in ranges, sizes, lists and deletes by id', async () => {
    const { root, store } = await freshStore();
    const id = randomUUID();
    const data = randomBytes(200_000);
    assert.equal(await store.write(id, Readable.from([data.subarray(0, 70_000), data.subarray(70_000)])), data.length);
    assert.equal(await store.exists(id), true);
    assert.equal(await store.size(id), data.length);
    assert.deepEqual(await collect(await store.createReadStream(id)), data);
    assert.deepEqual(await collect(await store.createReadStream(id, { start: 10, end: 19 })), data.subarray(10, 20));
    assert.deepEqual(await store.readRange(id, 150_000, 1000), data.subarray(150_000, 151_000));
    assert.deepEqual(await store.readRange(id, data.length - 5, 100), data.subarray(data.length - 5));
    assert.deepEqual(readFileSync(join(root, id.slice(0, 2), id)), data);
    const other = randomUUID();
    await store.write(other, Readable.from([Buffer.from('x')]));
    const listed: string[] = [];
    for await (const listedId of store.listIds()) listed.push(listedId);
    assert.deepEqual(listed.sort(), [id, other].sort());
    assert.equal(await store.delete(id), true);
    assert.equal(await store.delete(id), false);
    assert.equal(await store.exists(id), false);
    await assert.rejects(store.size(id), BlobNotFoundError);
    await assert.rejects(store.createReadStream(id), BlobNotFoundError);
    await assert.rejects(store.readRange(id, 0, 1), BlobNotFoundError);
  });

  test('folders are 0700 and blobs 0600', async () => {
    const { root, store } = await freshStore();
    const id = randomUUID();
    await store.write(id, Readable.from([Buffer.from('secret-ish')]));
    assert.equal(mode(root), 0o700);
    assert.equal(mode(join(root, '.tmp')), 0o700);
    assert.equal(mode(join(root, id.slice(0, 2))), 0o700);
    assert.equal(mode(join(root, id.slice(0, 2), id)), 0o600);
  });

  test('a failing source leaves neither the blob nor a temp file', async () => {
    const { root, store } = await freshStore();
    const id = randomUUID();
    await assert.rejects(store.write(id, failingSource(randomBytes(300_000))), /client went away/);
    assert.equal(await store.exists(id), false);
    assert.deepEqual(filesUnder(root), []);
    // The id is still free: a retry succeeds.
    assert.equal(await store.write(id, Readable.from([Buffer.from('retry')])), 5);
  });

  test('an existing id is never overwritten, also by two writers at once', async () => {
    const { store } = await freshStore();
    const id = randomUUID();
    await store.write(id, Readable.from([Buffer.from('first')]));
    await assert.rejects(store.write(id, Readable.from([Buffer.from('second')])), BlobExistsError);
    assert.deepEqual(await store.readRange(id, 0, 100), Buffer.from('first'));
    const race = randomUUID();
    const results = await Promise.allSettled([1, 2, 3].map((n) => store.write(race, Readable.from([Buffer.alloc(50_000, n)]))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(results.filter((r) => r.status === 'rejected').every((r) => r.reason instanceof BlobExistsError));
    const stored = await store.readRange(race, 0, 60_000);
    assert.equal(stored.length, 50_000);
    assert.equal(new Set(stored).size, 1);
  });

  test('path-like and non-canonical ids are refused by every method, and nothing is created', async () => {
    const { root, store } = await freshStore();
    const bad = ['../../etc/passwd', '..', 'a/b', '', 'C0FFEE00-0000-4000-8000-000000000000', `${randomUUID()}\n`,
      `${randomUUID()}/../x`, '00000000-0000-4000-8000-00000000000g', '/tmp/x'];
    for (const id of bad) {
      await assert.rejects(store.write(id, Readable.from([Buffer.from('x')])), InvalidBlobIdError, JSON.stringify(id));
      await assert.rejects(store.exists(id), InvalidBlobIdError);
      await assert.rejects(store.size(id), InvalidBlobIdError);
      await assert.rejects(store.delete(id), InvalidBlobIdError);
      await assert.rejects(store.readRange(id, 0, 1), InvalidBlobIdError);
      await assert.rejects(store.createReadStream(id), InvalidBlobIdError);
    }
    assert.deepEqual(filesUnder(root), []);
  });

  test('sweepTemporary removes stale temp files and keeps ones a writer may still use', async () => {
    const { root, store } = await freshStore();
    const stale = join(root, '.tmp', `${randomUUID()}.${randomUUID()}.tmp`);
    const fresh = join(root, '.tmp', `${randomUUID()}.${randomUUID()}.tmp`);
    writeFileSync(stale, 'left by a crash');
    writeFileSync(fresh, 'being written');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    assert.equal(await store.sweepTemporary(), 1);
    assert.deepEqual(readdirSync(join(root, '.tmp')), [fresh.slice(fresh.lastIndexOf('/') + 1)]);
    assert.equal(await store.sweepTemporary({ olderThanMs: 0, now: new Date(Date.now() + 1000) }), 1);
    assert.deepEqual(readdirSync(join(root, '.tmp')), []);
  });
});

describe('EncryptedBlobStore', () => {
  const key = new KeyHandle(`patient/${randomUUID()}/1`, randomBytes(32));
  const keys: KeyLookup = async (id) => {
    if (id !== key.id) throw new Error(`unknown key ${id}`);
    return key;
  };
  const marker = Buffer.from('PATIENT-NAME^DOE^JANE-1970-01-01');
  /** Plaintext with a recognisable marker every 64 KiB, to look for on disk. */
  const plaintext = Buffer.concat(Array.from({ length: 40 }, () => Buffer.concat([marker, randomBytes(65536 - marker.length)])));

  test('put hashes and encrypts in one pass; open and readRange return the plaintext; no plaintext on disk', async () => {
    const { root, store } = await freshStore();
    const objects = new EncryptedBlobStore(store);
    const id = randomUUID();
    const result = await objects.put(key, id, Readable.from([plaintext.subarray(0, 100_001), plaintext.subarray(100_001)]));
    assert.equal(result.size, plaintext.length);
    assert.equal(result.sha256, createHash('sha256').update(plaintext).digest('hex'));
    assert.equal(result.storedSize, await store.size(id));
    assert.ok(result.storedSize > plaintext.length);
    assert.deepEqual(await collect(await objects.open(keys, id)), plaintext);
    assert.deepEqual(await objects.readRange(keys, id, 1_000_000, 1_200_000), plaintext.subarray(1_000_000, 1_200_001));
    for (const file of filesUnder(root)) {
      assert.equal(readFileSync(join(root, file)).includes(marker), false, file);
    }
  });

  test('a tampered blob on disk, or one copied under another id, does not open', async () => {
    const { root, store } = await freshStore();
    const objects = new EncryptedBlobStore(store);
    const id = randomUUID();
    await objects.put(key, id, Readable.from([plaintext]));
    const path = join(root, id.slice(0, 2), id);
    const stored = readFileSync(path);
    const copyId = randomUUID();
    await store.write(copyId, Readable.from([stored]));
    await assert.rejects(collect(await objects.open(keys, copyId)), ObjectIntegrityError);
    const tamperedId = randomUUID();
    const tampered = Buffer.from(stored);
    tampered[300_000] = (tampered[300_000] as number) ^ 1;
    await store.write(tamperedId, Readable.from([tampered]));
    await assert.rejects(collect(await objects.open(keys, tamperedId)), ObjectIntegrityError);
    await assert.rejects(objects.readRange(keys, tamperedId, 290_000, 300_000), ObjectIntegrityError);
  });

  test('a failing plaintext source stores nothing and leaves no temp file', async () => {
    const { root, store } = await freshStore();
    const objects = new EncryptedBlobStore(store);
    const id = randomUUID();
    await assert.rejects(objects.put(key, id, failingSource(plaintext)), /client went away/);
    assert.equal(await objects.exists(id), false);
    assert.deepEqual(filesUnder(root), []);
  });
});
