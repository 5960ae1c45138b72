/**
 * Encryption keys and crypto-shredding in the browser (KEY-3): an Administrator sees the key
 * hierarchy, rotates the key-encryption key with step-up and watches the re-wrapping finish; then
 * erases a patient (typed MRN, step-up), lands on the list, and the patient is gone while the others
 * still open. No name or MRN ever appears in a URL. Any CSP violation or page error fails the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { confirmStepUp, inBrowser, onPath, signIn, text } from '../helpers/browser-journeys.ts';
import { newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { createPatient } from '../helpers/patients.ts';
import { adminUrl } from '../helpers/test-databases.ts';

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;
let admin: SignedInUser | undefined;
/** A superuser connection to the main database: it holds the re-wrapping back for a moment. */
let db: pg.Client | undefined;

/** Synthetic patients: the one to erase, and two who stay. */
const erased = { id: '', mrn: 'MRN-7001', givenName: 'Ada', familyName: 'Shredder' };
const kept = { id: '', mrn: 'MRN-7002', givenName: 'Alan', familyName: 'Keeper' };
const third = { id: '', mrn: 'MRN-7003', givenName: 'Grace', familyName: 'Hopper' };

before(async () => {
  harness = await startBrowserSystem();
  browser = await launchChromium();
  admin = await newTenantWithAdmin(harness.system, 'e2e-keys');
  for (const p of [erased, kept, third]) p.id = await createPatient(admin, { mrn: p.mrn, givenName: p.givenName, familyName: p.familyName });
  db = new pg.Client({ connectionString: adminUrl(harness.system.databases.mainName) });
  await db.connect();
});

