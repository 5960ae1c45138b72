/**
 * The audit log in the browser: a Clinician on a patient's care team opens the patient; the
 * Administrator then finds that access in the patient's accounting of disclosures and in the audit
 * review (filtered by the Clinician), sees the log's signed checkpoint, pages to older entries and
 * exports CSV (after a step-up) and FHIR as real downloads. Any Content Security Policy violation or
 * page error fails the test.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, Download, Page } from 'playwright-core';
import { launchChromium, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { inBrowser, onPath, signIn, text } from '../helpers/browser-journeys.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { assignToCareTeam, createPatient } from '../helpers/patients.ts';

const clinicianEmail = 'clinician@example.org';

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;
let users: Record<'admin' | 'clinician', SignedInUser> | undefined;
let patientId = '';

before(async () => {
  harness = await startBrowserSystem();
  browser = await launchChromium();
  const admin = await newTenantWithAdmin(harness.system, 'e2e-audit');
  const clinician = await addUser(harness.system, admin, ['Clinician'], clinicianEmail);
  users = { admin, clinician };
  patientId = await createPatient(admin);
  await assignToCareTeam(admin, patientId, clinician.userId);
  // A service account reads the patient too: the pages name it instead of showing its id.
  assert.equal((await admin.client.post('/api/auth/step-up', { code: admin.nextCode() })).status, 200);
  const account = await admin.client.post('/api/service-accounts', { name: 'PACS gateway', role: 'Radiologist', patientIds: [patientId], expiresDays: 30 });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const read = await harness.system.app.inject({ method: 'GET', url: `/api/patients/${patientId}`, headers: { 'x-api-key': account.body.apiKey as string } });
  assert.equal(read.statusCode, 200);
  // More than one page (100) of the organisation's entries, so that "Load older" has something to load.
  for (let i = 0; i < 100; i += 1) assert.equal((await clinician.client.get('/api/auth/me')).status, 200);
});

after(async () => {
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser; users: NonNullable<typeof users> } {
  assert.ok(harness && browser && users, 'the system, the browser and the users are ready');
  return { harness, browser, users };
}

const rowsOf = (page: Page) => page.getByTestId('audit-row');
/** A `datetime-local` value (local time, to the minute) `days` after the server's now. */
const localMinute = (days: number): string => {
  const at = new Date(running().harness.system.clock.now().getTime() + days * 86_400_000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
};

/** Waits until the table shows rows and every row has `attribute` = `value`. */
async function waitForRows(page: Page, attribute: 'data-actor' | 'data-action', value: string): Promise<void> {
  // Playwright re-checks the condition on every page change (no sleeps of our own).
  const condition = `(() => { const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
    return rows.length > 0 && rows.every((row) => row.getAttribute(${JSON.stringify(attribute)}) === ${JSON.stringify(value)}); })()`;
  const shown = await page.waitForFunction(condition, undefined, { timeout: 10_000 }).then(() => true, () => false);
  assert.ok(shown, `the table still shows rows whose ${attribute} is not ${value}`);
}

/** Runs `trigger` and returns the file the page then offered for download, with its text. */
async function downloaded(page: Page, trigger: () => Promise<void>): Promise<{ download: Download; content: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), trigger()]);
  const path = await download.path();
  return { download, content: await readFile(path, 'utf8') };
}

