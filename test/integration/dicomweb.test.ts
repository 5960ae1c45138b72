import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import dicomParser, { type Element } from 'dicom-parser';
import dicomweb from 'dicomweb-client';
import pg from 'pg';
import sharp from 'sharp';
import { eicarTestString, startClamd, type ClamdInstance } from '../helpers/clamd.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import { adminUrl } from '../helpers/test-databases.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';
import { dicomInstance } from '../fixtures/ingest/builders.ts';

/**
 * DICOMweb (DCM-1) end to end over a real port, with real clamd and PostgreSQL: the `dicomweb-client`
 * package (built for browsers) does STOW → QIDO → WADO with API keys. Node 24 has fetch but no
 * XMLHttpRequest, so the test gives the client a small XMLHttpRequest made of fetch (FetchXhr); the
 * client's own multipart encoding and decoding are what is exercised.
 */

const pydicom = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const LIMIT = 1024 * 1024;
const ct = readFileSync(join(pydicom, 'CT_small.dcm'));
const mr = readFileSync(join(pydicom, 'MR_small.dcm'));
const zeroedPreamble = (file: Buffer) => Buffer.concat([Buffer.alloc(128), file.subarray(128)]);
const arrayBufferOf = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;

/** The XMLHttpRequest surface dicomweb-client uses, over fetch. */
class FetchXhr {
  readyState = 0;
  status = 0;
  response: unknown = null;
  responseType = '';
  withCredentials = false;
  onreadystatechange: (() => void) | null = null;
  onloadstart: (() => void) | null = null;
  onloadend: (() => void) | null = null;
  onprogress: unknown = null;
  private method = 'GET';
  private url = '';
  private readonly requestHeaders = new Headers();
  private responseHeaders = new Headers();

  open(method: string, url: string): void {
    this.method = method.toUpperCase();
    this.url = url;
    this.readyState = 1;
  }

  setRequestHeader(name: string, value: string): void {
    this.requestHeaders.set(name, value);
  }

  getResponseHeader(name: string): string | null {
    return this.responseHeaders.get(name);
  }

  getAllResponseHeaders(): string {
    return [...this.responseHeaders].map(([k, v]) => `${k}: ${v}`).join('\r\n');
  }

  send(body?: ArrayBuffer | string): void {
    const run = async () => {
      const reply = await fetch(this.url, { method: this.method, headers: this.requestHeaders, ...(body === undefined ? {} : { body }) });
      this.status = reply.status;
      this.responseHeaders = reply.headers;
      const bytes = await reply.arrayBuffer();
      const text = () => Buffer.from(bytes).toString('utf8');
      this.response = this.responseType === 'arraybuffer' ? bytes : this.responseType === 'json' ? (bytes.byteLength > 0 ? JSON.parse(text()) as unknown : null) : text();
    };
    void run().catch(() => {
      this.status = 0;
    }).finally(() => {
      this.readyState = 4;
      this.onreadystatechange?.();
    });
  }
}
(globalThis as unknown as { XMLHttpRequest: unknown }).XMLHttpRequest = FetchXhr;

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;
interface Client {
  storeInstances(options: { datasets: ArrayBuffer[]; studyInstanceUID?: string }): Promise<unknown>;
  searchForStudies(options?: { queryParams?: Record<string, unknown> }): Promise<DicomJson[]>;
  searchForSeries(options?: { studyInstanceUID?: string; queryParams?: Record<string, unknown> }): Promise<DicomJson[]>;
  searchForInstances(options?: { studyInstanceUID?: string; seriesInstanceUID?: string; queryParams?: Record<string, unknown> }): Promise<DicomJson[]>;
  retrieveInstance(options: { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string }): Promise<ArrayBuffer>;
  retrieveStudy(options: { studyInstanceUID: string }): Promise<ArrayBuffer[]>;
  retrieveInstanceMetadata(options: { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string }): Promise<DicomJson[]>;
  retrieveInstanceFrames(options: { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string; frameNumbers: number[] }): Promise<ArrayBuffer[]>;
  retrieveInstanceRendered(options: { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string; mediaTypes: { mediaType: string }[]; queryParams?: Record<string, unknown> }): Promise<ArrayBuffer[]>;
}
const clientFor = (url: string, key: string): Client => new dicomweb.api.DICOMwebClient({ url, headers: { 'x-api-key': key }, verbose: false, singlepart: false }) as unknown as Client;
const first = (ds: DicomJson | undefined, tag: string): unknown => ds?.[tag]?.Value?.[0];

