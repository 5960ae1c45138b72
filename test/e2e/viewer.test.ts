/**
 * Uploads and the viewer in the browser (issue 6, DCM-3): a Radiologist uploads CT_small.dcm from
 * the patient page (the progress bar reaches the end, the result says stored), opens the series
 * from its thumbnail, and the canvas shows the image; dragging window/level and a CT preset change
 * its pixels; the DICOM tag panel lists the data set. A three-instance series scrolls with the
 * wheel and the keyboard. Any CSP violation or page error fails the test.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { dicomInstance, element, niftiFile } from '../fixtures/ingest/builders.ts';
import { launchChromium, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { inBrowser, onPath, signIn, text } from '../helpers/browser-journeys.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;
let radiologist: SignedInUser | undefined;
const patients = { ct: '', series: '', nifti: '' };

before(async () => {
  // Scanning is covered by the upload tests; here uploads run unscanned (development setting).
  harness = await startBrowserSystem({ CLARUS_ALLOW_UNSCANNED: 'true' });
  browser = await launchChromium();
  const admin = await newTenantWithAdmin(harness.system, 'e2e-viewer');
  radiologist = await addUser(harness.system, admin, ['Radiologist']);
  patients.ct = await createPatient(admin, { mrn: '1CT1' });
  patients.series = await createPatient(admin, { mrn: 'MRN-0001' });
  patients.nifti = await createPatient(admin, { mrn: 'MRN-0002' });
});

after(async () => {
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser; radiologist: SignedInUser } {
  assert.ok(harness && browser && radiologist, 'the system, the browser and the Radiologist are ready');
  return { harness, browser, radiologist };
}

/** Three 16 × 16 instances of one series, each a different gradient (InstanceNumber 1..3). */
function syntheticSeries(): { name: string; mimeType: string; buffer: Buffer }[] {
  return [1, 2, 3].map((n) => {
    const bytes = dicomInstance({ sopInstanceUid: `1.2.826.0.1.3680043.8.498.90${n}`, rows: 16, columns: 16, extra: element(0x00200013, 'IS', String(n)) });
    const pixels = Buffer.from(Array.from({ length: 256 }, (_, i) => (n === 2 ? 255 - i : n === 3 ? (i % 16) * 16 : i)));
    pixels.copy(bytes, bytes.length - 256);
    return { name: `IM000${n}`, mimeType: 'application/dicom', buffer: bytes };
  });
}

/**
 * A digest of the viewer canvas, evaluated in the page (a string: this file is compiled without
 * DOM types): the sum of its pixels and how many are not black.
 */
const DIGEST = `(() => {
  const canvas = document.querySelector('[data-testid="viewer-canvas"]');
  const data = canvas ? canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data : [];
  let sum = 0;
  let lit = 0;
  for (let i = 0; i < data.length; i += 4) {
    const grey = data[i] + data[i + 1] + data[i + 2];
    sum += grey;
    if (grey > 0) lit += 1;
  }
  return { sum, lit };
})()`;

/** The box of the canvas's non-black pixels, evaluated in the page like DIGEST. */
const LIT_BOX = `(() => {
  const canvas = document.querySelector('[data-testid="viewer-canvas"]');
  if (!canvas) return null;
  const { width, height } = canvas;
  const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let left = width, right = -1, top = height, bottom = -1;
  for (let y = 0; y < height; y += 1) for (let x = 0; x < width; x += 1) {
    const i = (y * width + x) * 4;
    if (data[i] + data[i + 1] + data[i + 2] > 0) { left = Math.min(left, x); right = Math.max(right, x); top = Math.min(top, y); bottom = Math.max(bottom, y); }
  }
  return right < 0 ? null : { width: right - left + 1, height: bottom - top + 1 };
})()`;

/**
 * A NIfTI volume stored out of the usual order, with 3 mm voxels along S-I: i runs inferior → superior
 * (8 voxels, 3 mm), j right → left (16, 1 mm), k anterior → posterior (12, 1 mm), by its sform. The
 * index holds it as 8 columns × 16 rows × 12 frames (i × j × k); the server has 8 axial, 12 coronal
 * and 16 sagittal slices. Every voxel is mid-grey under its cal_min/cal_max window.
 */
