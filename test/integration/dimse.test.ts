/**
 * DIMSE (issue 6, DCM-2) against dcmtk's echoscu, storescu and findscu: AE-title allow-list per
 * tenant, C-STORE through the one ingest pipeline (real clamd), C-FIND scoped by the peer's service
 * account, TLS. dcmtk runs with TCP_NODELAY=1 (otherwise every C-STORE waits on a delayed ACK).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { DimseListener } from '../../src/dimse/dimse-listener.ts';
import type { Principal } from '../../src/services/context.ts';
import { eicarTestString, startClamd, type ClamdInstance } from '../helpers/clamd.ts';
import { adminUrl } from '../helpers/test-databases.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';
import { newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import { dicomInstance, element } from '../fixtures/ingest/builders.ts';

const pydicom = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const CT = join(pydicom, 'CT_small.dcm');
const MR = join(pydicom, 'MR_small.dcm');

let clamd: ClamdInstance;
let system: TestSystem;
let admin: SignedInUser;
let db: pg.Client;
let listener: DimseListener;
let tlsListener: DimseListener;
let port = 0;
let tlsPort = 0;
let work: string;
const slugA = `dimse-a-${process.pid}`;
const slugB = `dimse-b-${process.pid}`;
const patients = { ct: '', mr: '', nm: '' };
const logLines: string[] = [];

interface Run { code: number; out: string }

/** Runs a dcmtk tool; never throws (a refused association is an expected outcome). */
function dcmtk(tool: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(tool, args, { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: output.join('') });
    });
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  });
}

const echo = (aet: string, aec = 'CLARUS', extra: string[] = [], at = port) => dcmtk('echoscu', [...extra, '-aet', aet, '-aec', aec, '127.0.0.1', String(at)]);
const store = (aet: string, files: string[], extra: string[] = [], at = port) => dcmtk('storescu', ['-v', ...extra, '-aet', aet, '-aec', 'CLARUS', '127.0.0.1', String(at), ...files]);

/** findscu, with each Pending response's identifier as a map of tag → value. */
async function find(aet: string, model: '-S' | '-P', keys: string[], extra: string[] = []): Promise<{ run: Run; matches: Map<string, string>[] }> {
  const run = await dcmtk('findscu', [...extra, model, '-aet', aet, '-aec', 'CLARUS', ...keys.flatMap((k) => ['-k', k]), '127.0.0.1', String(port)]);
  const matches: Map<string, string>[] = [];
  for (const block of run.out.split(/Find Response: \d+ \(Pending\)/u).slice(1)) {
    const fields = new Map<string, string>();
    for (const line of (block.split('Received Final Find Response')[0] ?? '').split('\n')) {
      const m = /\(([0-9a-f]{4},[0-9a-f]{4})\) [A-Z]{2} (?:\[([^\]]*)\]|\(no value available\)|=(\S+))/u.exec(line);
      // findscu shows a UID's NUL padding (PS3.5 §6.2: odd-length UIDs are padded with one NUL).
      if (m) fields.set(m[1] as string, (m[2] ?? m[3] ?? '').replace(/\0+$/u, '').trim());
    }
    matches.push(fields);
  }
  return { run, matches };
}

const count = async (table: string) => ((await db.query(`select count(*)::int as n from ${table}`)).rows[0] as { n: number }).n;
const securityEvents = async (kind: string) => ((await db.query('select count(*)::int as n from security_events where kind = $1', [kind])).rows[0] as { n: number }).n;

async function principalOf(aeTitle: string): Promise<Principal> {
  const authorized = await system.composition.services.dimsePeers.authorize(aeTitle, '127.0.0.1');
  assert.ok(authorized.ok);
  return authorized.principal;
}

function dataSetOf(part10: Buffer): { meta: Buffer; dataSet: Buffer } {
  const groupLength = part10.readUInt32LE(132 + 8);
  const end = 132 + 12 + groupLength;
  return { meta: part10.subarray(132, end), dataSet: part10.subarray(end) };
}