let clamd: ClamdInstance;
let system: TestSystem;
let admin: SignedInUser;
let base: string;
let technicianKey: string;
let radiologistKey: string;
let db: pg.Client;
let audit: pg.Client;

before(async () => {
  clamd = await startClamd();
  system = await startTestSystem({ env: { CLAMD_URL: clamd.url, CLARUS_UPLOAD_MAX_BYTES: String(LIMIT) } });
  await system.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(system.app.server.address() as AddressInfo).port}/dicom-web`;
  admin = await newTenantWithAdmin(system);
  await createPatient(admin, { mrn: '1CT1' });
  await createPatient(admin, { mrn: '4MR1' });
  const slug = ((await admin.client.get('/api/auth/me')).body.user as { tenant: { slug: string } }).tenant.slug;
  const keys = system.composition.services.serviceAccounts;
  technicianKey = (await keys.createForTenant(slug, { name: 'modality-gateway', role: 'Technician', patientIds: null, expiresDays: 10 })).key;
  radiologistKey = (await keys.createForTenant(slug, { name: 'reading-station', role: 'Radiologist', patientIds: null, expiresDays: 10 })).key;
  db = new pg.Client({ connectionString: adminUrl(system.databases.mainName) });
  audit = new pg.Client({ connectionString: adminUrl(`${system.databases.mainName}_audit`) });
  await Promise.all([db.connect(), audit.connect()]);
});
after(async () => {
  await Promise.all([db.end(), audit.end()]);
  await system.close();
  await clamd.stop();
});

const ctUids = () => {
  const ds = dicomParser.parseDicom(ct);
  return { studyInstanceUID: ds.string('x0020000d') as string, seriesInstanceUID: ds.string('x0020000e') as string, sopInstanceUID: ds.string('x00080018') as string, pixels: ds.elements.x7fe00010 as Element };
};

describe('a DICOMweb client: STOW → QIDO → WADO', () => {
  test('a Technician API key stores CT_small and MR_small, matched to their patients by Patient ID', async () => {
    const answer = await clientFor(base, technicianKey).storeInstances({ datasets: [arrayBufferOf(ct), arrayBufferOf(mr)] });
    const body = JSON.parse(answer as string) as DicomJson;
    const referenced = body['00081199']?.Value as DicomJson[];
    assert.equal(referenced.length, 2, JSON.stringify(body));
    assert.equal(body['00081198'], undefined, 'nothing failed');
    const { studyInstanceUID, seriesInstanceUID, sopInstanceUID } = ctUids();
    assert.equal(first(referenced[0], '00081155'), sopInstanceUID);
    assert.equal(first(referenced[0], '00081190'), `http://localhost:8080/dicom-web/studies/${studyInstanceUID}/series/${seriesInstanceUID}/instances/${sopInstanceUID}`);
    // Storing the same bytes again is idempotent (200, the same references).
    const again = JSON.parse(await clientFor(base, technicianKey).storeInstances({ datasets: [arrayBufferOf(ct)], studyInstanceUID }) as string) as DicomJson;
    assert.equal((again['00081199']?.Value as DicomJson[]).length, 1);
    assert.equal(first(again, '00081190'), `http://localhost:8080/dicom-web/studies/${studyInstanceUID}`);
  });

  test('QIDO finds them by PatientID, StudyDate range, Modality, with includefield, limit and offset', async () => {
    const client = clientFor(base, radiologistKey);
    const byPatient = await client.searchForStudies({ queryParams: { PatientID: '1CT1' } });
    assert.equal(byPatient.length, 1);
    assert.equal(first(byPatient[0], '0020000D'), ctUids().studyInstanceUID);
    assert.equal(first(byPatient[0], '00100020'), '1CT1');
    assert.deepEqual(byPatient[0]?.['00080061']?.Value, ['CT']);
    assert.equal(first(byPatient[0], '00201208'), 1);
    assert.equal(byPatient[0]?.['00081030'], undefined, 'StudyDescription only on includefield');

    const inJanuary = await client.searchForStudies({ queryParams: { StudyDate: '20040101-20040131' } });
    assert.deepEqual(inJanuary.map((s) => first(s, '00100020')), ['1CT1']);
    const from = await client.searchForStudies({ queryParams: { StudyDate: '20040201-' } });
    assert.deepEqual(from.map((s) => first(s, '00100020')), ['4MR1'], 'open range, tested after decryption');
    const both = await client.searchForStudies({ queryParams: { '00080020': '-20041231' } });
    assert.equal(both.length, 2);

    const mrSeries = await client.searchForSeries({ queryParams: { Modality: 'MR' } });
    assert.equal(mrSeries.length, 1);
    assert.equal(first(mrSeries[0], '00080060'), 'MR');
    assert.equal(first(mrSeries[0], '00100020'), '4MR1', 'all series carry the study attributes');

    const described = await client.searchForStudies({ queryParams: { PatientID: '1CT1', includefield: 'StudyDescription' } });
    assert.equal(first(described[0], '00081030'), 'e+1');
    const wildcard = await client.searchForStudies({ queryParams: { StudyDescription: 'e?1*', PatientName: 'lovelace*' } });
    assert.deepEqual(wildcard.map((s) => first(s, '00100020')), ['1CT1']);
    const all = await client.searchForInstances({ queryParams: { includefield: 'all', SOPInstanceUID: ctUids().sopInstanceUID } });
    assert.equal(all.length, 1);
    assert.equal(first(all[0], '00280010'), 128);

    const [page1, page2, page3] = await Promise.all([0, 1, 2].map((offset) => client.searchForStudies({ queryParams: { limit: 1, offset } })));
    assert.equal(page1?.length, 1);
    assert.equal(page2?.length, 1);
    assert.notEqual(first(page1?.[0], '0020000D'), first(page2?.[0], '0020000D'));
    assert.deepEqual(page3, [], 'an empty result is 200 with []');
  });

  test('WADO returns the stored bytes, metadata, frames and a rendered PNG — each retrieval audited', async () => {
    const client = clientFor(base, radiologistKey);
    const { pixels, ...uids } = ctUids();
    const instance = Buffer.from(await client.retrieveInstance(uids));
    assert.ok(instance.equals(zeroedPreamble(ct)), 'identical bytes apart from the zeroed preamble');
    const study = await client.retrieveStudy({ studyInstanceUID: uids.studyInstanceUID });
    assert.equal(study.length, 1);
    assert.ok(Buffer.from(study[0] as ArrayBuffer).equals(zeroedPreamble(ct)));

    const [metadata] = await client.retrieveInstanceMetadata(uids);
    assert.equal(first(metadata, '00100020'), '1CT1');
    assert.equal(first(metadata, '00083002'), '1.2.840.10008.1.2.1');
    assert.equal(metadata?.['7FE00010'], undefined, 'no pixel data in metadata');

    const [frame] = await client.retrieveInstanceFrames({ ...uids, frameNumbers: [1] });
    assert.ok(Buffer.from(frame as ArrayBuffer).equals(ct.subarray(pixels.dataOffset, pixels.dataOffset + pixels.length)), 'frame 1 is the pixel data');

    const [png] = await client.retrieveInstanceRendered({ ...uids, mediaTypes: [{ mediaType: 'image/png' }], queryParams: { window: '40,400' } });
    const info = await sharp(Buffer.from(png as ArrayBuffer)).metadata();
    assert.deepEqual([info.format, info.width, info.height], ['png', 128, 128]);
    const thumbnail = await fetch(`${base}/studies/${uids.studyInstanceUID}/series/${uids.seriesInstanceUID}/instances/${uids.sopInstanceUID}/thumbnail?viewport=64,64`, { headers: { 'x-api-key': radiologistKey, accept: 'image/jpeg' } });
    assert.equal(thumbnail.status, 200);
    assert.equal((await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()).width, 64);

    const actions = await audit.query("select action, count(*)::int as n from audit_entries where action in ('image.download', 'image.view') group by action order by action");
    assert.deepEqual(actions.rows, [{ action: 'image.download', n: 2 }, { action: 'image.view', n: 4 }]);
  });
});

