/**
 * Issue 6, tests: every file of Debian's python3-pydicom test data, uploaded through the HTTP API
 * (`POST /api/patients/:id/images`, real clamd), is either stored and read back byte-for-byte apart
 * from the zeroed preamble (CVE-2019-11687), or refused with its stable code — and a refused file
 * leaves no instance row, no object, no pending announcement. The validator's own verdict per file
 * is pinned in test/fixtures/ingest/pydicom-files.ts (shared with test/unit/ingest-dicom.test.ts);
 * this file checks that the whole pipeline honours it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { validateDicom } from '../../src/ingest/dicom-validate.ts';
import { errorCatalog, type ErrorCode } from '../../src/domain/error-catalog.ts';
import { startClamd, type ClamdInstance } from '../helpers/clamd.ts';
import { adminUrl } from '../helpers/test-databases.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';
import { newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import { expectedCode, filesUnder, pydicomFiles } from '../fixtures/ingest/pydicom-files.ts';

let clamd: ClamdInstance;
let system: TestSystem;
let admin: SignedInUser;
let db: pg.Client;

before(async () => {
  clamd = await startClamd();
  system = await startTestSystem({ env: { CLAMD_URL: clamd.url } });
  admin = await newTenantWithAdmin(system);
  db = new pg.Client({ connectionString: adminUrl(system.databases.mainName) });
  await db.connect();
});
after(async () => {
  await db.end();
  await system.close();
  await clamd.stop();
});

const count = async (table: string) => ((await db.query(`select count(*)::int as n from ${table}`)).rows[0] as { n: number }).n;
/** Objects in the blob store (sharded folders; `.tmp` holds writes in progress). */
function objectCount(): number {
  const root = system.config.objectsDir;
  if (!existsSync(root)) return 0;
  return readdirSync(root).filter((d) => d !== '.tmp').reduce((n, d) => n + readdirSync(join(root, d)).length, 0);
}
const temporaryFiles = () => (existsSync(join(system.config.objectsDir, '.tmp')) ? readdirSync(join(system.config.objectsDir, '.tmp')).length : 0);

/**
 * The HTTP code for a file the validator refuses. Without the Part 10 preamble and `DICM` the bytes
 * are of no accepted type at all (ING-1: the type comes from the bytes), which the pipeline decides
 * before any DICOM parsing: 415 CLARUS_ERR_FILE_UNSUPPORTED_TYPE.
 */
function refusalCode(bytes: Buffer, code: string): string {
  const part10 = bytes.length >= 132 && bytes.subarray(128, 132).toString('latin1') === 'DICM';
  return part10 ? `CLARUS_ERR_FILE_${code}` : 'CLARUS_ERR_FILE_UNSUPPORTED_TYPE';
}

test('every pydicom test file is stored byte-for-byte (preamble zeroed) or refused with its code, never half-stored', async (t) => {
  const started = performance.now();
  // No pydicom file has this Patient ID, and no other patient exists: nothing is a mismatch by MRN.
  const patient = await createPatient(admin, { mrn: `SWEEP-${process.pid}` });
  const files = filesUnder(pydicomFiles).map((path) => relative(pydicomFiles, path)).sort();
  assert.ok(files.length >= 160, `found ${files.length} files`);
  /** What the index already holds, by SOP Instance UID and Series Instance UID: the expected 200s, 409s and 422s. */
  const bySop = new Map<string, { sha: string; instanceId: string }>();
  const seriesStudy = new Map<string, string>();
  const tally = new Map<string, number>();
  for (const name of files) {
    const original = readFileSync(join(pydicomFiles, name));
    const before = { instances: await count('instances'), objects: objectCount() };
    const reply = await admin.client.request('POST', `/api/patients/${patient}/images`, original, { 'content-type': 'application/octet-stream' });
    const verdict = expectedCode(name);
    let want: { status: number; code?: string };
    const sha = createHash('sha256').update(original).digest('hex');
    const summary = validateDicom(original);
    if (verdict !== 'accepted') {
      const code = refusalCode(original, verdict);
      want = { status: errorCatalog[code as ErrorCode].status, code };
    } else {
      assert.ok(summary.ok, name);
      const earlier = bySop.get(summary.value.sopInstanceUid);
      const study = seriesStudy.get(summary.value.seriesInstanceUid);
      // ING-6: the same SOP Instance UID with other bytes is a 409; a series already in another study is a misfile (422).
      if (earlier) want = earlier.sha === sha ? { status: 200 } : { status: 409, code: 'CLARUS_ERR_INSTANCE_CONFLICT' };
      else if (study !== undefined && study !== summary.value.studyInstanceUid) want = { status: 422, code: 'CLARUS_ERR_PATIENT_MISMATCH' };
      else want = { status: 201 };
    }
    const code = typeof reply.body.code === 'string' ? reply.body.code : undefined;
    assert.deepEqual({ status: reply.status, code }, { status: want.status, code: want.code }, `${name}: ${JSON.stringify(reply.body)}`);
    assert.ok(reply.status < 500, name);
    tally.set(code ?? String(reply.status), (tally.get(code ?? String(reply.status)) ?? 0) + 1);
    if (reply.status === 201 && summary.ok) {
      const instanceId = reply.body.instanceId as string;
      bySop.set(summary.value.sopInstanceUid, { sha, instanceId });
      seriesStudy.set(summary.value.seriesInstanceUid, summary.value.studyInstanceUid);
      const file = await admin.client.get(`/api/images/instances/${instanceId}/file`);
      assert.equal(file.status, 200, name);
      const stored = file.raw.rawPayload;
      assert.equal(stored.length, original.length, name);
      assert.ok(stored.subarray(0, 128).equals(Buffer.alloc(128)), `${name}: the preamble is zeroed`);
      assert.ok(stored.subarray(128).equals(original.subarray(128)), `${name}: byte-for-byte after the preamble`);
      assert.deepEqual({ instances: await count('instances'), objects: objectCount() }, { instances: before.instances + 1, objects: before.objects + 1 }, name);
    } else {
      // Refused, or a duplicate: nothing new, not even half of it.
      assert.deepEqual({ instances: await count('instances'), objects: objectCount() }, before, `${name}: nothing stored`);
    }
  }
  assert.equal(await count('pending_objects'), 0, 'no upload left an announcement');
  assert.equal(temporaryFiles(), 0, 'no upload left a temporary file');
  assert.equal(await count('reconciliation_items'), 0, 'a chosen patient is never held for reconciliation');
  assert.ok((tally.get('201') ?? 0) >= 50, `stored ${tally.get('201') ?? 0}`);
  t.diagnostic(`${files.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
});