/**
 * The data set without a final Data Set Trailing Padding element (FFFC,FFFC): PS3.10 §7.2 allows it
 * only in files, so storescu leaves it out on the network (CT_small.dcm ends with 138 bytes of it).
 */
function withoutTrailingPadding(dataSet: Buffer): Buffer {
  const at = dataSet.lastIndexOf(Buffer.from([0xfc, 0xff, 0xfc, 0xff, 0x4f, 0x42, 0, 0]));
  return at >= 0 && at + 12 + dataSet.readUInt32LE(at + 8) === dataSet.length ? dataSet.subarray(0, at) : dataSet;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'clarus-dimse-'));
  clamd = await startClamd();
  // 64 KiB: CT_small (39 kB) passes, a 90 kB instance is over the limit.
  system = await startTestSystem({ env: { CLAMD_URL: clamd.url, CLARUS_UPLOAD_MAX_BYTES: '65536' } });
  admin = await newTenantWithAdmin(system, slugA);
  const other = await newTenantWithAdmin(system, slugB);
  patients.ct = await createPatient(admin, { mrn: '1CT1' });
  patients.mr = await createPatient(admin, { mrn: '4MR1' });
  patients.nm = await createPatient(admin, { mrn: '8NM1' });
  // The other organisation has a patient with the same MRN: it must never see tenant A's images.
  await createPatient(other, { mrn: '1CT1' });
  const peers = system.composition.services.dimsePeers;
  await peers.addForTenant(slugA, { aeTitle: 'MODALITY', role: 'Technician', patientIds: null, hosts: ['127.0.0.0/8'] });
  await peers.addForTenant(slugA, { aeTitle: 'CT_ONLY', role: 'Viewer', patientIds: [patients.ct], hosts: null });
  await peers.addForTenant(slugA, { aeTitle: 'FAR_AWAY', role: 'Technician', patientIds: null, hosts: ['10.9.9.9'] });
  await peers.addForTenant(slugB, { aeTitle: 'OTHER_ORG', role: 'Radiologist', patientIds: null, hosts: null });
  const log = (level: string) => (fields: object, message: string) => logLines.push(JSON.stringify({ level, ...fields, message }));
  const logger = { info: log('info'), warn: log('warn'), error: log('error') };
  const settings = { host: '127.0.0.1', aeTitle: 'CLARUS', maxAssociations: 8, maxBytes: system.config.ingest.maxBytes };
  listener = new DimseListener({ ...settings, port: 0 }, system.composition.services, logger);
  port = (await listener.start()).port;
  // DICOM TLS (PS3.15 §B.9): a self-signed server certificate; dcmtk connects without a client certificate.
  const key = join(work, 'key.pem');
  const cert = join(work, 'cert.pem');
  const made = await dcmtk('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
  assert.equal(made.code, 0, made.out);
  tlsListener = new DimseListener({ ...settings, port: 0, tls: { cert: readFileSync(cert), key: readFileSync(key) } }, system.composition.services, logger);
  tlsPort = (await tlsListener.start()).port;
  db = new pg.Client({ connectionString: adminUrl(system.databases.mainName) });
  await db.connect();
});