describe('refusals', () => {
  const post = (url: string, body: Buffer | string, contentType: string, key = technicianKey) => fetch(`${base}${url}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': contentType }, body });

  test('malformed multipart bodies are a 400, other media types a 415', async () => {
    const type = (boundary: string) => `multipart/related; type="application/dicom"; boundary=${boundary}`;
    for (const [body, contentType] of [
      ['no delimiter at all', type('b0undary')],
      ['--b0undary\r\nContent-Type: application/dicom\r\n\r\nnever closed', type('b0undary')],
      ['--b0undary--\r\n', type('b0undary')],
      ['--b0undary\r\n\r\nx\r\n--b0undary--', 'multipart/related; type="application/dicom"'],
    ] as const) {
      const reply = await post('/studies', body, contentType);
      assert.equal(reply.status, 400, `${contentType}: ${body}`);
      assert.equal(((await reply.json()) as { code: string }).code, 'CLARUS_ERR_MULTIPART_MALFORMED');
    }
    const nested = await post('/studies', '--b\r\nContent-Type: multipart/related; boundary=c\r\n\r\n--c--\r\n--b--', type('b'));
    assert.equal(nested.status, 415);
    assert.equal((await post('/studies', ct, 'application/dicom')).status, 415);
    const badUid = await fetch(`${base}/studies/1.2.abc/series`, { headers: { 'x-api-key': radiologistKey } });
    assert.equal(badUid.status, 400);
    const badQuery = await fetch(`${base}/studies?StudyDate=2004-01-19`, { headers: { 'x-api-key': radiologistKey } });
    assert.equal(badQuery.status, 400);
    const unknownKey = await fetch(`${base}/studies?PatientWeight=70`, { headers: { 'x-api-key': radiologistKey } });
    assert.equal(unknownKey.status, 400);
  });

  test('an infected part is a 409 with FailedSOPSequence and is quarantined; a clean one beside it is stored (202)', async () => {
    const before = ((await db.query("select count(*)::int as n from quarantine where source = 'stow'")).rows[0] as { n: number }).n;
    const eicar = eicarTestString();
    const infected = dicomInstance({ preamble: Buffer.concat([eicar, Buffer.alloc(128 - eicar.length)]), sopInstanceUid: '1.2.826.0.1.3680043.8.498.91' });
    const boundary = 'stow-test-boundary';
    const body = (parts: Buffer[]) => Buffer.concat([...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), p, Buffer.from('\r\n')]), Buffer.from(`--${boundary}--\r\n`)]);
    const refused = await post('/studies', body([infected]), `multipart/related; type="application/dicom"; boundary=${boundary}`);
    assert.equal(refused.status, 409);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/dicom\+json(;|$)/);
    const answer = await refused.json() as DicomJson;
    const failed = answer['00081198']?.Value as DicomJson[];
    assert.equal(failed.length, 1);
    assert.equal(first(failed[0], '00081197'), 0x0110);
    assert.equal(answer['00081199'], undefined);
    assert.equal(((await db.query("select count(*)::int as n from quarantine where source = 'stow'")).rows[0] as { n: number }).n, before + 1);

    // Patient ID MRN-0001: no such patient. Held for reconciliation: referenced without a Retrieve URL, 202 with a Warning.
    const unmatched = dicomInstance({ sopInstanceUid: '1.2.826.0.1.3680043.8.498.92' });
    const partial = await post('/studies', body([mr, unmatched]), `multipart/related; type="application/dicom"; boundary=${boundary}`);
    assert.equal(partial.status, 202);
    assert.match(partial.headers.get('warning') ?? '', /^299 clarus "1 instance\(s\) held for patient reconciliation"$/u);
    const mixed = await partial.json() as DicomJson;
    const referenced = mixed['00081199']?.Value as DicomJson[];
    assert.equal(referenced.length, 2);
    assert.equal(mixed['00081198'], undefined);
    const held = referenced.find((r) => first(r, '00081155') === '1.2.826.0.1.3680043.8.498.92');
    assert.equal(held?.['00081190']?.Value, undefined);
    const wrongStudy = await post('/studies/1.2.3.4', body([mr]), `multipart/related; type="application/dicom"; boundary=${boundary}`);
    assert.equal(wrongStudy.status, 409);
    assert.equal(first(((await wrongStudy.json() as DicomJson)['00081198']?.Value as DicomJson[])[0], '00081197'), 0xa900);
  });

  test('a part over the upload limit fails (0xA700) without stopping the next; a body cut inside a part stores nothing', async () => {
    const boundary = 'stow-limit-boundary';
    const type = `multipart/related; type="application/dicom"; boundary=${boundary}`;
    const huge = Buffer.concat([mr, Buffer.alloc(2 * LIMIT)]);
    const parts = Buffer.concat([huge, mr].flatMap((p) => [Buffer.from(`--${boundary}\r\n\r\n`), p, Buffer.from('\r\n')]));
    const reply = await post('/studies', Buffer.concat([parts, Buffer.from(`--${boundary}--`)]), type);
    assert.equal(reply.status, 202);
    const answer = await reply.json() as DicomJson;
    assert.equal(first((answer['00081198']?.Value as DicomJson[])[0], '00081197'), 0xa700);
    assert.equal((answer['00081199']?.Value as DicomJson[]).length, 1);
    // MR_small complete would be stored (as a duplicate); cut before its delimiter it is not.
    const cut = await post('/studies', Buffer.concat([Buffer.from(`--${boundary}\r\n\r\n`), mr]), type);
    assert.equal(cut.status, 400);
    assert.equal(((await cut.json()) as { code: string }).code, 'CLARUS_ERR_MULTIPART_MALFORMED');
  });

  test('a cookie session needs a CSRF token to STOW, as everywhere else', async () => {
    const reply = await system.app.inject({ method: 'POST', url: '/dicom-web/studies', headers: { cookie: admin.client.cookieHeader(), 'content-type': 'multipart/related; type="application/dicom"; boundary=b' }, payload: '--b--' });
    assert.equal(reply.statusCode, 403);
    assert.equal((JSON.parse(reply.body) as { code: string }).code, 'CLARUS_ERR_CSRF');
  });

  test('a Viewer without care-team assignment and another tenant see nothing: QIDO [] and WADO 404', async () => {
    const viewer = await addUser(system, admin, ['Viewer']);
    const stranger = await newTenantWithAdmin(system);
    const uids = ctUids();
    const instanceUrl = `/dicom-web/studies/${uids.studyInstanceUID}/series/${uids.seriesInstanceUID}/instances/${uids.sopInstanceUID}`;
    for (const user of [viewer, stranger]) {
      for (const url of ['/dicom-web/studies', '/dicom-web/studies?PatientID=1CT1', '/dicom-web/series', `/dicom-web/instances?SOPInstanceUID=${uids.sopInstanceUID}`, `/dicom-web/studies/${uids.studyInstanceUID}/series`]) {
        const reply = await user.client.get(url);
        assert.equal(reply.status, 200, url);
        assert.deepEqual(JSON.parse(reply.raw.body), [], url);
      }
      for (const suffix of ['', '/metadata', '/frames/1', '/rendered', '/thumbnail']) {
        assert.equal((await user.client.get(`${instanceUrl}${suffix}`)).status, 404, suffix);
      }
      assert.equal((await user.client.get(`/dicom-web/studies/${uids.studyInstanceUID}`)).status, 404);
      assert.equal((await user.client.get(`/dicom-web/studies/${uids.studyInstanceUID}/metadata`)).status, 404);
    }
    // The same 404 as for a study that does not exist at all.
    assert.equal((await viewer.client.get('/dicom-web/studies/1.2.3.4.5')).status, 404);
  });
});

describe('logs', () => {
  test('no UID, MRN or name reaches the server log: requests are logged by route pattern', () => {
    const log = system.logLines.join('');
    const { studyInstanceUID, sopInstanceUID } = ctUids();
    for (const value of [studyInstanceUID, sopInstanceUID, '1CT1', '4MR1', 'CompressedSamples', 'Lovelace']) assert.ok(!log.includes(value), `${value} is not logged`);
    assert.ok(log.includes('/dicom-web/studies/:study/series/:series/instances/:instance'), 'the route pattern is');
  });
});
