/**
 * The browser end to end: a real Chromium drives the built web app (web/dist) served by a real,
 * listening Clarus, as a person would click. Every page is watched: any Content Security Policy
 * violation or uncaught page error fails the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { base32Decode } from '../../src/crypto/totp.ts';
import { launchChromium, openPage, screenshot, startBrowserSystem, type BrowserSystem } from '../helpers/browser-harness.ts';
import { inBrowser, nextTotpCode, onPath, submitSignIn } from '../helpers/browser-journeys.ts';

/** A long passphrase, as the enrolment page advises. */
const passphrase = 'violet lantern orbits a quiet harbour at dawn';

let harness: BrowserSystem | undefined;
let browser: Browser | undefined;

before(async () => {
  harness = await startBrowserSystem();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await harness?.system.close();
});

function running(): { harness: BrowserSystem; browser: Browser } {
  assert.ok(harness && browser, 'the system and the browser started');
  return { harness, browser };
}

/** A fresh TOTP code for this authenticator secret (the server's clock moves one 30-second step on). */
const nextCode = (secret: Buffer): string => nextTotpCode(running().harness.system, secret);

/**
 * Opens a one-time enrolment link and goes through password, authenticator and recovery codes to
 * the home page. Returns the authenticator secret the page showed.
 */
async function enrolInBrowser(page: Page, link: string, email: string, options: { screenshotTotp?: string } = {}): Promise<Buffer> {
  await page.goto(link);
  assert.equal(await page.getByTestId('enrol-email').textContent(), email, 'the enrolment page names the invited person');
  await page.getByTestId('new-password').fill(passphrase);
  await page.getByTestId('confirm-password').fill(passphrase);
  await page.getByTestId('enrol-submit').click();

  await page.waitForURL(onPath('/setup-authenticator'));
  const qr = page.locator('svg[data-testid="totp-qr"]');
  await qr.waitFor();
  assert.ok(await qr.locator('rect').count() > 100, 'the QR code is drawn as SVG modules');
  const secretText = (await page.getByTestId('totp-secret').textContent())?.replace(/\s+/g, '') ?? '';
  assert.match(secretText, /^[A-Z2-7]{16,}=*$/, 'the secret is shown as base32 to type by hand');
  const secret = base32Decode(secretText);
  if (options.screenshotTotp) await screenshot(page, options.screenshotTotp);
  await page.getByTestId('totp-code').fill(nextCode(secret));
  await page.getByTestId('totp-confirm').click();

  const codes = page.getByTestId('recovery-codes').locator('li');
  await codes.nth(9).waitFor();
  assert.equal(await codes.count(), 10, 'ten recovery codes are shown once');
  const texts = (await codes.allTextContents()).map((t) => t.trim());
  assert.equal(new Set(texts).size, 10, 'the recovery codes are all different');
  await page.getByTestId('recovery-codes-saved').click();

  await page.getByTestId('home').waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  return secret;
}

/** From the sign-in page: e-mail and password, then a TOTP code. Leaves the page where the app goes next. */
function signInInBrowser(page: Page, email: string, secret: Buffer): Promise<void> {
  return submitSignIn(page, email, passphrase, () => nextCode(secret));
}

async function signOut(page: Page, context: BrowserContext): Promise<void> {
  await page.getByTestId('sign-out').click();
  await page.waitForURL(onPath('/sign-in'));
  await page.getByTestId('email').waitFor();
  const names = (await context.cookies()).map((c) => c.name);
  assert.ok(!names.includes('__Host-clarus_at') && !names.includes('__Host-clarus_rt'), `session cookies are gone after sign-out (${names.join(', ')})`);
}

