/**
 * Patients in the browser (issue 3, "Done when"): an Administrator creates patients and a care team
 * in the web app; a Clinician sees exactly their assigned patients; a Viewer cannot change anything;
 * break-the-glass works and is visible. Users are created over the API and sign in through the
 * browser. Any Content Security Policy violation or page error fails the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { inBrowser, onPath, signIn, text } from '../helpers/browser-journeys.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;
let users: Record<'admin' | 'clinician' | 'viewer', SignedInUser> | undefined;
/** Patients A and B, created by the Administrator's test and used by the others (run in order). */
const patient = { a: '', b: '' };

before(async () => {
  harness = await startBrowserSystem();
  browser = await launchChromium();
  const admin = await newTenantWithAdmin(harness.system, 'e2e-patients');
  const clinician = await addUser(harness.system, admin, ['Clinician'], 'clinician@example.org');
  users = { admin, clinician, viewer: await addUser(harness.system, admin, ['Viewer'], 'viewer@example.org') };
});

after(async () => {
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser; users: NonNullable<typeof users> } {
  assert.ok(harness && browser && users, 'the system, the browser and the users are ready');
  return { harness, browser, users };
}

const listedMrns = (page: Page): Promise<string[]> => page.getByTestId('patient-row').locator('td:first-child').allTextContents();
const absent = async (page: Page, testIds: readonly string[]): Promise<void> => {
  for (const id of testIds) assert.equal(await page.getByTestId(id).count(), 0, `no ${id} here`);
};

/** Opens "Patients" from the top bar and waits for the first answer. */
async function openPatientsList(page: Page, atLeast = 1): Promise<void> {
  await page.getByRole('link', { name: 'Patients', exact: true }).click();
  await page.getByTestId('patients-summary').waitFor();
  if (atLeast > 0) await page.getByTestId('patient-row').nth(atLeast - 1).waitFor();
}

/** Fills inputs by data-testid (`…-sex` and `…-role` are selects), then clicks the `submit` button if given. */
async function fill(page: Page, fields: Record<string, string>, submit?: string): Promise<void> {
  for (const [testId, value] of Object.entries(fields)) {
    if (/-(sex|role)$/.test(testId)) await page.getByTestId(testId).selectOption(value);
    else await page.getByTestId(testId).fill(value);
  }
  if (submit !== undefined) await page.getByTestId(submit).click();
}

/** Submits the new-patient form; returns the id of the patient page it opens. */
async function submitPatient(page: Page): Promise<string> {
  await page.getByTestId('patient-submit').click();
  await page.waitForURL((url) => /^\/patients\/[0-9a-f-]{36}$/.test(url.pathname));
  await page.getByTestId('patient-name').waitFor();
  return new URL(page.url()).pathname.split('/')[2] ?? '';
}

async function addToCareTeam(page: Page, email: string, role: string): Promise<void> {
  await page.getByTestId('care-team-user').selectOption({ label: `${email} — ${role}` });
  await page.getByTestId('care-team-add').click();
  await page.locator(`[data-testid="care-team-member"][data-email="${email}"]`).waitFor();
}

describe('patients in the browser', () => {
  test('an Administrator creates patients (a field error first) and a care team', async () => {
    await inBrowser(running(), 'patients-admin', async (page) => {
      const { admin, clinician, viewer } = running().users;
      await signIn(page, admin);
      await openPatientsList(page, 0);
      assert.match(await text(page, 'patients-summary'), /^0 patients/);
      await page.getByTestId('new-patient').click();
      // A birth date in the future: the server refuses it, and the message sits under that field only.
      await fill(page, { 'patient-mrn': 'MRN-1001', 'patient-given': 'Ada', 'patient-family': 'Lovelace', 'patient-birth': '2099-01-01', 'patient-sex': 'female' });
      await fill(page, { 'patient-phone': '+441632960000', 'patient-address': '12 St James’s Square\nLondon' }, 'patient-submit');
      const birthError = page.locator('.field', { has: page.getByTestId('patient-birth') }).locator('.field-error');
      await birthError.waitFor();
      assert.equal(await birthError.textContent(), 'Birth date is not valid. Enter a real date between 1 January 1900 and today.');
      assert.equal(await page.locator('.field-error').count(), 1, 'only the birth date is marked');
      assert.equal(await page.getByTestId('patient-birth').getAttribute('aria-invalid'), 'true');
      const [inputBox, errorBox] = [await page.getByTestId('patient-birth').boundingBox(), await birthError.boundingBox()];
      assert.ok(inputBox && errorBox && errorBox.y >= inputBox.y + inputBox.height - 1, 'the message is under the input');
      assert.equal(new URL(page.url()).pathname, '/patients/new', 'nothing was created');
      await screenshot(page, 'patients-new-field-error');

      await fill(page, { 'patient-birth': '1985-12-10' });
      patient.a = await submitPatient(page);
      assert.equal(await text(page, 'patient-name'), 'Lovelace, Ada');
      assert.equal(await text(page, 'demographic-phone'), '+441632960000');

      await openPatientsList(page);
      await page.getByTestId('new-patient').click();
      await fill(page, { 'patient-mrn': 'MRN-1002', 'patient-given': 'Alan', 'patient-family': 'Turing', 'patient-birth': '1954-06-07', 'patient-sex': 'male' });
      patient.b = await submitPatient(page);
      assert.equal(await text(page, 'patient-name'), 'Turing, Alan');
      // Care team of B: add the Clinician, then remove them again (B stays outside their reach).
      await addToCareTeam(page, clinician.email, 'Clinician');
      await page.getByTestId(`care-team-remove-${clinician.email}`).click();
      await page.getByTestId('care-team-empty').waitFor();
      // Care team of A: the Clinician and the Viewer.
      await page.goto(`/patients/${patient.a}`);
      await addToCareTeam(page, clinician.email, 'Clinician');
      await addToCareTeam(page, viewer.email, 'Viewer');
      assert.equal(await text(page, 'access-badge'), 'By role');
      await screenshot(page, 'patients-admin-patient-page');
      // Edit (PATCH): the form comes back filled in; only the change is sent.
      await page.getByTestId('edit-patient').click();
      assert.equal(await page.getByTestId('patient-mrn').inputValue(), 'MRN-1001');
      await fill(page, { 'patient-email': 'ada@example.org' }, 'patient-submit');
      await page.getByTestId('demographic-email').filter({ hasText: 'ada@example.org' }).waitFor();
      // The list, and the one search box read as a name prefix or an MRN (never put in the URL).
      await openPatientsList(page, 2);
      assert.deepEqual(await listedMrns(page), ['MRN-1002', 'MRN-1001'], 'newest first: names are ciphertext, the database cannot sort them (docs/encryption.md)');
      await screenshot(page, 'patients-admin-list');
      for (const [term, summary, expected] of [['tur', '“tur”', 'MRN-1002'], ['MRN-1001', 'MRN “MRN-1001”', 'MRN-1001']] as const) {
        await fill(page, { 'patient-search': term }, 'patient-search-submit');
        await page.getByTestId('patients-summary').filter({ hasText: summary }).waitFor();
        assert.deepEqual(await listedMrns(page), [expected], `search "${term}"`);
        assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/patients');
      }
    });
  });

  test('a Clinician sees exactly their patients, and breaks the glass for another one', async () => {
    await inBrowser(running(), 'patients-clinician', async (page) => {
      const { admin, clinician } = running().users;
      await signIn(page, clinician);
      await openPatientsList(page);
      assert.deepEqual(await listedMrns(page), ['MRN-1001'], 'only the patient of their care team');
      await absent(page, ['new-patient']);
      await screenshot(page, 'patients-clinician-list');

      await page.goto(`/patients/${patient.a}`);
      await page.getByTestId('care-team-member').first().waitFor();
      assert.equal(await text(page, 'access-badge'), 'Care team');
      await absent(page, ['edit-patient', 'care-team-add']);
      // Patient B is not theirs: the same "not found" as a missing patient, with break-the-glass.
      await page.goto(`/patients/${patient.b}`);
      await page.getByTestId('patient-not-found').waitFor();
      await absent(page, ['patient-name']);
      await page.getByTestId('break-glass').click();
      const dialog = page.getByTestId('break-glass-dialog');
      assert.match(await dialog.textContent() ?? '', /audited as a High security event/);
      await fill(page, { 'break-glass-reason': 'urgent' }, 'break-glass-submit');
      await dialog.locator('.field-error').filter({ hasText: 'at least 10 characters' }).waitFor();
      await fill(page, { 'break-glass-reason': 'Unconscious in A&E, needs history now' }, 'break-glass-submit');

      const banner = page.getByTestId('break-glass-banner');
      assert.match(await banner.textContent() ?? '', /^Emergency access until \d{2}:\d{2} — audited/);
      assert.equal(await text(page, 'patient-name'), 'Turing, Alan');
      assert.equal(await text(page, 'access-badge'), 'Emergency access');
      await screenshot(page, 'patients-break-glass-page');
      // Still open after a reload (the grant is on the server), and recorded as a High security event.
      await page.reload();
      await banner.waitFor();
      const events = (await admin.client.get('/api/security-events')).body.events as Array<{ kind: string; severity: string; subjectId: string }>;
      assert.deepEqual(events.filter((e) => e.kind === 'access.break-glass').map((e) => [e.severity, e.subjectId]), [['High', patient.b]]);
    });
  });

  test('a Viewer sees their patient and cannot change anything', async () => {
    await inBrowser(running(), 'patients-viewer', async (page) => {
      const { viewer } = running().users;
      await signIn(page, viewer);
      assert.deepEqual(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents(), ['Home', 'Account', 'Patients']);
      await openPatientsList(page);
      assert.deepEqual(await listedMrns(page), ['MRN-1001']);
      await absent(page, ['new-patient']);

      await page.getByTestId('patient-row').first().getByRole('link').first().click();
      await page.waitForURL(onPath(`/patients/${patient.a}`));
      await page.getByTestId('demographic-birth').waitFor();
      await absent(page, ['edit-patient', 'care-team-add']);
      assert.equal(await page.locator('button:not([data-testid="sign-out"])').count(), 0, 'no button on the page but sign-out');
      await screenshot(page, 'patients-viewer-patient-page');

      await page.goto('/patients/new');
      await page.getByText('Your role cannot register patients.').waitFor();
      await absent(page, ['patient-submit']);
      // The server agrees: the Viewer's own session cannot change the patient either.
      const patch = await viewer.client.request('PATCH', `/api/patients/${patient.a}`, { email: 'changed@example.org' });
      assert.equal(patch.status, 403, JSON.stringify(patch.body));
    });
  });

  test('an Administrator creates a service account (key shown once, after step-up), revokes its key, changes a setting', async () => {
    await inBrowser(running(), 'patients-admin-keys', async (page) => {
      const { harness: { system }, users: { admin } } = running();
      await signIn(page, admin);
      await page.getByRole('link', { name: 'Service accounts', exact: true }).click();
      // Signing in counted as a step-up; once its window has passed, the shared step-up dialog asks again.
      system.clock.advance(system.config.auth.stepUpWindow + 1);
      await fill(page, { 'account-name': 'PACS gateway', 'account-role': 'Technician', 'account-patients': `${patient.a}, ${patient.b}`, 'account-days': '30' }, 'account-submit');
      await fill(page, { 'step-up-code': admin.nextCode() }, 'step-up-submit');
      assert.match(await page.getByTestId('api-key').inputValue(), /^clarus_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
      assert.match(await text(page, 'api-key-created'), /will not be shown again/);
      await page.getByTestId('service-account-row').first().waitFor();
      await screenshot(page, 'patients-service-accounts');
      await page.getByTestId('api-key-done').click();
      await absent(page, ['api-key']);

      await page.getByTestId('revoke-key').click();
      await page.getByTestId('revoke-key-confirm').click();
      await page.getByTestId('api-key-item').filter({ hasText: 'Revoked' }).waitFor();
      await absent(page, ['revoke-key']);

      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      assert.equal(await page.getByTestId('settings-break-glass').inputValue(), '60');
      await fill(page, { 'settings-break-glass': '30' }, 'settings-submit');
      await page.getByTestId('settings-saved').waitFor();
      await page.reload();
      assert.equal(await page.getByTestId('settings-break-glass').inputValue(), '30');
    });
  });
});