function permutedVolume(): { name: string; mimeType: string; buffer: Buffer } {
  const [ni, nj, nk] = [8, 16, 12];
  const file = niftiFile({ dims: [ni, nj, nk], datatype: 4, bitpix: 16 });
  file.writeFloatLE(2000, 124); // cal_max
  file.writeFloatLE(0, 128); // cal_min
  file.writeInt16LE(2, 254); // sform_code: aligned to another scan
  const srow = [[0, -1, 0, 0], [0, 0, -1, 0], [3, 0, 0, 0]];
  srow.flat().forEach((value, n) => file.writeFloatLE(value, 280 + 4 * n));
  for (let v = 0; v < ni * nj * nk; v += 1) file.writeInt16LE(800 + (v % 400), 352 + 2 * v);
  return { name: 'volume.nii', mimeType: 'application/octet-stream', buffer: file };
}

/**
 * Waits until the canvas shows something other than `before` (or, without it, anything at all).
 * Polled from here: page.waitForFunction would evaluate a string in the page, which the CSP forbids.
 */
async function canvasChanged(page: Page, before?: { sum: number }): Promise<{ sum: number; lit: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const digest = await page.evaluate<{ sum: number; lit: number }>(DIGEST);
    if (before === undefined ? digest.sum > 0 : digest.sum !== before.sum) return digest;
    if (Date.now() > deadline) throw new Error(`the canvas did not change (${JSON.stringify(digest)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What one file dialog selection holds: paths, or names with bytes. */
type Selection = Parameters<Page['setInputFiles']>[1];

/**
 * From the patient page: Upload images, then each batch of files chosen at once (its uploads run in
 * parallel), each batch stored before the next; every row ends stored with a full progress bar.
 */
async function uploadFromPatientPage(page: Page, patientId: string, batches: Selection[]): Promise<void> {
  await page.goto(`/patients/${patientId}`);
  await page.getByTestId('upload-images').click();
  await page.waitForURL(onPath(`/patients/${patientId}/upload`));
  let count = 0;
  for (const batch of batches) {
    await page.getByTestId('file-input').setInputFiles(batch);
    count += Array.isArray(batch) ? batch.length : 1;
    await page.getByTestId('upload-summary').filter({ hasText: `${count} of ${count} done` }).waitFor();
  }
  const rows = page.getByTestId('upload-row');
  assert.equal(await rows.count(), count);
  for (let i = 0; i < count; i += 1) {
    assert.equal(await rows.nth(i).getByTestId('upload-result').textContent(), 'Stored');
    assert.equal(await rows.nth(i).getByTestId('upload-progress').getAttribute('value'), '1', 'the progress bar reached its end');
  }
}

/** Back on the patient page, the one series opens in the viewer. */
async function openOnlySeries(page: Page, patientId: string): Promise<void> {
  await page.getByTestId('back-to-patient').click();
  await page.waitForURL(onPath(`/patients/${patientId}`));
  const card = page.getByTestId('series-card');
  await card.waitFor();
  assert.equal(await card.count(), 1);
  await card.getByTestId('thumbnail').waitFor();
  await card.getByTestId('open-series').click();
  await page.waitForURL((url) => url.pathname.startsWith(`/patients/${patientId}/series/`));
}

describe('uploads and the viewer in the browser', () => {
  test('a Radiologist uploads CT_small.dcm, opens it, and windows it by drag and by preset; the tag panel lists it', async () => {
    await inBrowser(running(), 'viewer-ct', async (page) => {
      const urls: string[] = [];
      page.on('request', (request) => urls.push(request.url()));
      await signIn(page, running().radiologist);
      await uploadFromPatientPage(page, patients.ct, [join('/usr/lib/python3/dist-packages/pydicom/data/test_files', 'CT_small.dcm')]);
      await screenshot(page, 'viewer-upload-done');
      await openOnlySeries(page, patients.ct);

      const shown = await canvasChanged(page);
      assert.ok(shown.lit > 10_000, `the canvas is not blank (${shown.lit} lit pixels)`);
      assert.equal(await page.getByTestId('stack-slider').count(), 0, 'one image: no slider');
      const readout = await text(page, 'window-readout');

      // Left-drag in window/level mode: wider and lower.
      const canvas = page.getByTestId('viewer-canvas');
      const box = await canvas.boundingBox();
      assert.ok(box);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 - 60, { steps: 5 });
      await page.mouse.up();
      const dragged = await canvasChanged(page, shown);
      assert.notEqual(await text(page, 'window-readout'), readout, 'the window readout follows the drag');

      await page.getByTestId('preset-lung').click();
      const lung = await canvasChanged(page, dragged);
      assert.match(await text(page, 'window-readout'), /^W 1500 · L -600/);
      await page.getByTestId('preset-bone').click();
      await canvasChanged(page, lung);

      // Zoom in, then reset: the file's window again.
      await page.getByTestId('zoom-in').click();
      assert.match(await text(page, 'window-readout'), /125 %$/);
      await page.getByTestId('reset-view').click();
      assert.equal(await text(page, 'window-readout'), readout);

      await page.getByTestId('toggle-tags').click();
      await page.getByTestId('tag-row').first().waitFor();
      await page.getByTestId('tag-filter').fill('PatientID');
      assert.match(await page.getByTestId('tag-row').first().textContent() ?? '', /\(0010,0020\)PatientIDLO1CT1/);
      await screenshot(page, 'viewer-ct');
      assert.ok(!urls.some((u) => u.includes('CT_small')), 'no file name in any URL');
    });
  });

  test('three instances of one series upload together and scroll with the wheel and the keyboard', async () => {
    await inBrowser(running(), 'viewer-series', async (page) => {
      await signIn(page, running().radiologist);
      // The first instance alone, then two in parallel: concurrent uploads that would both create a
      // new study and series race in the ingest index today (a 500; reported, not fixed here).
      const [first, ...rest] = syntheticSeries();
      assert.ok(first);
      await uploadFromPatientPage(page, patients.series, [first, rest]);
      await openOnlySeries(page, patients.series);
      const one = await canvasChanged(page);
      assert.equal(await text(page, 'stack-position'), '1 of 3');

      const canvas = page.getByTestId('viewer-canvas');
      await canvas.hover();
      await page.mouse.wheel(0, 100);
      await page.getByTestId('stack-position').filter({ hasText: '2 of 3' }).waitFor();
      const two = await canvasChanged(page, one);

      await canvas.focus();
      await page.keyboard.press('ArrowDown');
      await page.getByTestId('stack-position').filter({ hasText: '3 of 3' }).waitFor();
      await canvasChanged(page, two);
      await page.keyboard.press('Home');
      await page.getByTestId('stack-position').filter({ hasText: '1 of 3' }).waitFor();
      await screenshot(page, 'viewer-series');
    });
  });

  test('a NIfTI volume stored out of order: slice counts from the server, planes drawn at the voxels\' true aspect', async () => {
    await inBrowser(running(), 'viewer-nifti', async (page) => {
      await signIn(page, running().radiologist);
      await uploadFromPatientPage(page, patients.nifti, [permutedVolume()]);
      await openOnlySeries(page, patients.nifti);
      // The index guesses 12 axial slices (k); the first answer says 8 (i runs S-I): the middle of 8.
      await page.getByTestId('stack-position').filter({ hasText: '5 of 8' }).waitFor();
      await canvasChanged(page);
      const box = async (): Promise<{ width: number; height: number } | null> => page.evaluate<{ width: number; height: number } | null>(LIT_BOX);
      // Axial: 16 columns (R-L, 1 mm) × 12 rows (A-P, 1 mm): square voxels, 512 × 384.
      const axial = await box();
      assert.ok(axial);
      assert.ok(Math.abs(axial.width / axial.height - 16 / 12) < 0.02, `axial aspect ${JSON.stringify(axial)}`);

      await page.getByTestId('plane-coronal').check();
      await page.getByTestId('stack-position').filter({ hasText: '7 of 12' }).waitFor();
      // Coronal: 16 columns of 1 mm × 8 rows of 3 mm: 16 mm wide, 24 mm tall (not 2 : 1 as the pixels).
      const deadline = Date.now() + 10_000;
      let coronal = await box();
      while ((coronal === null || coronal.height < coronal.width) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        coronal = await box();
      }
      assert.ok(coronal);
      assert.ok(Math.abs(coronal.width / coronal.height - 16 / 24) < 0.02, `coronal aspect ${JSON.stringify(coronal)}`);
      await screenshot(page, 'viewer-nifti-coronal');
    });
  });
});
