/**
 * The de-identification settings page in the browser (DEID-1, DEID-2): an Administrator adds a device
 * model and a mask rule with one rectangle, sees it in the preview, saves with step-up and finds the
 * values after a reload; a Retain Safe Private entry with an even group is refused at its field and
 * nothing is sent; a Radiologist has no link to the page and is told it is not for them. Any CSP
 * violation or page error fails the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { confirmStepUp, inBrowser, onPath, signIn, text } from '../helpers/browser-journeys.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;
let admin: SignedInUser | undefined;
let radiologist: SignedInUser | undefined;

const PAGE = '/admin/de-identification';
const SETTINGS = '/api/admin/deid-settings';

before(async () => {
  harness = await startBrowserSystem();
  browser = await launchChromium();
  admin = await newTenantWithAdmin(harness.system, 'e2e-deid');
  radiologist = await addUser(harness.system, admin, ['Radiologist']);
});

after(async () => {
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser; admin: SignedInUser; radiologist: SignedInUser } {
  assert.ok(harness && browser && admin && radiologist, 'the system, the browser and the users are ready');
  return { harness, browser, admin, radiologist };
}

/** The settings as the API answers them to the Administrator. */
async function storedSettings(user: SignedInUser): Promise<Record<string, unknown>> {
  const reply = await user.client.get(SETTINGS);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body;
}

/** The values of the inputs with this data-testid, in page order. */
async function values(page: Page, testId: string): Promise<string[]> {
  return Promise.all((await page.getByTestId(testId).all()).map((input) => input.inputValue()));
}

/** Counts the PUTs of the settings the page sends. */
function countPuts(page: Page): { count: number } {
  const seen = { count: 0 };
  page.on('request', (request) => {
    if (request.method() === 'PUT' && new URL(request.url()).pathname === SETTINGS) seen.count += 1;
  });
  return seen;
}

