/**
 * Resumable uploads in the browser (issue 6, tus): a Technician uploads a DICOM file over the web
 * app's tus threshold (8 MiB) and it goes in 4 MiB PATCHes, the progress bar and the percentage
 * advancing between them, and ends stored. Then a connection loss: one PATCH is aborted on its way
 * out; the row says it is resuming, the app asks the server where it got to (HEAD), continues from
 * that offset, and the file ends stored. And a lost answer: one PATCH reaches the server but its
 * answer does not reach the page; the app learns from HEAD that the chunk was kept and does not send
 * it again. Each stored instance downloads through the API with the bytes that were sent, except the
 * 128-byte preamble, which is zeroed.
 *
 * The PATCH and HEAD requests are held by page.route until the test has looked at the page, so the
 * test reads the progress between chunks without racing the upload.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page, Route } from 'playwright-core';
import { dicomInstance } from '../fixtures/ingest/builders.ts';
import { launchChromium, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { inBrowser, onPath, signIn } from '../helpers/browser-journeys.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';

/** web/src/api/resumableUpload.ts: tus above RESUMABLE_THRESHOLD, in PATCHes of CHUNK_SIZE. */
const THRESHOLD = 8 * 1024 * 1024;
const CHUNK = 4 * 1024 * 1024;
/** 3200 × 3200 8-bit pixels: about 9.8 MiB, three PATCHes. */
const SIDE = 3200;

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;
let technician: SignedInUser | undefined;
const patient = { id: '', mrn: 'TUS-0001' };

before(async () => {
  // Scanning is covered by the upload integration tests; the browser tests upload unscanned, as viewer.test.ts does.
  harness = await startBrowserSystem({ CLARUS_ALLOW_UNSCANNED: 'true' });
  browser = await launchChromium();
  const admin = await newTenantWithAdmin(harness.system, 'e2e-resumable');
  technician = await addUser(harness.system, admin, ['Technician']);
  patient.id = await createPatient(admin, { mrn: patient.mrn });
});

after(async () => {
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser; technician: SignedInUser } {
  assert.ok(harness && browser && technician, 'the system, the browser and the Technician are ready');
  return { harness, browser, technician };
}

/**
 * A CT instance of the test patient, over the tus threshold, with random pixels (so that a piece
 * sent twice, lost or out of order would show in the stored bytes) and a non-zero preamble.
 */
function largeDicom(n: number): Buffer {
  const root = `1.2.826.0.1.3680043.8.498.88${n}`;
  const bytes = dicomInstance({
    patientId: patient.mrn, studyInstanceUid: `${root}.1`, seriesInstanceUid: `${root}.2`, sopInstanceUid: `${root}.3`,
    rows: SIDE, columns: SIDE, preamble: Buffer.alloc(128, 0x41),
  });
  randomBytes(SIDE * SIDE).copy(bytes, bytes.length - SIDE * SIDE);
  assert.ok(bytes.length > THRESHOLD && bytes.length > 2 * CHUNK && bytes.length < 3 * CHUNK, `${bytes.length} bytes: over the threshold, three PATCHes`);
  return bytes;
}

/** Requests to one tus upload (`/api/uploads/{id}`) by method, and holds those of the given methods until the test lets them go. */
class UploadRequests {
  readonly seen: { method: string; offset: string | undefined }[] = [];
  private readonly held: Route[] = [];
  private readonly waiters: ((route: Route) => void)[] = [];

  private constructor(private readonly hold: ReadonlySet<string>) {}

  static async on(page: Page, hold: string[]): Promise<UploadRequests> {
    const requests = new UploadRequests(new Set(hold));
    page.on('request', (request) => {
      if (/^\/api\/uploads\/[^/]+$/u.test(new URL(request.url()).pathname)) {
        requests.seen.push({ method: request.method(), offset: request.headers()['upload-offset'] });
      }
    });
    await page.route((url) => /^\/api\/uploads\/[^/]+$/u.test(url.pathname), async (route) => {
      if (!requests.hold.has(route.request().method())) return route.continue();
      const waiter = requests.waiters.shift();
      if (waiter) waiter(route);
      else requests.held.push(route);
    });
    return requests;
  }

  /** The next held request, in the order they were sent. */
  next(method: string): Promise<Route> {
    const deadline = new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`no ${method} request came (seen: ${JSON.stringify(this.seen)})`)), 15_000).unref());
    const route = new Promise<Route>((resolve) => {
      const ready = this.held.shift();
      if (ready) resolve(ready);
      else this.waiters.push(resolve);
    });
    return Promise.race([route, deadline]).then((held) => {
      assert.equal(held.request().method(), method);
      return held;
    });
  }

  count(method: string): number {
    return this.seen.filter((r) => r.method === method).length;
  }
}

