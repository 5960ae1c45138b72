/**
 * What the browser end-to-end tests share: a scenario in a fresh, watched browser profile, signing
 * in through the web app with a fresh TOTP code, and small page helpers.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { totpAt } from '../../src/crypto/totp.ts';
import { openPage, screenshot, type BrowserSystem } from './browser-harness.ts';
import { strongPassword, type SignedInUser } from './journeys.ts';
import type { TestSystem } from './test-system.ts';

/** A `waitForURL` predicate: the page is at `pathname`. */
export const onPath = (pathname: string) => (url: URL): boolean => url.pathname === pathname;

/** The text of the element with this data-testid ('' when it has none). */
export const text = async (page: Page, testId: string): Promise<string> => (await page.getByTestId(testId).textContent()) ?? '';

/** A fresh TOTP code: each 30-second step is usable once, so the server's clock moves one step on first. */
export function nextTotpCode(system: TestSystem, secret: Buffer): string {
  system.clock.advance(30);
  return totpAt(secret, system.clock.now().getTime());
}

/**
 * Runs one scenario in a fresh browser profile. On failure it keeps a screenshot and adds what the
 * page reported; on success it asserts that the page reported nothing (no CSP violation, no error).
 */
export async function inBrowser(
  where: { harness: BrowserSystem; browser: Browser },
  name: string,
  scenario: (page: Page, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const { context, page, problems } = await openPage(where.browser, where.harness.origin);
  try {
    await scenario(page, context);
  } catch (error) {
    const shot = await screenshot(page, `e2e-failure-${name}`).catch(() => 'none');
    if (error instanceof Error) error.message += `\n  (screenshot: ${shot}; page problems: ${JSON.stringify(problems)})`;
    throw error;
  } finally {
    await context.close();
  }
  assert.deepEqual(problems, [], 'no Content Security Policy violation and no page error');
}

/**
 * From the sign-in page: e-mail and password, then the code `nextCode` gives once the code page is
 * shown. Leaves the page where the app goes next.
 */
export async function submitSignIn(page: Page, email: string, password: string, nextCode: () => string): Promise<void> {
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('sign-in').click();
  await page.waitForURL(onPath('/sign-in/verify'));
  await page.getByTestId('mfa-code').fill(nextCode());
  await page.getByTestId('mfa-submit').click();
}

/** A user enrolled over the API: e-mail, password, then a fresh TOTP code (the server clock moves one 30-second step). */
export async function signIn(page: Page, user: SignedInUser): Promise<void> {
  await page.goto('/sign-in');
  await submitSignIn(page, user.email, strongPassword, () => user.nextCode());
  await page.getByTestId('home').waitFor();
}

/** Answers the shared step-up dialog (which the app opens on a 403 step-up answer) with `code`. */
export async function confirmStepUp(page: Page, code: string): Promise<void> {
  const dialog = page.getByTestId('step-up-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('step-up-code').fill(code);
  await dialog.getByTestId('step-up-submit').click();
  await dialog.waitFor({ state: 'detached' });
}