describe('browser journey', () => {
  test('the page is served under default-src \'self\', and the watcher catches violations and page errors', async () => {
    // Guards the harness itself: if it could not see a violation, the other tests would prove nothing.
    const { harness: h, browser: b } = running();
    const { context, page, problems } = await openPage(b, h.origin);
    try {
      const response = await page.goto('/sign-in');
      assert.equal(response?.headers()['content-security-policy'], "default-src 'self'");
      await page.getByTestId('email').waitFor();
      assert.equal(problems.length, 0, `the sign-in page itself is clean: ${JSON.stringify(problems)}`);

      const violation = page.waitForEvent('console', { predicate: (m) => /content security policy/i.test(m.text()) });
      await page.evaluate("const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.body.append(s);");
      await violation;
      assert.equal(await page.evaluate('window.inlineRan'), undefined, 'the inline script was blocked');
      const crash = page.waitForEvent('pageerror');
      await page.evaluate("setTimeout(() => { throw new Error('deliberate') }, 0)");
      await crash;
      assert.ok(problems.some((p) => p.startsWith('CSP')), JSON.stringify(problems));
      assert.ok(problems.some((p) => p.includes('deliberate')), JSON.stringify(problems));
    } finally {
      await context.close();
    }
  });

  test('enrolment link → password → authenticator → recovery codes → home → sign out → sign in again', async () => {
    await inBrowser(running(), 'journey', async (page, context) => {
      const { system } = running().harness;
      // What `clarus init` prints: the one-time enrolment link of the first Administrator.
      const { link } = await system.composition.services.tenants.create('e2e', 'E2E Hospital', 'admin@example.org');
      assert.ok(link.url.startsWith(`${running().harness.origin}/enrol#token=`), link.url);

      const secret = await enrolInBrowser(page, link.url, 'admin@example.org', { screenshotTotp: 'e2e-totp-page' });
      assert.equal(await page.getByTestId('home').textContent(), 'Welcome, admin@example.org');
      assert.equal(await page.getByTestId('tenant-name').textContent(), 'E2E Hospital');
      const adminCard = page.getByTestId('role-card-Administrator');
      assert.ok(await adminCard.isVisible(), 'the Administrator card is shown');
      assert.match(await adminCard.textContent() ?? '', /Manage users and their roles/);
      assert.equal(await page.getByTestId('user-email').textContent(), 'admin@example.org');
      await screenshot(page, 'e2e-home-page');

      await signOut(page, context);

      await signInInBrowser(page, 'admin@example.org', secret);
      await page.getByTestId('home').waitFor();
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal(await page.getByTestId('home').textContent(), 'Welcome, admin@example.org');
    });
  });

  test('an idle session ends on the server; the next click or a reload shows "session ended"', async () => {
    await inBrowser(running(), 'idle', async (page) => {
      const { system } = running().harness;
      const email = 'idle@example.org';
      const { link } = await system.composition.services.tenants.create('e2e-idle', 'Idle Clinic', email);
      const secret = await enrolInBrowser(page, link.url, email);

      // Idle past the timeout (the access token has expired too): a click that calls the API.
      system.clock.advance(system.config.auth.idleTimeout + 1);
      await page.getByRole('link', { name: 'Account', exact: true }).click();
      await page.waitForURL(onPath('/sign-in'));
      assert.match(await page.getByTestId('session-ended').textContent() ?? '', /session has ended/i);

      // Signing in again goes back to the page that was asked for.
      await signInInBrowser(page, email, secret);
      await page.waitForURL(onPath('/account'));
      await page.getByRole('heading', { name: 'Your account' }).waitFor();

      // Idle again, then a reload: the first call of the fresh page finds the session over.
      system.clock.advance(system.config.auth.idleTimeout + 1);
      await page.reload();
      await page.waitForURL(onPath('/sign-in'));
      assert.match(await page.getByTestId('session-ended').textContent() ?? '', /session has ended/i);
    });
  });

  test('session cookies are __Host-, HttpOnly, Secure, SameSite=Strict and invisible to scripts', async () => {
    await inBrowser(running(), 'cookies', async (page, context) => {
      const { system } = running().harness;
      const email = 'cookies@example.org';
      const { link } = await system.composition.services.tenants.create('e2e-cookies', 'Cookie Clinic', email);
      await enrolInBrowser(page, link.url, email);

      const cookies = await context.cookies();
      for (const name of ['__Host-clarus_at', '__Host-clarus_rt']) {
        const cookie = cookies.find((c) => c.name === name);
        assert.ok(cookie, `${name} is set (cookies: ${cookies.map((c) => c.name).join(', ')})`);
        assert.equal(cookie.httpOnly, true, `${name} is HttpOnly`);
        assert.equal(cookie.secure, true, `${name} is Secure`);
        assert.equal(cookie.sameSite, 'Strict', `${name} is SameSite=Strict`);
        assert.equal(cookie.path, '/', `${name} has Path=/`);
      }
      const visible = await page.evaluate<string>('document.cookie');
      assert.ok(!visible.includes('__Host-clarus_at') && !visible.includes('__Host-clarus_rt'), `document.cookie shows no session cookie: "${visible}"`);
      assert.ok(!visible.includes('clarus'), `document.cookie shows no Clarus cookie at all (CSRF included): "${visible}"`);
    });
  });

  test('a passkey registered on the account page signs in as the second factor', async () => {
    await inBrowser(running(), 'passkey', async (page, context) => {
      const { system } = running().harness;
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
      const email = 'passkey@example.org';
      const { link } = await system.composition.services.tenants.create('e2e-passkey', 'Passkey Clinic', email);
      const secret = await enrolInBrowser(page, link.url, email);

      await page.getByRole('link', { name: 'Account', exact: true }).click();
      await page.waitForURL(onPath('/account'));
      await page.getByText('You have no passkeys yet.').waitFor();
      // Adding a factor needs a fresh second factor: let the enrolment's step-up lapse, so the dialog asks.
      system.clock.advance(system.config.auth.stepUpWindow + 1);
      await page.getByTestId('passkey-name').fill('Work laptop');
      await page.getByTestId('add-passkey').click();
      await page.getByTestId('step-up-code').fill(nextCode(secret));
      await page.getByTestId('step-up-submit').click();
      await page.getByTestId('passkeys').getByText('Work laptop').waitFor();
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1, 'the authenticator holds the new credential');

      await signOut(page, context);
      await page.getByTestId('email').fill(email);
      await page.getByTestId('password').fill(passphrase);
      await page.getByTestId('sign-in').click();
      await page.waitForURL(onPath('/sign-in/verify'));
      await page.getByTestId('use-passkey').click();
      await page.getByTestId('home').waitFor();
      assert.equal(new URL(page.url()).pathname, '/');
      const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.ok((after.credentials[0]?.signCount ?? 0) >= 1, 'the passkey was used to sign in');
    });
  });
});