/** The one upload row's progress value, once it is above `floor` (the bar is re-rendered after each progress event). */
async function progressAbove(page: Page, floor: number): Promise<number> {
  const bar = page.getByTestId('upload-progress');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = Number(await bar.getAttribute('value'));
    if (value > floor) return value;
    if (Date.now() > deadline) throw new Error(`the progress bar stayed at ${value} (expected above ${floor})`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // poll interval, bounded by the deadline above
  }
}

/** Waits for the row to end; asserts it says Stored (then, on "Upload DICOM", a link to the patient) with a full bar. */
async function expectStored(page: Page): Promise<void> {
  await page.getByTestId('upload-summary').filter({ hasText: '1 of 1 done' }).waitFor();
  const row = page.getByTestId('upload-row');
  assert.match((await row.getByTestId('upload-result').textContent()) ?? '', /^Stored( · Open the patient)?$/);
  assert.equal(await row.getByTestId('upload-progress').getAttribute('value'), '1');
}

/** Through the API as the uploader: the patient's instance with this SOP Instance UID downloads as `sent` with a zeroed preamble. */
async function expectStoredBytes(sent: Buffer, sopInstanceUid: string): Promise<void> {
  const { technician: user } = running();
  const studies = await user.client.get(`/api/patients/${patient.id}/studies`);
  assert.equal(studies.status, 200, JSON.stringify(studies.body));
  type Study = { series: { instances: { id: string; sopInstanceUid: string; size: number }[] }[] };
  const instance = (studies.body.studies as Study[]).flatMap((s) => s.series.flatMap((x) => x.instances)).find((i) => i.sopInstanceUid === sopInstanceUid);
  assert.ok(instance, `the instance ${sopInstanceUid} is listed for the patient`);
  const file = await user.client.get(`/api/images/instances/${instance.id}/file`);
  assert.equal(file.status, 200);
  assert.equal(file.headers['content-type'], 'application/dicom');
  const stored = file.raw.rawPayload;
  assert.equal(stored.length, sent.length, 'same length');
  assert.ok(stored.subarray(0, 128).equals(Buffer.alloc(128)), 'the preamble is zeroed');
  assert.ok(stored.subarray(128).equals(sent.subarray(128)), 'every byte after the preamble is the one sent');
}