after(async () => {
  await listener.stop();
  await tlsListener.stop();
  await db.end();
  await system.close();
  await clamd.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('associations', () => {
  test('C-ECHO from an allow-listed calling AE title succeeds', async () => {
    const run = await echo('MODALITY');
    assert.equal(run.code, 0, run.out);
  });

  test('an unknown calling AE, a wrong called AE and a disallowed host are rejected', async () => {
    const before = await securityEvents('dimse.association-rejected');
    for (const run of [await echo('STRANGER'), await echo('MODALITY', 'NOT_CLARUS'), await echo('FAR_AWAY')]) {
      assert.notEqual(run.code, 0);
      assert.match(run.out, /Association Rejected/u);
    }
    assert.match((await echo('STRANGER')).out, /Calling AE Title Not Recognized/iu);
    assert.match((await echo('MODALITY', 'NOT_CLARUS')).out, /Called AE Title Not Recognized/iu);
    assert.equal(await securityEvents('dimse.association-rejected'), before + 5);
  });

  test('a peer whose role may not upload is offered no storage context', async () => {
    const run = await store('CT_ONLY', [CT]);
    assert.match(run.out, /no presentation context|No Acceptable Presentation Contexts|not supported/iu);
    assert.equal(await count('instances'), 0);
  });
});

describe('C-STORE', () => {
  test('CT_small and MR_small are stored, matched by Patient ID ↔ MRN, and read back with their data set unchanged', async () => {
    const run = await store('MODALITY', [CT, MR]);
    assert.equal(run.code, 0, run.out);
    assert.equal((run.out.match(/Received Store Response \(Success\)/gu) ?? []).length, 2, run.out);
    const principal = await principalOf('MODALITY');
    const images = system.composition.services.images;
    for (const [file, patientId, modality] of [[CT, patients.ct, 'CT'], [MR, patients.mr, 'MR']] as const) {
      const [study] = await images.studies(principal, { patientId, limit: 10, offset: 0 }, { sourceAddress: null, requestId: null });
      assert.ok(study, `a study of ${modality}`);
      assert.deepEqual(study.modalities, [modality]);
      const instance = study.series[0]?.instances[0];
      assert.ok(instance);
      const opened = await images.open(principal, instance.id, 'download', { sourceAddress: null, requestId: null });
      const stored = Buffer.concat(await opened.stream.toArray() as Buffer[]);
      const original = readFileSync(file);
      assert.ok(stored.subarray(0, 128).equals(Buffer.alloc(128)), 'the preamble is zeroed');
      assert.equal(stored.subarray(128, 132).toString('latin1'), 'DICM');
      // The data set (everything after the file meta group) is byte for byte what the file holds,
      // private elements included, apart from the file-only trailing padding that storescu does not send.
      assert.ok(dataSetOf(stored).dataSet.equals(withoutTrailingPadding(dataSetOf(original).dataSet)), `${modality}: data set identical`);
      const meta = dataSetOf(stored).meta.toString('latin1');
      assert.ok(meta.includes('1.2.840.10008.1.2.1'), 'transfer syntax as negotiated');
      assert.ok(meta.includes(opened.instance.sopInstanceUid), 'SOP Instance UID from the command');
      assert.ok(meta.includes('MODALITY'), 'the sending AE title');
    }
  });

  test('a compressed instance (JPEG 2000) is accepted as it is and stored without transcoding', async () => {
    const j2k = join(pydicom, 'JPEG2000.dcm');
    // -xw: storescu proposes JPEG 2000 in a context of its own (and uncompressed in another), as a J2K modality does.
    const run = await store('MODALITY', [j2k], ['-R', '-xw']);
    assert.match(run.out, /Received Store Response \(Success\)/u, run.out);
    assert.match(run.out, /Converting transfer syntax: JPEG 2000 \(Lossless or Lossy\) -> JPEG 2000 \(Lossless or Lossy\)/u);
    const principal = await principalOf('MODALITY');
    const [study] = await system.composition.services.images.studies(principal, { patientId: patients.nm, limit: 10, offset: 0 }, { sourceAddress: null, requestId: null });
    const instance = study?.series[0]?.instances[0];
    assert.ok(instance);
    assert.equal(instance.transferSyntaxUid, '1.2.840.10008.1.2.4.91');
    const opened = await system.composition.services.images.open(principal, instance.id, 'download', { sourceAddress: null, requestId: null });
    const stored = Buffer.concat(await opened.stream.toArray() as Buffer[]);
    // storescu re-encodes this data set on the way (its undefined-length sequences go out with explicit
    // lengths); the encapsulated pixel data — JPEG 2000 fragments and offset table — arrive unchanged.
    const pixelData = (bytes: Buffer) => bytes.subarray(bytes.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff])));
    assert.ok(pixelData(stored).length > 200);
    assert.ok(pixelData(stored).equals(pixelData(withoutTrailingPadding(dataSetOf(readFileSync(j2k)).dataSet))));
  });

  test('a data set whose Patient ID matches no patient is held for reconciliation (Success), not indexed', async () => {
    const file = join(work, 'unmatched.dcm');
    writeFileSync(file, dicomInstance({ sopInstanceUid: '1.2.826.0.1.3680043.8.498.4711' }));
    const before = { instances: await count('instances'), studies: await count('studies'), held: await count('reconciliation_items') };
    const run = await store('MODALITY', [file], ['-d']);
    assert.match(run.out, /DIMSE Status\s+: 0x0000/u, run.out);
    assert.deepEqual({ instances: await count('instances'), studies: await count('studies'), held: await count('reconciliation_items') }, { ...before, held: before.held + 1 });
  });

  test('an instance over the size limit is refused with A700 while it arrives; an infected one with C000, quarantined', async () => {
    const before = { instances: await count('instances'), quarantine: await count('quarantine'), oversize: await securityEvents('ingest.oversize'), malware: await securityEvents('ingest.malware') };
    const big = join(work, 'big.dcm');
    writeFileSync(big, dicomInstance({ sopInstanceUid: '1.2.826.0.1.3680043.8.498.4712', rows: 300, columns: 300 }));
    const oversize = await store('MODALITY', [big], ['-d']);
    assert.match(oversize.out, /DIMSE Status\s+: 0xa700/u, oversize.out);
    assert.match(oversize.out, /\[CLARUS_ERR_FILE_TOO_LARGE\]/u);
    const infected = join(work, 'infected.dcm');
    // The EICAR test string inside Image Comments (0020,4000): DIMSE carries no preamble, so it hides in the data set.
    writeFileSync(infected, dicomInstance({ sopInstanceUid: '1.2.826.0.1.3680043.8.498.4713', extra: element(0x00204000, 'LT', eicarTestString()) }));
    const refused = await store('MODALITY', [infected], ['-d']);
    assert.match(refused.out, /DIMSE Status\s+: 0xc000/u, refused.out);
    assert.match(refused.out, /\[CLARUS_ERR_FILE_INFECTED\]/u);
    assert.deepEqual(
      { instances: await count('instances'), quarantine: await count('quarantine'), oversize: await securityEvents('ingest.oversize'), malware: await securityEvents('ingest.malware') },
      { instances: before.instances, quarantine: before.quarantine + 1, oversize: before.oversize + 1, malware: before.malware + 1 },
    );
  });

  test('the same instance again is idempotent; the other tenant\'s peer cannot file it into tenant A', async () => {
    const before = await count('instances');
    assert.match((await store('MODALITY', [CT])).out, /Received Store Response \(Success\)/u);
    // Tenant B has no patient with MR_small's Patient ID: it waits in tenant B's reconciliation list.
    const held = async () => (await db.query('select count(*) filter (where tenant_id = $1)::int as a, count(*) filter (where tenant_id <> $1)::int as b from reconciliation_items', [admin.tenantId])).rows[0] as { a: number; b: number };
    const heldBefore = await held();
    const foreign = await store('OTHER_ORG', [MR], ['-d']);
    assert.match(foreign.out, /DIMSE Status\s+: 0x0000/u, foreign.out);
    assert.equal(await count('instances'), before);
    assert.deepEqual(await held(), { a: heldBefore.a, b: heldBefore.b + 1 });
  });
});

