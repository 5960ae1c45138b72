/**
 * Large DICOM (over STREAMING_MIN_BYTES) is validated and stored from its staged object as streams
 * (src/services/images/streamed-dicom.ts): stored byte for byte apart from the zeroed preamble,
 * refused with the same codes as the whole-file path, and leaving nothing behind when refused.
 * The memory goal itself is measured by bench/images-vs-orthanc.bench.ts (docs/benchmarks.md).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import pg from 'pg';
import type { TestSystem } from '../helpers/test-system.ts';
import type { SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import { MemoryBudget } from '../../src/services/images/memory-budget.ts';
import { dicomInstance, element, item, mzHeader, UNDEFINED } from '../fixtures/ingest/builders.ts';
import { startUploadSystem, type UploadSystem } from '../helpers/upload-system.ts';

const MiB = 1024 * 1024;
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
let system: TestSystem;
let admin: SignedInUser;
let technician: SignedInUser;
let db: pg.Client;

let uploads: UploadSystem;

before(async () => {
  uploads = await startUploadSystem({ CLARUS_UPLOAD_MAX_BYTES: String(64 * MiB) });
  ({ system, admin, technician, db } = uploads);
});
after(async () => uploads.close());

const uid = (n: number) => `1.2.826.0.1.3680043.8.498.${process.pid}.${n}`;
const upload = (user: SignedInUser, url: string, bytes: Buffer) => user.client.request('POST', url, bytes, { 'content-type': 'application/dicom' });
const count = async (table: string) => ((await db.query(`select count(*)::int as n from ${table}`)).rows[0] as { n: number }).n;
const objects = () => {
  const dir = system.config.objectsDir;
  return existsSync(dir) ? readdirSync(dir).filter((d) => d !== '.tmp').flatMap((shard) => readdirSync(join(dir, shard))).length : 0;
};
const state = async () => ({ instances: await count('instances'), pending: await count('pending_objects'), reconciliation: await count('reconciliation_items'), objects: objects() });

/** Pixels that are not one repeated byte, so that a misplaced chunk would show. */
function pattern(bytes: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) out.writeUInt32LE(((i * 2654435761) ^ seed) >>> 0, i);
  out.fill(0x5a, bytes - (bytes % 4));
  return out;
}

/** A ~24 MB native 8-bit instance (4000 × 6000). */
function nativeInstance(n: number, patientId: string): Buffer {
  const file = dicomInstance({ sopInstanceUid: uid(n), studyInstanceUid: uid(n + 1), seriesInstanceUid: uid(n + 2), patientId, rows: 4000, columns: 6000, preamble: mzHeader() });
  pattern(4000 * 6000, n).copy(file, file.length - 4000 * 6000);
  return file;
}

/** A JPEG Baseline instance whose Pixel Data is encapsulated (PS3.5 §A.4): an empty Basic Offset Table, then one fragment per frame. */
function encapsulatedInstance(n: number, patientId: string, fragments: Buffer[]): Buffer {
  const plain = dicomInstance({ sopInstanceUid: uid(n), studyInstanceUid: uid(n + 1), seriesInstanceUid: uid(n + 2), patientId, transferSyntax: JPEG_BASELINE, rows: 512, columns: 512, frames: fragments.length, pixelBytes: 0 });
  const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  // The builder's empty native Pixel Data element (12 bytes of header) is replaced by the encapsulated one.
  return Buffer.concat([plain.subarray(0, plain.length - 12), element(0x7fe00010, 'OB', Buffer.alloc(0), UNDEFINED), item(Buffer.alloc(0)), ...fragments.map((f) => item(f)), delimiter]);
}

async function readBack(user: SignedInUser, instanceId: string): Promise<Buffer> {
  const file = await user.client.get(`/api/images/instances/${instanceId}/file`);
  assert.equal(file.status, 200);
  return file.raw.rawPayload;
}

function assertStoredAsSent(stored: Buffer, sent: Buffer): void {
  assert.equal(stored.length, sent.length);
  assert.ok(stored.subarray(0, 128).equals(Buffer.alloc(128)), 'the preamble is zeroed (CVE-2019-11687)');
  assert.ok(stored.subarray(128).equals(sent.subarray(128)), 'everything else byte for byte');
}