after(async () => {
  // The database connection first: a lock it still held would keep a rotation from finishing.
  await db?.end();
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser; admin: SignedInUser; db: pg.Client } {
  assert.ok(harness && browser && admin && db, 'the system, the browser, the Administrator and the database are ready');
  return { harness, browser, admin, db };
}

/** The row of one key-encryption key version in one state. */
const kekRow = (page: Page, version: number, state: string) =>
  page.locator(`[data-testid="key-row"][data-purpose="kek"][data-version="${version}"][data-state="${state}"]`);

/** The MRNs of the listed patients, in order. */
const listedMrns = (page: Page): Promise<string[]> => page.getByTestId('patient-row').locator('td:first-child').allTextContents();

/** Searches the patient list and waits for the answer to this search. */
async function search(page: Page, term: string): Promise<string[]> {
  await page.getByTestId('patient-search').fill(term);
  await page.getByTestId('patient-search-submit').click();
  await page.getByTestId('patients-summary').filter({ hasText: `“${term}”` }).waitFor();
  return listedMrns(page);
}

describe('encryption keys and erasure in the browser', () => {
  test('an Administrator rotates the key-encryption key with step-up and watches the re-wrapping finish', async () => {
    await inBrowser(running(), 'keys-rotation', async (page) => {
      const { harness: { system }, admin, db } = running();
      await signIn(page, admin);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Encryption keys', exact: true }).click();
      await page.waitForURL(onPath('/admin/keys'));
      await kekRow(page, 1, 'active').waitFor();
      assert.equal(await kekRow(page, 1, 'active').getByTestId('key-patient-keys').textContent(), '3', 'three patient keys under version 1');
      assert.equal(await page.getByRole('rowheader', { name: 'Blind-index key' }).count(), 1);
      assert.match(await text(page, 'key-provider'), /^Local root key/);
      assert.match(await text(page, 'rotation-days'), /^Every \d+ days$/);
      assert.match(await text(page, 'rotation-explanation'), /re-wraps every patient key under a new key-encryption key; no data is re-encrypted/);

      // Hold the re-wrapping back: a transaction locks the tenant's patient keys, so the rotation stays
      // under way (version 1 retiring) until it commits, and the page must show its progress.
      await db.query('begin');
      try {
        await db.query('select 1 from patient_keys where tenant_id = $1 for update', [admin.tenantId]);
        // Signing in counted as a step-up; once its window has passed, the step-up dialog asks again.
        system.clock.advance(system.config.auth.stepUpWindow + 1);
        await page.getByTestId('rotate-keys').click();
        await confirmStepUp(page, admin.nextCode());
        await page.getByTestId('rotation-progress').waitFor();
        await kekRow(page, 1, 'retiring').waitFor();
        await kekRow(page, 2, 'active').waitFor();
        assert.equal(await text(page, 'rotation-progress-text'), '0 of 3 patient keys re-wrapped (0%). The rotation continues on the server if you leave this page.');
        assert.equal(await page.getByRole('progressbar', { name: 'Re-wrapping patient keys' }).getAttribute('value'), '0');
        assert.ok(await page.getByTestId('rotate-keys').isDisabled(), 'no second rotation while one is under way');
        await screenshot(page, 'keys-rotation-in-progress');
      } finally {
        await db.query('commit');
      }

      // The page polls on its own; the rotation ends with version 2 active and version 1 retired.
      await page.getByTestId('rotation-done').waitFor();
      await kekRow(page, 2, 'active').waitFor();
      await kekRow(page, 1, 'retired').waitFor();
      assert.equal(await kekRow(page, 2, 'active').getByTestId('key-patient-keys').textContent(), '3', 'every patient key moved');
      assert.equal(await page.getByTestId('rotation-progress').count(), 0);
      assert.match(await text(page, 'rotation-done'), /version 2/);
      await screenshot(page, 'keys-rotation-done');
    });
  });

  test('an Administrator erases a patient (typed MRN, step-up); the patient is gone, the others still open', async () => {
    await inBrowser(running(), 'erasure', async (page) => {
      const { harness: { system }, admin } = running();
      const urls: string[] = [];
      page.on('request', (request) => urls.push(request.url()));
      await signIn(page, admin);
      await page.getByRole('link', { name: 'Patients', exact: true }).click();
      assert.deepEqual(await search(page, erased.mrn), [erased.mrn]);
      await page.getByTestId('patient-row').getByRole('link').first().click();
      await page.waitForURL(onPath(`/patients/${erased.id}`));
      assert.equal(await text(page, 'patient-name'), `${erased.familyName}, ${erased.givenName}`);

      await page.getByTestId('danger-zone').getByTestId('erase-patient').click();
      const dialog = page.getByTestId('erase-dialog');
      await dialog.waitFor();
      assert.match(await dialog.textContent() ?? '', /crypto-shredding/);
      assert.equal(await page.locator(':focus').getAttribute('data-testid'), 'erase-mrn', 'focus is in the dialog');
      const submit = dialog.getByTestId('erase-submit');
      assert.ok(await submit.isDisabled(), 'nothing typed yet');
      await dialog.getByTestId('erase-mrn').fill(kept.mrn);
      assert.ok(await submit.isDisabled(), 'another patient’s MRN does not confirm');
      await dialog.getByTestId('erase-mrn').fill(erased.mrn);
      assert.ok(await submit.isEnabled(), 'the MRN confirms');
      await screenshot(page, 'erase-dialog');

      system.clock.advance(system.config.auth.stepUpWindow + 1);
      await submit.click();
      await confirmStepUp(page, admin.nextCode());
      await page.waitForURL(onPath('/patients'));
      assert.match(await text(page, 'patients-notice'), /^Patient erased\./);
      await page.getByTestId('patient-row').first().waitFor();
      assert.deepEqual((await listedMrns(page)).sort(), [kept.mrn, third.mrn], 'the erased patient is not listed');
      await screenshot(page, 'erase-done-list');

      assert.deepEqual(await search(page, erased.mrn), [], 'not found by MRN');
      assert.deepEqual(await search(page, 'Shred'), [], 'not found by name');
      assert.deepEqual(await search(page, kept.mrn), [kept.mrn]);
      await page.getByTestId('patient-row').getByRole('link').first().click();
      await page.waitForURL(onPath(`/patients/${kept.id}`));
      assert.equal(await text(page, 'patient-name'), `${kept.familyName}, ${kept.givenName}`, 'another patient still opens');
      await page.goto(`/patients/${erased.id}`);
      await page.getByTestId('patient-not-found').waitFor();

      const leaks = urls.filter((url) => [erased.mrn, kept.mrn, erased.familyName, kept.familyName, 'Shred'].some((s) => decodeURIComponent(url).includes(s)));
      assert.deepEqual(leaks, [], 'no name or MRN in any URL');
    });
  });
});
