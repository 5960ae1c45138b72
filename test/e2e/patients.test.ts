/**
 * Patients in the browser (issue 3, "Done when"): an Administrator creates patients and a care team
 * in the web app; a Clinician sees exactly their assigned patients; a Viewer cannot change anything;
 * break-the-glass works and is visible. Users are created over the API; everyone signs in through
 * the browser. Any Content Security Policy violation or page error fails the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium, openPage, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { addUser, newTenantWithAdmin, strongPassword, type SignedInUser } from '../helpers/journeys.ts';

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;
let users: { admin: SignedInUser; clinician: SignedInUser; viewer: SignedInUser } | undefined;
/** Filled in by the Administrator's test, used by the others (node:test runs them in order). */
const patientIds: { a?: string; b?: string } = {};

before(async () => {
  harness = await startBrowserSystem();
  browser = await launchChromium();
  const { system } = harness;
  const admin = await newTenantWithAdmin(system, 'e2e-patients');
  const clinician = await addUser(system, admin, ['Clinician'], 'clinician@example.org');
  const viewer = await addUser(system, admin, ['Viewer'], 'viewer@example.org');
  users = { admin, clinician, viewer };
});

after(async () => {
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser; users: NonNullable<typeof users> } {
  assert.ok(harness && browser && users, 'the system, the browser and the users are ready');
  return { harness, browser, users };
}

function ids(): { a: string; b: string } {
  assert.ok(patientIds.a && patientIds.b, 'the Administrator created patients A and B');
  return { a: patientIds.a, b: patientIds.b };
}

const onPath = (pathname: string) => (url: URL): boolean => url.pathname === pathname;
const uuidPath = /^\/patients\/[0-9a-f-]{36}$/;

/** One scenario in a fresh browser profile; fails on any CSP violation or page error, keeps a screenshot on failure. */
async function inBrowser(name: string, scenario: (page: Page) => Promise<void>): Promise<void> {
  const { harness: h, browser: b } = running();
  const { context, page, problems } = await openPage(b, h.origin);
  try {
    await scenario(page);
  } catch (error) {
    const shot = await screenshot(page, `e2e-failure-${name}`).catch(() => 'none');
    if (error instanceof Error) error.message += `\n  (screenshot: ${shot}; page problems: ${JSON.stringify(problems)})`;
    throw error;
  } finally {
    await context.close();
  }
  assert.deepEqual(problems, [], 'no Content Security Policy violation and no page error');
}

/** Signs in through the sign-in page: e-mail, password, then a fresh TOTP code (the clock moves one step). */
async function signIn(page: Page, user: SignedInUser): Promise<void> {
  await page.goto('/sign-in');
  await page.getByTestId('email').fill(user.email);
  await page.getByTestId('password').fill(strongPassword);
  await page.getByTestId('sign-in').click();
  await page.waitForURL(onPath('/sign-in/verify'));
  await page.getByTestId('mfa-code').fill(user.nextCode());
  await page.getByTestId('mfa-submit').click();
  await page.getByTestId('home').waitFor();
}

async function openPatientsList(page: Page): Promise<Locator> {
  await page.getByRole('link', { name: 'Patients', exact: true }).click();
  await page.waitForURL(onPath('/patients'));
  await page.getByTestId('patients-summary').waitFor();
  return page.getByTestId('patient-row');
}

async function listedMrns(page: Page): Promise<string[]> {
  const rows = page.getByTestId('patient-row');
  const count = await rows.count();
  const mrns: string[] = [];
  for (let i = 0; i < count; i += 1) mrns.push((await rows.nth(i).getAttribute('data-mrn')) ?? '');
  return mrns;
}

/** Fills the new-patient form. */
async function fillPatient(page: Page, p: { mrn: string; given: string; family: string; birth: string; sex: string; phone?: string; address?: string }): Promise<void> {
  await page.getByTestId('patient-mrn').fill(p.mrn);
  await page.getByTestId('patient-given').fill(p.given);
  await page.getByTestId('patient-family').fill(p.family);
  await page.getByTestId('patient-birth').fill(p.birth);
  await page.getByTestId('patient-sex').selectOption(p.sex);
  if (p.phone) await page.getByTestId('patient-phone').fill(p.phone);
  if (p.address) await page.getByTestId('patient-address').fill(p.address);
}

async function createdPatientId(page: Page): Promise<string> {
  await page.waitForURL((url) => uuidPath.test(url.pathname));
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
    await inBrowser('patients-admin', async (page) => {
      const { admin, clinician, viewer } = running().users;
      await signIn(page, admin);
      await openPatientsList(page);
      assert.match(await page.getByTestId('patients-summary').textContent() ?? '', /^0 patients/);
      await page.getByTestId('new-patient').click();
      await page.waitForURL(onPath('/patients/new'));

      // A birth date in the future: the server refuses it, and the message sits under that field only.
      await fillPatient(page, { mrn: 'MRN-1001', given: 'Ada', family: 'Lovelace', birth: '2099-01-01', sex: 'female', phone: '+441632960000', address: '12 St James’s Square\nLondon' });
      await page.getByTestId('patient-submit').click();
      const birthField = page.locator('.field', { has: page.getByTestId('patient-birth') });
      const birthError = birthField.locator('.field-error');
      await birthError.waitFor();
      assert.match(await birthError.textContent() ?? '', /^Birth date is not valid\. Enter a real date between 1 January 1900 and today\.$/);
      assert.equal(await page.locator('.field-error').count(), 1, 'only the birth date is marked');
      assert.equal(await page.getByTestId('patient-birth').getAttribute('aria-invalid'), 'true');
      const [inputBox, errorBox] = [await page.getByTestId('patient-birth').boundingBox(), await birthError.boundingBox()];
      assert.ok(inputBox && errorBox && errorBox.y >= inputBox.y + inputBox.height - 1, 'the message is under the input');
      assert.equal(new URL(page.url()).pathname, '/patients/new', 'nothing was created');
      await screenshot(page, 'patients-new-field-error');

      await page.getByTestId('patient-birth').fill('1985-12-10');
      await page.getByTestId('patient-submit').click();
      patientIds.a = await createdPatientId(page);
      assert.equal(await page.getByTestId('patient-name').textContent(), 'Lovelace, Ada');
      assert.equal(await page.getByTestId('demographic-phone').textContent(), '+441632960000');

      await page.getByRole('link', { name: 'Patients', exact: true }).click();
      await page.getByTestId('new-patient').click();
      await fillPatient(page, { mrn: 'MRN-1002', given: 'Alan', family: 'Turing', birth: '1954-06-07', sex: 'male' });
      await page.getByTestId('patient-submit').click();
      patientIds.b = await createdPatientId(page);
      assert.equal(await page.getByTestId('patient-name').textContent(), 'Turing, Alan');

      // Care team of B: add the Clinician, then remove them again (so B stays outside their reach).
      await addToCareTeam(page, clinician.email, 'Clinician');
      await page.getByTestId(`care-team-remove-${clinician.email}`).click();
      await page.getByTestId('care-team-empty').waitFor();

      // Care team of A: the Clinician and the Viewer.
      await page.goto(`/patients/${ids().a}`);
      await addToCareTeam(page, clinician.email, 'Clinician');
      await addToCareTeam(page, viewer.email, 'Viewer');
      assert.equal(await page.getByTestId('care-team-member').count(), 2);
      assert.equal(await page.getByTestId('access-badge').textContent(), 'By role');
      assert.ok(await page.getByTestId('edit-patient').isVisible(), 'an Administrator may edit');
      await screenshot(page, 'patients-admin-patient-page');

      // Edit (PATCH): the form comes back filled in; only the change is sent.
      await page.getByTestId('edit-patient').click();
      assert.equal(await page.getByTestId('patient-mrn').inputValue(), 'MRN-1001');
      await page.getByTestId('patient-email').fill('ada@example.org');
      await page.getByTestId('patient-submit').click();
      await page.getByTestId('demographic-email').waitFor();
      assert.equal(await page.getByTestId('demographic-email').textContent(), 'ada@example.org');

      // The list, and the one search box read as a name prefix or an MRN.
      await openPatientsList(page);
      await page.getByTestId('patient-row').nth(1).waitFor();
      assert.deepEqual(await listedMrns(page), ['MRN-1001', 'MRN-1002'], 'ordered by family name');
      await screenshot(page, 'patients-admin-list');
      await page.getByTestId('patient-search').fill('tur');
      await page.getByTestId('patient-search-submit').click();
      await page.getByTestId('patients-summary').filter({ hasText: '“tur”' }).waitFor();
      assert.deepEqual(await listedMrns(page), ['MRN-1002']);
      await page.getByTestId('patient-search').fill('MRN-1001');
      await page.getByTestId('patient-search-submit').click();
      await page.getByTestId('patients-summary').filter({ hasText: 'MRN “MRN-1001”' }).waitFor();
      assert.deepEqual(await listedMrns(page), ['MRN-1001']);
      assert.ok(!page.url().includes('1001') && !page.url().includes('tur'), 'the search never goes into the URL');
    });
  });

  test('a Clinician sees exactly their patients, and breaks the glass for another one', async () => {
    await inBrowser('patients-clinician', async (page) => {
      const { admin, clinician } = running().users;
      await signIn(page, clinician);
      const rows = await openPatientsList(page);
      await rows.first().waitFor();
      assert.deepEqual(await listedMrns(page), ['MRN-1001'], 'only the patient of their care team');
      assert.equal(await page.getByTestId('new-patient').count(), 0, 'a Clinician does not register patients');
      await screenshot(page, 'patients-clinician-list');

      await page.goto(`/patients/${ids().a}`);
      assert.equal(await page.getByTestId('access-badge').textContent(), 'Care team');
      assert.equal(await page.getByTestId('edit-patient').count(), 0);
      await page.getByTestId('care-team-member').first().waitFor();
      assert.equal(await page.getByTestId('care-team-add').count(), 0, 'no care-team controls for a Clinician');

      // Patient B is not theirs: the same "not found" as a missing patient, with break-the-glass.
      await page.goto(`/patients/${ids().b}`);
      await page.getByTestId('patient-not-found').waitFor();
      assert.equal(await page.getByTestId('patient-name').count(), 0);
      await page.getByTestId('break-glass').click();
      const dialog = page.getByTestId('break-glass-dialog');
      await dialog.waitFor();
      assert.match(await dialog.textContent() ?? '', /audited as a High security event/);
      await page.getByTestId('break-glass-reason').fill('urgent');
      await page.getByTestId('break-glass-submit').click();
      await dialog.locator('.field-error').filter({ hasText: 'at least 10 characters' }).waitFor();
      await page.getByTestId('break-glass-reason').fill('Unconscious in A&E, needs history now');
      await page.getByTestId('break-glass-submit').click();

      const banner = page.getByTestId('break-glass-banner');
      await banner.waitFor();
      assert.match(await banner.textContent() ?? '', /^Emergency access until \d{2}:\d{2} — audited/);
      assert.equal(await page.getByTestId('patient-name').textContent(), 'Turing, Alan');
      assert.equal(await page.getByTestId('access-badge').textContent(), 'Emergency access');
      await screenshot(page, 'patients-break-glass-page');

      // Still open after a reload (the grant is on the server), and recorded as a High security event.
      await page.reload();
      await page.getByTestId('break-glass-banner').waitFor();
      const events = await admin.client.get('/api/security-events');
      const found = (events.body.events as Array<{ kind: string; severity: string; subjectId: string | null }>).find((e) => e.kind === 'access.break-glass');
      assert.ok(found, 'a break-the-glass event was recorded');
      assert.equal(found.severity, 'High');
      assert.equal(found.subjectId, ids().b);
    });
  });

  test('a Viewer sees their patient and cannot change anything', async () => {
    await inBrowser('patients-viewer', async (page) => {
      const { viewer } = running().users;
      await signIn(page, viewer);
      for (const name of ['Users', 'Service accounts', 'Settings']) {
        assert.equal(await page.getByRole('link', { name, exact: true }).count(), 0, `no "${name}" link for a Viewer`);
      }
      const rows = await openPatientsList(page);
      await rows.first().waitFor();
      assert.deepEqual(await listedMrns(page), ['MRN-1001']);
      assert.equal(await page.getByTestId('new-patient').count(), 0, 'no "New patient" for a Viewer');

      await rows.first().getByRole('link').first().click();
      await page.waitForURL(onPath(`/patients/${ids().a}`));
      await page.getByTestId('demographics').waitFor();
      assert.equal(await page.getByTestId('demographic-birth').count(), 1, 'a Viewer sees the full record of their patient');
      assert.equal(await page.getByTestId('edit-patient').count(), 0, 'no "Edit" for a Viewer');
      assert.equal(await page.getByTestId('care-team-add').count(), 0);
      assert.equal(await page.locator('button:not([data-testid="sign-out"])').count(), 0, 'no button on the page but sign-out');
      await screenshot(page, 'patients-viewer-patient-page');

      await page.goto('/patients/new');
      await page.getByText('Your role cannot register patients.').waitFor();
      assert.equal(await page.getByTestId('patient-submit').count(), 0);

      // The server agrees: the Viewer's own session cannot change the patient either.
      const patch = await viewer.client.request('PATCH', `/api/patients/${ids().a}`, { email: 'changed@example.org' });
      assert.equal(patch.status, 403, JSON.stringify(patch.body));
    });
  });

  test('an Administrator creates a service account (key shown once), revokes its key, and changes a setting', async () => {
    await inBrowser('patients-admin-keys', async (page) => {
      const { admin } = running().users;
      await signIn(page, admin);
      /** Confirms with a fresh code if the step-up dialog opens, then waits for `done`. */
      const stepUpIfAsked = async (done: Locator): Promise<void> => {
        const dialog = page.getByTestId('step-up-dialog');
        await Promise.race([done.waitFor(), dialog.waitFor()]);
        if (await dialog.isVisible()) {
          await page.getByTestId('step-up-code').fill(admin.nextCode());
          await page.getByTestId('step-up-submit').click();
        }
        await done.waitFor();
      };

      await page.getByRole('link', { name: 'Service accounts', exact: true }).click();
      await page.waitForURL(onPath('/admin/service-accounts'));
      await page.getByTestId('account-name').fill('PACS gateway');
      await page.getByTestId('account-role').selectOption('Technician');
      await page.getByTestId('account-patients').fill(`${ids().a}, ${ids().b}`);
      await page.getByTestId('account-days').fill('30');
      await page.getByTestId('account-submit').click();
      await stepUpIfAsked(page.getByTestId('api-key'));
      const key = await page.getByTestId('api-key').inputValue();
      assert.match(key, /^clarus_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
      assert.match(await page.getByTestId('api-key-created').textContent() ?? '', /will not be shown again/);
      await page.getByTestId('service-account-row').first().waitFor();
      await screenshot(page, 'patients-service-accounts');
      await page.getByTestId('api-key-done').click();
      assert.equal(await page.getByTestId('api-key').count(), 0, 'the key is gone once acknowledged');

      await page.getByTestId('revoke-key').click();
      await page.getByTestId('revoke-key-confirm').click();
      await stepUpIfAsked(page.getByTestId('api-key-item').filter({ hasText: 'Revoked' }));
      assert.equal(await page.getByTestId('revoke-key').count(), 0);

      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      await page.waitForURL(onPath('/admin/settings'));
      const minutes = page.getByTestId('settings-break-glass');
      assert.equal(await minutes.inputValue(), '60');
      await minutes.fill('30');
      await page.getByTestId('settings-submit').click();
      await stepUpIfAsked(page.getByTestId('settings-saved'));
      await page.reload();
      assert.equal(await page.getByTestId('settings-break-glass').inputValue(), '30');
    });
  });
});