describe('large DICOM uploads, streamed', () => {
  test('a ~24 MB native instance is stored byte for byte (preamble zeroed), indexed from its header, and idempotent', async () => {
    const patient = await createPatient(admin, { mrn: 'LARGE1' });
    const file = nativeInstance(100, 'LARGE1');
    assert.ok(file.length > 20 * MiB);
    // What validation takes from the memory budget: the header only, never the file.
    const spy = mock.method(MemoryBudget.prototype, 'acquire');
    const stored = await upload(technician, '/api/images', file).finally(() => spy.mock.restore());
    const acquired = spy.mock.calls.map((call) => call.arguments[0]);
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    assert.equal(stored.body.patientId, patient);
    assert.ok(acquired.length > 0 && acquired.reduce((a, b) => a + b, 0) <= 256 * 1024, `acquired ${JSON.stringify(acquired)}`);
    assertStoredAsSent(await readBack(technician, stored.body.instanceId as string), file);
    const row = (await db.query('select rows, columns, frames, size::int as size from instances where id = $1', [stored.body.instanceId])).rows[0] as Record<string, number>;
    assert.deepEqual(row, { rows: 4000, columns: 6000, frames: 1, size: file.length });
    const again = await upload(technician, '/api/images', file);
    assert.deepEqual([again.status, again.body.status, again.body.instanceId], [200, 'duplicate', stored.body.instanceId]);
    const other = Buffer.from(file);
    other.writeUInt8(other.readUInt8(other.length - 1) ^ 0xff, other.length - 1);
    assert.deepEqual([(await upload(technician, '/api/images', other)).body.code], ['CLARUS_ERR_INSTANCE_CONFLICT']);
    assert.equal(await count('pending_objects'), 0);
  });

  test('an encapsulated instance of several fragments is walked and stored byte for byte', async () => {
    const patient = await createPatient(admin);
    const file = encapsulatedInstance(200, 'LARGE2', [pattern(5 * MiB, 1), pattern(4 * MiB + 2, 2), pattern(3 * MiB, 3), pattern(2 * MiB, 4)]);
    const stored = await upload(technician, `/api/patients/${patient}/images`, file);
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    assertStoredAsSent(await readBack(technician, stored.body.instanceId as string), file);
    const row = (await db.query('select frames, transfer_syntax_uid from instances where id = $1', [stored.body.instanceId])).rows[0] as Record<string, unknown>;
    assert.deepEqual(row, { frames: 4, transfer_syntax_uid: JPEG_BASELINE });
  });

  test('cut in the pixel data, in the header, inside a fragment, or with a pixel length past the end: TRUNCATED, nothing left', async () => {
    const patient = await createPatient(admin);
    const native = nativeInstance(300, 'LARGE3');
    const lying = Buffer.from(native);
    lying.writeUInt32LE(native.length * 2, native.length - 4000 * 6000 - 4);
    // A header of 12 MB (a private OB value before the image module), cut inside it.
    const bigHeader = dicomInstance({ sopInstanceUid: uid(310), extra: element(0x00211010, 'OB', pattern(12 * MiB, 5)), rows: 64, columns: 64 });
    const fragments = encapsulatedInstance(320, 'LARGE3', [pattern(6 * MiB, 6), pattern(6 * MiB, 7)]);
    const cases: Array<[string, Buffer]> = [
      ['cut in the pixel data', native.subarray(0, native.length - 3 * MiB)],
      ['cut in the header', bigHeader.subarray(0, 9 * MiB)],
      ['cut inside an encapsulated fragment', fragments.subarray(0, fragments.length - 3 * MiB)],
      ['pixel data length larger than the file', lying],
    ];
    const before = await state();
    for (const [what, bytes] of cases) {
      assert.ok(bytes.length > 8 * MiB, what);
      const reply = await upload(technician, `/api/patients/${patient}/images`, bytes);
      assert.deepEqual([reply.status, reply.body.code], [422, 'CLARUS_ERR_FILE_TRUNCATED'], what);
      assert.deepEqual(await state(), before, `${what}: no instance, object, pending row or parked item left`);
    }
  });

  test('unmatched large DICOM is parked as its staged object and filed to a patient through the streamed path', async () => {
    const file = nativeInstance(400, 'NOBODY-400');
    const held = await upload(technician, '/api/images', file);
    assert.equal(held.status, 202, JSON.stringify(held.body));
    const id = held.body.reconciliationId as string;
    assert.equal(((await db.query('select size::int as size from reconciliation_items where id = $1', [id])).rows[0] as { size: number }).size, file.length);
    assert.equal(await count('pending_objects'), 0, 'the staging object became the parked copy');
    const patient = await createPatient(admin);
    const assigned = await technician.client.post(`/api/reconciliation/${id}/assign`, { patientId: patient });
    assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
    assertStoredAsSent(await readBack(technician, assigned.body.instanceId as string), file);
    assert.equal(await count('pending_objects'), 0);
  });

  test('a large Deflated instance (PS3.5 §A.5) cannot be streamed and is validated whole, within the memory budget', async () => {
    const patient = await createPatient(admin);
    const plain = dicomInstance({ sopInstanceUid: uid(500), rows: 3000, columns: 3000 });
    pattern(3000 * 3000, 9).copy(plain, plain.length - 3000 * 3000);
    const dataSet = plain.subarray(plain.indexOf(Buffer.from([0x08, 0x00, 0x16, 0x00, 0x55, 0x49])));
    const deflated = dicomInstance({ sopInstanceUid: uid(500), transferSyntax: '1.2.840.10008.1.2.1.99', rawDataSet: deflateRawSync(dataSet, { level: 1 }) });
    assert.ok(deflated.length > 8 * MiB, `${deflated.length} bytes`);
    const stored = await upload(technician, `/api/patients/${patient}/images`, deflated);
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    assertStoredAsSent(await readBack(technician, stored.body.instanceId as string), deflated);
  });
});