describe('de-identification settings in the browser', () => {
  test('an Administrator adds a device model and a mask rule, previews it, saves with step-up and finds it after a reload', async () => {
    await inBrowser(running(), 'deid-settings-save', async (page) => {
      const { harness: { system }, admin } = running();
      const puts = countPuts(page);
      await signIn(page, admin);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'De-identification', exact: true }).click();
      await page.waitForURL(onPath(PAGE));
      await page.getByRole('heading', { level: 1, name: 'De-identification' }).waitFor();
      await page.getByTestId('deid-save').waitFor();
      assert.match(await text(page, 'deid-updated-at'), /^Never changed/);
      assert.match(await text(page, 'deid-step-up-note'), /^Mask rules and allow-lists decide what leaves without a reviewer, so saving asks you to confirm with your second factor\.$/);
      assert.equal(await page.getByTestId('deid-device').count(), 0);
      assert.equal(await page.getByTestId('deid-mask').count(), 0);

      // (1) A device model, by its accessible labels.
      await page.getByTestId('deid-add-device').click();
      await page.getByLabel('Device model 1: Manufacturer (optional)').fill('ACME Medical');
      await page.getByLabel('Device model 1: Model').fill('Sono-9');

      // (3) A mask rule of that model for 640 × 480 images, one rectangle over the top 40 rows.
      await page.getByTestId('deid-add-mask').click();
      const rule = page.getByTestId('deid-mask');
      assert.equal(await rule.getByTestId('deid-mask-preview-empty').count(), 1, 'no preview before the size is known');
      await page.getByLabel('Mask rule 1: Manufacturer (optional)').fill('ACME Medical');
      await page.getByLabel('Mask rule 1: Model').fill('Sono-9');
      await page.getByLabel('Mask rule 1: Rows (height)').fill('480');
      await page.getByLabel('Mask rule 1: Columns (width)').fill('640');
      assert.deepEqual(await values(page, 'deid-region-x'), ['0']);
      assert.deepEqual(await values(page, 'deid-region-y'), ['0']);
      await page.getByLabel('Mask rule 1, rectangle 1: Width').fill('700');
      await page.getByLabel('Mask rule 1, rectangle 1: Height').fill('40');

      // The preview: the image's outline scaled down, the rectangle clipped to it.
      const preview = rule.getByTestId('deid-mask-preview');
      await preview.waitFor();
      const svg = preview.getByRole('img');
      assert.equal(await svg.getAttribute('aria-label'), 'Preview of Mask rule 1: 640 × 480 pixels, 1 rectangle blanked');
      assert.equal(await svg.getAttribute('viewBox'), '0 0 640 480');
      assert.ok(Number(await svg.getAttribute('width')) <= 240, 'scaled down');
      const drawn = preview.getByTestId('deid-mask-preview-region');
      assert.equal(await drawn.count(), 1);
      assert.deepEqual(await Promise.all(['x', 'y', 'width', 'height'].map((a) => drawn.getAttribute(a))), ['0', '0', '640', '40']);

      // A rectangle wider than the image is refused at its field, before anything is sent.
      await page.getByTestId('deid-save').click();
      const width = page.getByLabel('Mask rule 1, rectangle 1: Width');
      assert.equal(await width.getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByTestId('deid-region-width-error').textContent(), 'x + width must not exceed 640 (columns).');
      assert.equal(await page.locator(':focus').getAttribute('data-testid'), 'deid-region-width', 'the invalid field has the focus');
      assert.equal(puts.count, 0, 'nothing was sent');
      await width.fill('640');
      assert.equal(await width.getAttribute('aria-invalid'), null, 'checked again as it changes');
      assert.equal(await page.getByTestId('deid-client-errors').count(), 0);
      assert.match(await text(page, 'deid-mask-preview-caption'), /640 × 480 pixels, 1 rectangle blanked: 8\.3% of the image/);

      // (4) and (5): one allowed value and one safe private attribute.
      await page.getByLabel('Allow-list (one value per line)').fill('Anonymized study\n\n  Phantom  ');
      await page.getByLabel('Private attributes to keep (one per line)').fill('GEMS_PARM_01:0043,xx27');
      await screenshot(page, 'deid-settings-filled');

      // Signing in counted as a step-up; once its window has passed, saving asks for the second factor.
      system.clock.advance(system.config.auth.stepUpWindow + 1);
      await page.getByTestId('deid-save').click();
      await confirmStepUp(page, admin.nextCode());
      await page.getByTestId('deid-saved').waitFor();
      assert.match(await text(page, 'deid-saved'), /^De-identification settings saved/);
      assert.match(await text(page, 'deid-updated-at'), /^Last changed /);
      assert.equal(await page.getByTestId('deid-client-errors').count(), 0);

      const stored = await storedSettings(admin);
      assert.deepEqual(stored.pixelPolicy, {
        extraSopClasses: [],
        deviceModels: [{ manufacturer: 'ACME Medical', model: 'Sono-9' }],
        masks: [{ manufacturer: 'ACME Medical', model: 'Sono-9', rows: 480, columns: 640, regions: [{ x: 0, y: 0, width: 640, height: 40 }] }],
      });
      assert.deepEqual(stored.textAllowList, ['Anonymized study', 'Phantom'], 'trimmed, blank lines dropped');
      assert.deepEqual(stored.safePrivate, ['GEMS_PARM_01:0043,xx27']);
      assert.equal(typeof stored.updatedAt, 'string');

      // After a reload the page shows what was stored.
      await page.reload();
      await page.getByTestId('deid-mask').waitFor();
      assert.match(await text(page, 'deid-updated-at'), /^Last changed /);
      assert.deepEqual(await values(page, 'deid-device-manufacturer'), ['ACME Medical']);
      assert.deepEqual(await values(page, 'deid-device-model'), ['Sono-9']);
      assert.deepEqual(await values(page, 'deid-mask-model'), ['Sono-9']);
      assert.deepEqual(await values(page, 'deid-mask-rows'), ['480']);
      assert.deepEqual(await values(page, 'deid-mask-columns'), ['640']);
      assert.deepEqual(
        await Promise.all(['x', 'y', 'width', 'height'].map((n) => values(page, `deid-region-${n}`))),
        [['0'], ['0'], ['640'], ['40']],
      );
      assert.equal(await page.getByTestId('deid-mask-preview-region').count(), 1);
      assert.equal(await page.getByTestId('deid-allow-list').inputValue(), 'Anonymized study\nPhantom');
      assert.equal(await page.getByTestId('deid-safe-private').inputValue(), 'GEMS_PARM_01:0043,xx27');
      assert.equal(puts.count, 2, 'one refused by the step-up answer, one retried after it');
      await screenshot(page, 'deid-settings-saved');
    });
  });

  test('a Retain Safe Private entry with an even group is refused at its field and nothing is saved', async () => {
    await inBrowser(running(), 'deid-settings-bad-private', async (page) => {
      const { admin } = running();
      const before = await storedSettings(admin);
      const puts = countPuts(page);
      await signIn(page, admin);
      await page.goto(PAGE);
      const field = page.getByLabel('Private attributes to keep (one per line)');
      await field.waitFor();
      await field.fill('GEMS_PARM_01:0043,xx27\nGEMS_PARM_01:0042,xx27');
      await page.getByTestId('deid-save').click();

      const error = page.locator('#deid-safePrivate-error');
      await error.waitFor();
      assert.equal(await error.textContent(), 'Line 2: write CREATOR:gggg,xxee with an odd (private) group, e.g. GEMS_PARM_01:0043,xx27.');
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.match((await field.getAttribute('aria-describedby')) ?? '', /deid-safePrivate-error/);
      assert.equal(await page.locator(':focus').getAttribute('data-testid'), 'deid-safe-private', 'the invalid field has the focus');
      assert.match(await text(page, 'deid-client-errors'), /^Nothing was saved: one field needs correcting/);
      assert.equal(await page.getByTestId('step-up-dialog').count(), 0, 'no step-up asked');
      assert.equal(await page.getByTestId('deid-saved').count(), 0);
      assert.equal(puts.count, 0, 'nothing was sent');
      assert.deepEqual(await storedSettings(admin), before, 'nothing changed');
      await screenshot(page, 'deid-settings-bad-private');

      // The server applies the same rule (to a client that skips the page's check).
      const { harness: { system } } = running();
      system.clock.advance(system.config.auth.stepUpWindow + 1);
      assert.equal((await admin.client.post('/api/auth/step-up', { code: admin.nextCode() })).status, 200);
      const refused = await admin.client.request('PUT', SETTINGS, { pixelPolicy: {}, textAllowList: [], safePrivate: ['GEMS_PARM_01:0043,xx27', 'GEMS_PARM_01:0042,xx27'] });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.deepEqual((refused.body.fields as { path: string }[]).map((f) => f.path), ['safePrivate.1']);
      assert.deepEqual(await storedSettings(admin), before, 'still nothing changed');
    });
  });

  test('a Radiologist has no link to the page and is told it is for administrators', async () => {
    await inBrowser(running(), 'deid-settings-radiologist', async (page) => {
      const { radiologist } = running();
      await signIn(page, radiologist);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Research exports', exact: true }).waitFor();
      assert.equal(await nav.getByRole('link', { name: 'De-identification' }).count(), 0);
      await page.goto(PAGE);
      await page.getByRole('heading', { level: 1, name: 'De-identification' }).waitFor();
      assert.match(await page.getByRole('alert').textContent() ?? '', /This page is for administrators/);
      assert.equal(await page.getByTestId('deid-save').count(), 0);
      assert.equal(await page.getByTestId('deid-safe-private').count(), 0);
      assert.equal((await radiologist.client.get(SETTINGS)).status, 403, 'the server refuses too');
    });
  });
});