describe('resumable uploads in the browser', () => {
  test('a file over the tus threshold goes in 4 MiB PATCHes with the progress advancing, and is stored', async (t) => {
    const file = largeDicom(1);
    await inBrowser(running(), 'resumable-chunks', async (page) => {
      await signIn(page, running().technician);
      await page.getByRole('link', { name: 'Upload DICOM', exact: true }).click();
      await page.waitForURL(onPath('/images/upload'));
      const requests = await UploadRequests.on(page, ['PATCH']);
      await page.getByTestId('file-input').setInputFiles({ name: 'large.dcm', mimeType: 'application/dicom', buffer: file });

      const first = await requests.next('PATCH');
      assert.equal(first.request().headers()['upload-offset'], '0');
      await first.continue();

      // While the second PATCH waits: the first chunk's share shows, in the bar and in words.
      const second = await requests.next('PATCH');
      assert.equal(second.request().headers()['upload-offset'], String(CHUNK));
      const afterFirst = await progressAbove(page, 0);
      assert.ok(afterFirst < 1, `${afterFirst}`);
      const words = await page.getByTestId('upload-result').textContent();
      assert.equal(words, `${Math.floor(afterFirst * 100)} %`);
      await screenshot(page, 'resumable-progress');
      await second.continue();

      const third = await requests.next('PATCH');
      assert.equal(third.request().headers()['upload-offset'], String(2 * CHUNK));
      const afterSecond = await progressAbove(page, afterFirst);
      t.diagnostic(`progress while the 2nd and 3rd PATCH waited: ${afterFirst.toFixed(4)}, ${afterSecond.toFixed(4)} (chunk ends ${(CHUNK / file.length).toFixed(4)}, ${(2 * CHUNK / file.length).toFixed(4)})`);
      assert.ok(afterSecond < 1, `${afterSecond}`);
      assert.notEqual(await page.getByTestId('upload-result').textContent(), words, 'the percentage advanced');
      await third.continue();

      await expectStored(page);
      assert.ok(await page.getByRole('link', { name: 'Open the patient' }).isVisible(), 'matched to the patient by MRN');
      assert.equal(requests.count('PATCH'), Math.ceil(file.length / CHUNK));
      assert.equal(requests.count('HEAD'), 0, 'nothing to resume');
    });
    await expectStoredBytes(file, '1.2.826.0.1.3680043.8.498.881.3');
  });

  test('a PATCH lost to a connection failure: the app asks where it got to (HEAD), resumes, and the file is stored whole', async () => {
    const file = largeDicom(2);
    await inBrowser(running(), 'resumable-interrupted', async (page) => {
      await signIn(page, running().technician);
      // This time from the patient's page: the upload carries the chosen patient.
      await page.goto(`/patients/${patient.id}`);
      await page.getByTestId('upload-images').click();
      await page.waitForURL(onPath(`/patients/${patient.id}/upload`));
      const requests = await UploadRequests.on(page, ['PATCH', 'HEAD']);
      await page.getByTestId('file-input').setInputFiles({ name: 'large.dcm', mimeType: 'application/dicom', buffer: file });

      await (await requests.next('PATCH')).continue();
      // The second PATCH never reaches the server: the connection is reset.
      const lost = await requests.next('PATCH');
      assert.equal(lost.request().headers()['upload-offset'], String(CHUNK));
      await lost.abort('connectionreset');

      // The app says so and, after its pause, asks the server for the offset.
      const head = await requests.next('HEAD');
      assert.equal(await page.getByTestId('upload-result').textContent(), 'Connection lost; resuming…');
      await screenshot(page, 'resumable-resuming');
      const headAnswer = page.waitForResponse((response) => response.request().method() === 'HEAD');
      await head.continue();
      const offset = (await headAnswer).headers()['upload-offset'];
      assert.equal(offset, String(CHUNK), 'the server kept the first chunk only');

      // It resumes from there, not from where it had got to itself.
      const resumed = await requests.next('PATCH');
      assert.equal(resumed.request().headers()['upload-offset'], offset);
      await resumed.continue();
      await (await requests.next('PATCH')).continue();

      await expectStored(page);
      assert.deepEqual(requests.seen.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.offset ?? ''}`.trim()), [
        'PATCH 0', `PATCH ${CHUNK}`, 'HEAD', `PATCH ${CHUNK}`, `PATCH ${2 * CHUNK}`,
      ]);
    });
    await expectStoredBytes(file, '1.2.826.0.1.3680043.8.498.882.3');
  });
  test('a PATCH whose answer is lost: the server kept it, and the app resumes from the server\'s offset, not its own', async () => {
    const file = largeDicom(3);
    await inBrowser(running(), 'resumable-answer-lost', async (page) => {
      await signIn(page, running().technician);
      await page.getByRole('link', { name: 'Upload DICOM', exact: true }).click();
      await page.waitForURL(onPath('/images/upload'));
      const requests = await UploadRequests.on(page, ['PATCH', 'HEAD']);
      await page.getByTestId('file-input').setInputFiles({ name: 'large.dcm', mimeType: 'application/dicom', buffer: file });

      await (await requests.next('PATCH')).continue();
      // The second PATCH reaches the server and is stored, but its answer never reaches the page.
      const sent = await requests.next('PATCH');
      const answer = await sent.fetch();
      assert.equal(answer.status(), 204, await answer.text());
      assert.equal(answer.headers()['upload-offset'], String(2 * CHUNK));
      await sent.abort('connectionreset');

      const head = await requests.next('HEAD');
      const headAnswer = page.waitForResponse((response) => response.request().method() === 'HEAD');
      await head.continue();
      assert.equal((await headAnswer).headers()['upload-offset'], String(2 * CHUNK));
      const last = await requests.next('PATCH');
      assert.equal(last.request().headers()['upload-offset'], String(2 * CHUNK), 'the second chunk is not sent again');
      await last.continue();

      await expectStored(page);
    });
    await expectStoredBytes(file, '1.2.826.0.1.3680043.8.498.883.3');
  });
});
