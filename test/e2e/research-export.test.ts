/**
 * A de-identified research export in the browser (issue 7: PRIV-1, DEID-1..3): an Administrator
 * records the patient's research consent, uploads a small CT study and an ultrasound image, picks
 * both studies on the patient page and checks the export: the ultrasound is held for pixel review.
 * From the check the reviewer opens that image in the viewer, zooms in, draws a mask rectangle with
 * the mouse (sent in image pixels, whatever the zoom) and applies it; back on the export page the
 * check is ready, the export starts after step-up, its progress bar reaches the end, and the zip
 * downloads (PK signature, manifest.json). Then the archive is destroyed. No name or MRN appears in
 * any URL; any CSP violation or page error fails the test.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startExportJobs } from '../../src/jobs/background-jobs.ts';
import type { JobLoop } from '../../src/jobs/job-loop.ts';
import { dicomInstance, element } from '../fixtures/ingest/builders.ts';
import { launchChromium, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { confirmStepUp, inBrowser, onPath, signIn, text } from '../helpers/browser-journeys.ts';
import { newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;
let admin: SignedInUser | undefined;
/** The background loop that builds queued exports, as `clarus serve` runs it. */
let jobs: JobLoop | undefined;
/** A synthetic patient (no real PHI). */
const patient = { id: '', mrn: 'MRN-RX01', givenName: 'Rosalind', familyName: 'Exporter' };

/** Ultrasound Image Storage (PS3.4 Annex B.5): held for review whatever Burned In Annotation says. */
const US_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.6.1';
const US_SIZE = 64;
/** Where the synthetic ultrasound "burns in" its text: image pixels x 10..49, y 10..19. */
const TEXT_BAND = { x: 10, y: 10, width: 40, height: 10 };

before(async () => {
  // Scanning is covered by the upload tests; here uploads run unscanned (development setting).
  harness = await startBrowserSystem({ CLARUS_ALLOW_UNSCANNED: 'true' });
  const { logLines } = harness.system;
  jobs = startExportJobs(harness.system.composition.services.researchExports, (error) => logLines.push(`export job failed: ${String(error)}`), 500);
  browser = await launchChromium();
  admin = await newTenantWithAdmin(harness.system, 'e2e-research');
  patient.id = await createPatient(admin, { mrn: patient.mrn, givenName: patient.givenName, familyName: patient.familyName });
});