describe('C-FIND', () => {
  test('study level by Patient ID returns one match with the study UID, name and modalities', async () => {
    const { run, matches } = await find('MODALITY', '-S', ['QueryRetrieveLevel=STUDY', 'PatientID=1CT1', 'StudyInstanceUID', 'PatientName', 'ModalitiesInStudy', 'StudyDate', 'NumberOfStudyRelatedInstances']);
    assert.equal(run.code, 0, run.out);
    assert.equal(matches.length, 1, run.out);
    const expectedUid = (await dcmtk('dcmdump', ['+P', '0020,000d', CT])).out.match(/\[([0-9.]+)\]/u)?.[1];
    assert.equal(matches[0]?.get('0020,000d'), expectedUid);
    assert.equal(matches[0]?.get('0010,0020'), '1CT1');
    assert.match(matches[0]?.get('0010,0010') ?? '', /^Lovelace[a-z]\^Ada$/u);
    assert.equal(matches[0]?.get('0008,0061'), 'CT');
    assert.equal(matches[0]?.get('0020,1208'), '1');
  });

  test('series level, patient root, wildcards and date ranges', async () => {
    const series = await find('MODALITY', '-S', ['QueryRetrieveLevel=SERIES', 'PatientID=4MR1', 'SeriesInstanceUID', 'Modality']);
    assert.deepEqual(series.matches.map((m) => m.get('0008,0060')), ['MR'], series.run.out);
    const byPatient = await find('MODALITY', '-P', ['QueryRetrieveLevel=PATIENT', 'PatientID', 'PatientName=LOVELACE*', 'NumberOfPatientRelatedStudies']);
    assert.deepEqual(byPatient.matches.map((m) => m.get('0010,0020')).sort(), ['1CT1', '4MR1', '8NM1'], byPatient.run.out);
    const byDate = await find('MODALITY', '-S', ['QueryRetrieveLevel=STUDY', 'StudyDate=20040101-20041231', 'PatientID', 'StudyDate']);
    assert.deepEqual(byDate.matches.map((m) => m.get('0010,0020')).sort(), ['1CT1', '4MR1', '8NM1'], byDate.run.out);
    assert.ok(byDate.matches.every((m) => m.get('0008,0020')?.startsWith('2004')));
    const none = await find('MODALITY', '-S', ['QueryRetrieveLevel=STUDY', 'StudyDate=-19000101', 'PatientID']);
    assert.equal(none.matches.length, 0);
    const badLevel = await find('MODALITY', '-S', ['QueryRetrieveLevel=PATIENT', 'PatientID'], ['-d']);
    assert.match(badLevel.run.out, /DIMSE Status\s+: 0xa900/u, badLevel.run.out);
    assert.match(badLevel.run.out, /CLARUS_DIMSE_LEVEL_NOT_SUPPORTED/u);
  });

  test('a peer of another tenant finds nothing of tenant A, even for an MRN it also has', async () => {
    for (const keys of [['QueryRetrieveLevel=STUDY', 'PatientID=1CT1', 'StudyInstanceUID'], ['QueryRetrieveLevel=STUDY', 'PatientID', 'StudyInstanceUID'], ['QueryRetrieveLevel=SERIES', 'SeriesInstanceUID']]) {
      const { run, matches } = await find('OTHER_ORG', '-S', keys);
      assert.equal(run.code, 0, run.out);
      assert.equal(matches.length, 0, run.out);
    }
  });

  test('a peer restricted to one patient finds only that patient\'s studies', async () => {
    const all = await find('CT_ONLY', '-S', ['QueryRetrieveLevel=STUDY', 'PatientID', 'StudyInstanceUID']);
    assert.deepEqual(all.matches.map((m) => m.get('0010,0020')), ['1CT1'], all.run.out);
    const mr = await find('CT_ONLY', '-S', ['QueryRetrieveLevel=STUDY', 'PatientID=4MR1', 'StudyInstanceUID']);
    assert.equal(mr.matches.length, 0);
  });
});

