/**
 * The reconciliation list in the browser (issue 6): a Technician uploads, on "Upload DICOM" (no
 * patient chosen), two DICOM files whose Patient ID is no patient's MRN; each row says it waits in
 * reconciliation, and the Technician's own list shows both. An Administrator opens "Reconciliation"
 * from the top bar, sees both with the Patient ID from the file, files one to a patient found with
 * the patient picker (it leaves the list; its study appears on that patient's page) and discards the
 * other (the list is empty). Any CSP violation or page error fails the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { dicomInstance } from '../fixtures/ingest/builders.ts';
import { launchChromium, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { inBrowser, onPath, signIn } from '../helpers/browser-journeys.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;
let users: { admin: SignedInUser; technician: SignedInUser } | undefined;
/** The patient the first file is filed to; MRN and name as the picker shows them. */
const patient = { id: '', mrn: 'RECON-0001', familyName: 'Hopper', givenName: 'Grace' };
/** Patient IDs in the files that no patient has as MRN. */
const FILED_ID = 'UNKNOWN-7781';
const DISCARDED_ID = 'UNKNOWN-9902';

before(async () => {
  // Scanning is covered by the upload integration tests; the browser tests upload unscanned, as viewer.test.ts does.
  harness = await startBrowserSystem({ CLARUS_ALLOW_UNSCANNED: 'true' });
  browser = await launchChromium();
  const admin = await newTenantWithAdmin(harness.system, 'e2e-reconciliation');
  users = { admin, technician: await addUser(harness.system, admin, ['Technician']) };
  patient.id = await createPatient(admin, { mrn: patient.mrn, familyName: patient.familyName, givenName: patient.givenName });
});