describe('the audit log in the browser', () => {
  test('a Clinician on the care team opens the patient, and sees no audit pages', async () => {
    await inBrowser(running(), 'audit-clinician', async (page) => {
      await signIn(page, running().users.clinician);
      await page.goto(`/patients/${patientId}`);
      await page.getByTestId('patient-name').waitFor();
      assert.equal(await text(page, 'access-badge'), 'Care team');
      assert.equal(await page.getByTestId('disclosures-link').count(), 0, 'no accounting of disclosures for Clinicians');
      assert.deepEqual(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents(), ['Home', 'Account', 'Patients']);
      await page.goto('/admin/audit');
      await page.getByText('This page is for administrators.').waitFor();
      assert.equal(await page.getByTestId('integrity-panel').count(), 0);
    });
  });

  test('the Administrator finds the access in the disclosures and the audit review, and exports it', async () => {
    await inBrowser(running(), 'audit-admin', async (page) => {
      const { harness: { system }, users: { admin, clinician } } = running();
      await signIn(page, admin);

      // The patient's accounting of disclosures, from the patient page.
      await page.goto(`/patients/${patientId}`);
      await page.getByTestId('disclosures-link').click();
      await page.waitForURL(onPath(`/patients/${patientId}/disclosures`));
      const read = page.locator(`[data-testid="audit-row"][data-actor="${clinicianEmail}"][data-action="patient.read"]`);
      await read.first().waitFor();
      assert.match(await read.first().textContent() ?? '', /clinician@example\.orgpatient\.read.*success/);
      assert.equal(await text(page, 'disclosures-patient'), patientId);
      await page.locator('[data-testid="audit-row"][data-actor="PACS gateway (service account)"][data-action="patient.read"]').waitFor();
      await screenshot(page, 'audit-disclosures');
      const disclosuresCsv = await downloaded(page, () => page.getByTestId('export-csv').click());
      assert.ok(disclosuresCsv.content.startsWith('seq,at,actorKind'), disclosuresCsv.content.slice(0, 80));
      assert.match(disclosuresCsv.content, new RegExp(`"${clinician.userId}","patient\\.read"`));
      // The period: checked in the form, then sent as instants (nothing from tomorrow on; all until then).
      await page.getByTestId('disclosures-from').fill(localMinute(1));
      await page.getByTestId('disclosures-to').fill(localMinute(-1));
      await page.getByTestId('disclosures-apply').click();
      assert.equal(await page.locator('#disclosures-to-error').textContent(), '“To” must be after “From”.');
      await page.getByTestId('disclosures-to').fill('');
      await page.getByTestId('disclosures-apply').click();
      await page.getByTestId('disclosures-summary').filter({ hasText: 'No access recorded in this period.' }).waitFor();
      await page.getByTestId('disclosures-from').fill('');
      await page.getByTestId('disclosures-to').fill(localMinute(1));
      await page.getByTestId('disclosures-apply').click();
      await read.first().waitFor();

      // The review page: a signed checkpoint exists, nothing was verified yet.
      await system.composition.auditLog.checkpoint();
      const status = (await admin.client.get('/api/audit/status')).body as { latestCheckpoint: { treeSize: number } };
      const keyId = (await admin.client.get('/api/audit/public-key')).body.keyId as string;
      await page.getByRole('link', { name: 'Audit', exact: true }).click();
      await page.waitForURL(onPath('/admin/audit'));
      await page.getByTestId('audit-key-id').waitFor();
      const checkpoint = /, ([\d,]+) entries$/.exec(await text(page, 'audit-checkpoint'));
      assert.ok(checkpoint?.[1], `a checkpoint is shown: ${await text(page, 'audit-checkpoint')}`);
      assert.ok(Number(checkpoint[1].replaceAll(',', '')) >= status.latestCheckpoint.treeSize, 'the latest checkpoint, or a later one');
      assert.equal(await text(page, 'audit-verification'), 'Never verified');
      assert.equal(await text(page, 'audit-key-id'), keyId);
      assert.equal(await page.getByTestId('audit-public-key').isVisible(), false);
      await page.getByTestId('audit-public-key-toggle').click();
      assert.match(await text(page, 'audit-public-key'), /^-----BEGIN PUBLIC KEY-----/);

      // Filtered by the Clinician: only their entries, their patient read among them, linked to the patient.
      await page.getByTestId('audit-user').selectOption({ label: clinicianEmail });
      await Promise.all([
        page.waitForResponse((response) => response.url().includes('/api/audit/entries?') && response.url().includes(`actorId=${clinician.userId}`)),
        page.getByTestId('audit-apply').click(),
      ]);
      await waitForRows(page, 'data-actor', clinicianEmail);
      const readRow = rowsOf(page).and(page.locator('[data-action="patient.read"]')).first();
      assert.equal(await readRow.getByRole('link').getAttribute('href'), `/patients/${patientId}`);
      await screenshot(page, 'audit-review');

      // CSV export of the filtered entries: the step-up window has passed, so the dialog asks first.
      system.clock.advance(system.config.auth.stepUpWindow + 1);
      await page.getByTestId('export-csv').click();
      await page.getByTestId('step-up-dialog').waitFor();
      await page.getByTestId('step-up-code').fill(admin.nextCode());
      const csv = await downloaded(page, () => page.getByTestId('step-up-submit').click());
      assert.equal(csv.download.suggestedFilename(), 'clarus-audit.csv');
      assert.ok(csv.content.startsWith('seq,at,actorKind'), csv.content.slice(0, 80));
      const lines = csv.content.trim().split('\r\n').slice(1);
      assert.ok(lines.length > 0 && lines.every((line) => line.includes(`"${clinician.userId}"`)), 'only the Clinician’s entries');
      assert.equal(await text(page, 'export-status'), 'Downloaded clarus-audit.csv.');
      // FHIR within the step-up window: no second dialog.
      const fhir = await downloaded(page, () => page.getByTestId('export-fhir').click());
      const bundle = JSON.parse(fhir.content) as { resourceType: string; entry: Array<{ resource: { resourceType: string } }> };
      assert.equal(bundle.resourceType, 'Bundle');
      assert.ok(bundle.entry.length > 0 && bundle.entry.every((e) => e.resource.resourceType === 'AuditEvent'));

      // After a full verification the panel says it passed; unfiltered, older entries load below.
      const report = await system.composition.services.audit.verify();
      assert.equal(report.ok, true);
      await page.reload();
      await page.getByTestId('audit-verification').filter({ hasText: 'Passed' }).waitFor();
      await rowsOf(page).nth(99).waitFor();
      assert.equal(await rowsOf(page).count(), 100);
      await page.getByTestId('audit-older').click();
      await rowsOf(page).nth(100).waitFor();
      const seqs = await Promise.all((await rowsOf(page).all()).map(async (row) => Number(await row.getAttribute('data-seq'))));
      assert.ok(seqs.every((seq, i) => i === 0 || seq < (seqs[i - 1] ?? 0)), 'newest first, no entry twice');
      await screenshot(page, 'audit-review-older');
    });
  });
});