describe('peers', () => {
  test('a peer added or removed takes effect at the next association', async () => {
    const peers = system.composition.services.dimsePeers;
    assert.match((await echo('LATE_PEER')).out, /Association Rejected/u);
    await peers.addForTenant(slugA, { aeTitle: 'LATE_PEER', role: 'Viewer', patientIds: null, hosts: ['::1', '127.0.0.1'] });
    assert.equal((await echo('LATE_PEER')).code, 0);
    // AE titles are unique in the installation: another organisation cannot claim it.
    await assert.rejects(peers.addForTenant(slugB, { aeTitle: 'LATE_PEER', role: 'Viewer', patientIds: null, hosts: null }), { code: 'CLARUS_ERR_CONFLICT' });
    await peers.removeForTenant(slugA, 'LATE_PEER');
    assert.match((await echo('LATE_PEER')).out, /Association Rejected/u);
  });
});

describe('TLS, rate and logs', () => {
  test('over TLS 1.2+ (BCP 195 profile) C-ECHO and C-STORE work; plain TCP to the TLS port does not', async () => {
    const tls = ['+tla', '-ic'];
    const echoed = await echo('MODALITY', 'CLARUS', tls, tlsPort);
    assert.equal(echoed.code, 0, echoed.out);
    const stored = await store('MODALITY', [MR], tls, tlsPort);
    assert.match(stored.out, /Received Store Response \(Success\)/u, stored.out);
    assert.notEqual((await echo('MODALITY', 'CLARUS', [], tlsPort)).code, 0);
  });

  // CLARUS_DIMSE_RATE_INSTANCES changes the count (e.g. fewer on a crowded machine).
  const instances = Number(process.env.CLARUS_DIMSE_RATE_INSTANCES ?? 100);
  test(`${instances} small instances in one association (rate reported)`, async (t) => {
    const files = Array.from({ length: instances }, (_, i) => join(work, `ct-${i}.dcm`));
    for (const file of files) copyFileSync(CT, file);
    const uids = await dcmtk('dcmodify', ['-nb', '-gin', ...files]);
    assert.equal(uids.code, 0, uids.out);
    const before = await count('instances');
    const started = process.hrtime.bigint();
    const run = await store('MODALITY', files);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    assert.equal((run.out.match(/Received Store Response \(Success\)/gu) ?? []).length, instances, run.out.slice(-2000));
    assert.equal(await count('instances'), before + instances);
    t.diagnostic(`C-STORE: ${instances} instances of ${readFileSync(CT).length} bytes in ${seconds.toFixed(2)} s = ${(instances / seconds).toFixed(1)} instances/s (one association, clamd scan, encryption, audit)`);
  });

  test('associations, stores and searches are audited as the peer\'s service account, with ids only', async () => {
    const audit = new pg.Client({ connectionString: adminUrl(`${system.databases.mainName}_audit`) });
    await audit.connect();
    try {
      const modality = await principalOf('MODALITY');
      const rows = (await audit.query<{ action: string; actor_kind: string; outcome: string; n: number }>(
        "select action, actor_kind, outcome, count(*)::int as n from audit_entries where actor_id = $1 or action = 'dimse.association' group by 1, 2, 3", [modality.userId],
      )).rows;
      const n = (action: string, kind: string, outcome: string) => rows.find((r) => r.action === action && r.actor_kind === kind && r.outcome === outcome)?.n ?? 0;
      assert.ok(n('dimse.association', 'service', 'success') >= 5, JSON.stringify(rows));
      assert.ok(n('dimse.association', 'anonymous', 'denied') >= 3, 'rejections');
      assert.ok(n('image.upload', 'service', 'success') >= 100);
      assert.ok(n('image.search', 'service', 'success') >= 1);
      const uploads = await audit.query<{ details: { channel?: string } }>("select details from audit_entries where action = 'image.upload' and actor_id = $1 limit 1", [modality.userId]);
      assert.equal(uploads.rows[0]?.details.channel, 'dimse');
      const text = JSON.stringify((await audit.query("select details, request_id from audit_entries where action like 'dimse%'")).rows);
      assert.ok(!/1CT1|4MR1|Lovelace|MODALITY|1\.3\.6\.1\.4\.1\.5962/u.test(text), 'no PHI or AE title in audit details');
    } finally {
      await audit.end();
    }
  });

  test('the DIMSE log holds ids only: no MRN, name or UID of the data', async () => {
    const log = logLines.join('\n');
    assert.ok(logLines.some((l) => l.includes('DIMSE C-STORE stored')));
    for (const phi of ['1CT1', '4MR1', '8NM1', 'CompressedSamples', 'Lovelace', '1.3.6.1.4.1.5962', 'MODALITY', 'STRANGER']) assert.ok(!log.includes(phi), `log mentions ${phi}`);
  });
});