after(async () => {
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser; users: NonNullable<typeof users> } {
  assert.ok(harness && browser && users, 'the system, the browser and the users are ready');
  return { harness, browser, users };
}

/** A small CT instance of its own study with this Patient ID. */
function unmatchedFile(name: string, dicomPatientId: string, n: number): { name: string; mimeType: string; buffer: Buffer } {
  const root = `1.2.826.0.1.3680043.8.498.77${n}`;
  const buffer = dicomInstance({ patientId: dicomPatientId, studyInstanceUid: `${root}.1`, seriesInstanceUid: `${root}.2`, sopInstanceUid: `${root}.3`, rows: 8, columns: 8 });
  return { name, mimeType: 'application/dicom', buffer };
}

/** The rows of the reconciliation table, as the Patient IDs they show. */
const listedPatientIds = (page: Page): Promise<string[]> => page.getByTestId('reconciliation-patient-id').allTextContents();

/** The table row of the item with this Patient ID (the assign/discard forms open in the row after it). */
const rowOf = (page: Page, dicomPatientId: string) =>
  page.getByTestId('reconciliation-row').filter({ has: page.getByTestId('reconciliation-patient-id').getByText(dicomPatientId, { exact: true }) });

describe('reconciliation of unmatched DICOM in the browser', () => {
  test('a Technician\'s unmatched upload waits; an Administrator files one item to a patient and discards another', async () => {
    const { admin, technician } = running().users;

    await inBrowser(running(), 'reconciliation-technician', async (page) => {
      await signIn(page, technician);
      await page.getByRole('link', { name: 'Upload DICOM', exact: true }).click();
      await page.waitForURL(onPath('/images/upload'));
      await page.getByTestId('file-input').setInputFiles([unmatchedFile('first.dcm', FILED_ID, 1), unmatchedFile('second.dcm', DISCARDED_ID, 2)]);
      await page.getByTestId('upload-summary').filter({ hasText: '2 of 2 done' }).waitFor();
      const rows = page.getByTestId('upload-row');
      assert.equal(await rows.count(), 2);
      for (let i = 0; i < 2; i += 1) {
        const result = (await rows.nth(i).getByTestId('upload-result').textContent()) ?? '';
        assert.match(result, /^Waiting in reconciliation: no patient has its Patient ID as MRN/, `row ${i}: ${result}`);
        assert.equal(await rows.nth(i).getByTestId('upload-progress').getAttribute('value'), '1');
        assert.equal(await rows.nth(i).getByRole('link', { name: 'Open the patient' }).count(), 0, 'no patient to open');
      }
      await screenshot(page, 'reconciliation-uploaded');

      // Technicians manage what they sent: the row's link opens their list with both items.
      await rows.first().getByRole('link', { name: 'Open the reconciliation list' }).click();
      await page.waitForURL(onPath('/images/reconciliation'));
      await page.getByTestId('reconciliation-row').nth(1).waitFor();
      assert.deepEqual((await listedPatientIds(page)).sort(), [FILED_ID, DISCARDED_ID].sort());
    });

    await inBrowser(running(), 'reconciliation-admin', async (page) => {
      await signIn(page, admin);
      // The patient has no images yet.
      await page.goto(`/patients/${patient.id}`);
      await page.getByTestId('studies-empty').waitFor();

      await page.getByRole('link', { name: 'Reconciliation', exact: true }).click();
      await page.waitForURL(onPath('/images/reconciliation'));
      await page.getByTestId('reconciliation-row').nth(1).waitFor();
      assert.deepEqual((await listedPatientIds(page)).sort(), [FILED_ID, DISCARDED_ID].sort());
      const filed = rowOf(page, FILED_ID);
      const cells = (await filed.locator('td').allTextContents()).map((t) => t.trim());
      assert.equal(cells[2], 'Synthetic, Patient', 'the name in the file (Synthetic^Patient)');
      assert.equal(cells[5], 'CT');
      assert.equal(cells[6], 'Web upload');
      await screenshot(page, 'reconciliation-list');

      // Assign: find the patient by family name, choose them, file the image.
      await filed.getByTestId('reconciliation-assign-open').click();
      await page.getByLabel('Find the patient').fill(patient.familyName);
      await page.getByLabel('Find the patient').press('Enter');
      const choice = `${patient.familyName}, ${patient.givenName} — MRN ${patient.mrn}`;
      const picker = page.getByLabel('Patient', { exact: true });
      await picker.locator('option', { hasText: choice }).waitFor({ state: 'attached' });
      await picker.selectOption({ label: choice });
      await page.getByTestId('reconciliation-assign').click();
      await page.getByTestId('reconciliation-notice').filter({ hasText: 'The image was filed to the patient.' }).waitFor();
      await page.getByTestId('reconciliation-row').nth(1).waitFor({ state: 'detached' });
      assert.deepEqual(await listedPatientIds(page), [DISCARDED_ID], 'the filed item left the list');

      // Discard the other one (confirmed).
      await rowOf(page, DISCARDED_ID).getByTestId('reconciliation-discard-open').click();
      await page.getByTestId('reconciliation-discard').click();
      await page.getByTestId('reconciliation-notice').filter({ hasText: 'The image was discarded.' }).waitFor();
      await page.getByTestId('reconciliation-empty').waitFor();
      assert.equal(await page.getByTestId('reconciliation-row').count(), 0);
      await screenshot(page, 'reconciliation-empty');

      // The filed study is on the patient's page: one study of 2 January 2024 with one CT image.
      await page.goto(`/patients/${patient.id}`);
      assert.equal(await page.getByTestId('patient-name').textContent(), `${patient.familyName}, ${patient.givenName}`);
      const study = page.getByTestId('study');
      await study.first().waitFor();
      assert.equal(await study.count(), 1);
      assert.match((await study.locator('.study-title').textContent()) ?? '', /^2024-01-02 · No description/);
      const series = study.getByTestId('series-card');
      assert.equal(await series.count(), 1);
      assert.match((await series.textContent()) ?? '', /CT · 1 image$/);
      await series.getByTestId('thumbnail').waitFor();
      await screenshot(page, 'reconciliation-filed-study');
    });

    // The Technician's list is empty too: the assigned item was filed, the other deleted.
    const list = await technician.client.get('/api/reconciliation');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items, []);
  });
});