after(async () => {
  await jobs?.stop();
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser; admin: SignedInUser } {
  assert.ok(harness && browser && admin, 'the system, the browser and the Administrator are ready');
  return { harness, browser, admin };
}

/** A 16 × 16 CT instance of its own study, matched to the patient by Patient ID. */
function ctFile(): { name: string; mimeType: string; buffer: Buffer } {
  const buffer = dicomInstance({
    patientId: patient.mrn, rows: 16, columns: 16,
    studyInstanceUid: '1.2.826.0.1.3680043.8.498.7101', seriesInstanceUid: '1.2.826.0.1.3680043.8.498.7102', sopInstanceUid: '1.2.826.0.1.3680043.8.498.7103',
  });
  return { name: 'CT0001', mimeType: 'application/dicom', buffer };
}

/**
 * A 64 × 64 single-frame ultrasound of another study: grey, with a white band where a device would
 * burn the patient's name. Written element by element (the builder's data set is a CT), in tag order.
 */
function ultrasoundFile(): { name: string; mimeType: string; buffer: Buffer } {
  const sopInstanceUid = '1.2.826.0.1.3680043.8.498.7203';
  const pixels = Buffer.alloc(US_SIZE * US_SIZE, 0x40);
  for (let y = TEXT_BAND.y; y < TEXT_BAND.y + TEXT_BAND.height; y += 1) pixels.fill(0xff, y * US_SIZE + TEXT_BAND.x, y * US_SIZE + TEXT_BAND.x + TEXT_BAND.width);
  const dataSet = Buffer.concat([
    element(0x00080016, 'UI', US_IMAGE_STORAGE),
    element(0x00080018, 'UI', sopInstanceUid),
    element(0x00080020, 'DA', '20240305'),
    element(0x00080060, 'CS', 'US'),
    element(0x00100010, 'PN', `${patient.familyName}^${patient.givenName}`),
    element(0x00100020, 'LO', patient.mrn),
    element(0x0020000d, 'UI', '1.2.826.0.1.3680043.8.498.7201'),
    element(0x0020000e, 'UI', '1.2.826.0.1.3680043.8.498.7202'),
    element(0x00280002, 'US', 1),
    element(0x00280004, 'CS', 'MONOCHROME2'),
    element(0x00280010, 'US', US_SIZE),
    element(0x00280011, 'US', US_SIZE),
    element(0x00280100, 'US', 8),
    element(0x00280101, 'US', 8),
    element(0x00280102, 'US', 7),
    element(0x00280103, 'US', 0),
    element(0x7fe00010, 'OB', pixels),
  ]);
  return { name: 'US0001', mimeType: 'application/dicom', buffer: dicomInstance({ rawDataSet: dataSet, metaSopClassUid: US_IMAGE_STORAGE, sopInstanceUid }) };
}

/** Uploads each file on its own from the patient page (new studies one after the other), all stored. */
async function uploadAll(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  await page.getByTestId('upload-images').click();
  await page.waitForURL(onPath(`/patients/${patient.id}/upload`));
  for (const [index, file] of files.entries()) {
    await page.getByTestId('file-input').setInputFiles(file);
    await page.getByTestId('upload-summary').filter({ hasText: `${index + 1} of ${index + 1} done` }).waitFor();
  }
  const results = await page.getByTestId('upload-result').allTextContents();
  assert.deepEqual(results, files.map(() => 'Stored'));
}

/**
 * Drags on the viewer canvas from image pixel `from` to image pixel `to` (fractional: pixel centres),
 * converting through the same placement the viewer uses: at zoom z the image fits the 512-pixel
 * surface × z, centred, and CSS may draw the canvas smaller.
 */
async function dragOnImage(page: Page, zoom: number, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  const canvas = page.getByTestId('viewer-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  assert.ok(box);
  const surface = 512;
  const scale = (surface / US_SIZE) * zoom;
  const offset = surface / 2 - (US_SIZE * scale) / 2;
  const css = box.width / surface;
  const at = (p: { x: number; y: number }) => ({ x: box.x + (offset + p.x * scale) * css, y: box.y + (offset + p.y * scale) * css });
  const start = at(from);
  const end = at(to);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(end.x, end.y, { steps: 6 });
  await page.mouse.up();
}

/**
 * The entries of a ZIP whose local headers carry their sizes (APPNOTE.TXT 4.3.7: no data
 * descriptors; stored or not, the bytes are returned as they are in the archive).
 */
function zipEntries(zip: Buffer): Map<string, { method: number; data: Buffer }> {
  const entries = new Map<string, { method: number; data: Buffer }>();
  let at = 0;
  while (at + 30 <= zip.length && zip.readUInt32LE(at) === 0x04034b50) {
    const method = zip.readUInt16LE(at + 8);
    const size = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const start = at + 30 + nameLength + zip.readUInt16LE(at + 28);
    entries.set(zip.subarray(at + 30, at + 30 + nameLength).toString('utf8'), { method, data: zip.subarray(start, start + size) });
    at = start + size;
  }
  return entries;
}

/** One row of the ultrasound's pixels as the mask leaves it: the text band's columns set to 0. */
function maskedRow(): Buffer {
  const row = Buffer.alloc(US_SIZE, 0x40);
  row.fill(0, TEXT_BAND.x, TEXT_BAND.x + TEXT_BAND.width);
  return row;
}

describe('research export in the browser', () => {
  test('consent, upload, pixel review with a mask drawn on a zoomed image, step-up export, progress, download, deletion', async () => {
    await inBrowser(running(), 'research-export', async (page) => {
      const { harness: { system }, admin } = running();
      const urls: string[] = [];
      page.on('request', (request) => urls.push(request.url()));
      await signIn(page, admin);

      // Consent: nothing recorded is no consent; the Administrator records a grant for research.
      await page.goto(`/patients/${patient.id}`);
      const research = page.locator('[data-testid="consent-row"][data-purpose="research"]');
      await research.waitFor();
      assert.equal(await research.getAttribute('data-status'), 'unknown');
      assert.match(await research.getByTestId('consent-status').textContent() ?? '', /no consent/);
      await research.getByTestId('consent-granted').click();
      await page.locator('[data-testid="consent-row"][data-purpose="research"][data-status="granted"]').waitFor();
      assert.match(await research.getByTestId('consent-recorded').textContent() ?? '', /^ · by you on /);
      assert.equal(await page.locator('[data-testid="consent-row"][data-purpose="clinical-ai"]').getAttribute('data-status'), 'unknown');

      await uploadAll(page, [ctFile(), ultrasoundFile()]);
      await page.goto(`/patients/${patient.id}`);
      const picks = page.getByTestId('study-pick');
      await picks.nth(1).waitFor();
      assert.equal(await picks.count(), 2, 'two studies');
      await picks.nth(0).check();
      await picks.nth(1).check();
      assert.match(await text(page, 'export-selection-count'), /^2 studies selected/);
      await screenshot(page, 'research-export-patient-page');
      await page.getByTestId('export-deidentified').click();
      await page.waitForURL(onPath('/research/exports'));

      // The form: the two studies, a purpose, the options (those Safe Harbor forbids are disabled, with why).
      assert.equal(await page.getByTestId('selected-study').count(), 2);
      await page.getByTestId('export-purpose').fill('Dose study RX-7 (protocol 2024-17)');
      await page.getByTestId('export-option').first().waitFor();
      const refused = page.locator('[data-testid="export-option"]:disabled');
      assert.ok(await refused.count() >= 1, 'at least one option is not available to a Safe Harbor export');
      assert.ok(await page.getByTestId('option-why').count() >= 1, 'a disabled option says why');
      assert.ok(await page.getByTestId('export-start').isDisabled(), 'no start before a check');

      await page.getByTestId('export-check').click();
      await page.getByTestId('preflight').waitFor();
      assert.match(await text(page, 'preflight-summary'), /1 image is held/);
      assert.ok(await page.getByTestId('export-start').isDisabled(), 'no start while an image is held');
      const checked = page.getByTestId('preflight-study');
      assert.equal(await checked.count(), 2);
      for (let i = 0; i < 2; i += 1) assert.equal(await checked.nth(i).getAttribute('data-consent'), 'granted');
      const held = page.getByTestId('held-instance');
      assert.equal(await held.count(), 1, 'only the ultrasound is held');
      assert.match(await held.textContent() ?? '', /ultrasound/);
      const heldId = await held.getAttribute('data-instance-id');
      await screenshot(page, 'research-export-preflight-held');

      // Review in the viewer: the banner, then a mask drawn on a zoomed image.
      await held.getByTestId('review-held').click();
      await page.waitForURL((url) => url.pathname.startsWith(`/patients/${patient.id}/series/`) && url.pathname.endsWith(`/instances/${heldId}`));
      const banner = page.getByTestId('pixel-hold-banner');
      await banner.waitFor();
      assert.match(await text(page, 'pixel-hold-reason'), /^Held from AI and research export: ultrasound/);
      await page.getByTestId('start-mask').click();
      await page.getByTestId('mask-empty').waitFor();
      assert.ok(await page.getByTestId('apply-mask').isDisabled(), 'nothing to apply yet');
      await page.getByTestId('zoom-in').click();
      assert.match(await text(page, 'window-readout'), /125 %$/);
      await dragOnImage(page, 1.25, { x: TEXT_BAND.x + 0.5, y: TEXT_BAND.y + 0.5 }, { x: TEXT_BAND.x + TEXT_BAND.width - 0.5, y: TEXT_BAND.y + TEXT_BAND.height - 0.5 });
      assert.equal(await page.getByTestId('mask-region').count(), 1);
      assert.match(await page.getByTestId('mask-region').textContent() ?? '', /x 10, y 10, 40 × 10 pixels/);
      await screenshot(page, 'research-export-mask-drawn');
      const [decision] = await Promise.all([
        page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith(`/api/images/instances/${heldId}/pixel-review`)),
        page.getByTestId('apply-mask').click(),
      ]);
      assert.deepEqual(decision.postDataJSON(), { decision: 'masked', regions: [TEXT_BAND] }, 'the region is sent in image pixels');
      const decided = page.getByTestId('pixel-review-decision');
      await decided.waitFor();
      assert.equal(await decided.getAttribute('data-decision'), 'masked');
      assert.match(await decided.textContent() ?? '', /1 region masked by you on /);
      assert.equal(await banner.count(), 0, 'the hold banner is gone');

      // Back to the export (the form kept its studies and purpose): ready; start with step-up.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Research exports', exact: true }).click();
      await page.waitForURL(onPath('/research/exports'));
      assert.equal(await page.getByTestId('export-purpose').inputValue(), 'Dose study RX-7 (protocol 2024-17)');
      await page.getByTestId('export-check').click();
      await page.getByTestId('preflight-summary').filter({ hasText: /^Ready/ }).waitFor();
      assert.equal(await page.getByTestId('held-instance').count(), 0);
      // Signing in counted as a step-up; once its window has passed, the step-up dialog asks again.
      system.clock.advance(system.config.auth.stepUpWindow + 1);
      await page.getByTestId('export-start').click();
      await confirmStepUp(page, admin.nextCode());
      await page.getByTestId('export-started').waitFor();

      const row = page.getByTestId('export-row').first();
      await row.waitFor();
      const exportId = await row.getAttribute('data-export-id');
      assert.ok(exportId);
      const ready = page.locator(`[data-testid="export-row"][data-export-id="${exportId}"][data-state="ready"]`);
      await ready.waitFor({ timeout: 60_000 });
      const bar = ready.getByRole('progressbar');
      assert.equal(await bar.getAttribute('value'), '100', 'the progress bar reached its end');
      assert.match(await ready.getByTestId('export-progress-text').textContent() ?? '', /^(\d+) of \1$/);
      assert.notEqual(await ready.getByTestId('export-size').textContent(), '—');
      await screenshot(page, 'research-export-ready');

      const [download] = await Promise.all([page.waitForEvent('download'), ready.getByTestId('export-download').click()]);
      assert.equal(download.suggestedFilename(), `clarus-export-${exportId}.zip`);
      const path = await download.path();
      const zip = await readFile(path);
      assert.equal(zip.subarray(0, 2).toString('latin1'), 'PK', 'a zip archive');
      const entries = zipEntries(zip);
      const manifest = entries.get('manifest.json');
      assert.ok(manifest, `a manifest.json among ${JSON.stringify([...entries.keys()])}`);
      const dicoms = [...entries.entries()].filter(([name]) => name.endsWith('.dcm'));
      assert.equal(dicoms.length, 2, 'the CT and the masked ultrasound');
      // Stored entries (the server's writer does not compress): the bytes can be read as they are.
      if (manifest.method === 0) assert.ok(JSON.parse(manifest.data.toString('utf8')), 'the manifest is JSON');
      if (dicoms.every(([, entry]) => entry.method === 0)) {
        assert.ok(dicoms.some(([, entry]) => entry.data.includes(maskedRow())), 'the drawn rectangle was blanked in the exported pixels');
        assert.ok(!zip.includes(Buffer.alloc(TEXT_BAND.width, 0xff)), 'no row of the burned-in band survived');
        assert.ok(!zip.includes(Buffer.from(patient.mrn)) && !zip.includes(Buffer.from(patient.familyName)), 'no MRN or name in the archive');
      }
      await page.locator(`[data-testid="export-row"][data-export-id="${exportId}"][data-state="downloaded"]`).waitFor();

      // Deleting destroys the archive; the export leaves the list (or stays without a download).
      await page.getByTestId('export-row').first().getByTestId('export-delete').click();
      await page.getByTestId('export-delete-confirm').click();
      await page.locator(`[data-testid="export-row"][data-export-id="${exportId}"] [data-testid="export-download"]`).waitFor({ state: 'detached' });
      await screenshot(page, 'research-export-deleted');

      const leaks = urls.filter((url) => [patient.mrn, patient.familyName, patient.givenName, 'RX-7'].some((s) => decodeURIComponent(url).includes(s)));
      assert.deepEqual(leaks, [], 'no name, MRN or purpose in any URL');
    });
  });
});
