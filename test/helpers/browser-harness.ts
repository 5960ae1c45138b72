import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestSystem, type TestSystem } from './test-system.ts';

/** The repository root, and where screenshots go (.test-run is gitignored). */
export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const artefactDir = resolve(repoRoot, '.test-run');
const webDist = resolve(repoRoot, 'web', 'dist');

/** Debian's Chromium (scripts/install-test-deps.sh); Playwright's own browsers are never downloaded. */
const CHROMIUM = process.env.CLARUS_TEST_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Fails with a message that says what to do, instead of a blank page and a locator timeout. */
export function assertBrowserPrerequisites(): void {
  if (!existsSync(resolve(webDist, 'index.html'))) {
    throw new Error(`the browser app is not built (${webDist}/index.html is missing): run \`npx vite build --config web/vite.config.ts\` (\`npm test\` does it before the tests)`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run scripts/install-test-deps.sh (never \`playwright install\`)`);
  }
}

/** A TCP port that was free a moment ago on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return fail(new Error('no port'));
      server.close(() => ok(address.port));
    });
  });
}

export interface BrowserSystem {
  system: TestSystem;
  /** http://localhost:<port>: the page origin, the WebAuthn origin and CLARUS_PUBLIC_URL, all one. */
  origin: string;
}

/**
 * A whole Clarus listening on a real port, with its public URL equal to the origin the browser
 * uses (WebAuthn checks the origin; enrolment links are built from it).
 */
export async function startBrowserSystem(env: Record<string, string> = {}): Promise<BrowserSystem> {
  assertBrowserPrerequisites();
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const system = await startTestSystem({ env: { CLARUS_PUBLIC_URL: origin, ...env } });
  try {
    await system.app.listen({ port, host: '127.0.0.1' });
  } catch (error) {
    await system.close();
    throw error;
  }
  return { system, origin };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Reports CSP violations seen from inside the page too (the init script is injected over CDP, not subject to the CSP). */
const violationReporter = `
  document.addEventListener('securitypolicyviolation', (event) => {
    console.error('Content Security Policy violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline'));
  });
`;

/**
 * Everything a page did wrong: any console message about the Content Security Policy, any
 * uncaught page error. Tests end with `assert.deepEqual(problems, [])`.
 */
export async function watchPage(page: Page): Promise<string[]> {
  const problems: string[] = [];
  await page.addInitScript({ content: violationReporter });
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) problems.push(`CSP (${message.type()}): ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error.message}`));
  return problems;
}

/** A fresh browser profile (no cookies) with one watched page. */
export async function openPage(browser: Browser, origin: string): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ baseURL: origin, viewport: { width: 1100, height: 800 } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = await watchPage(page);
  return { context, page, problems };
}

/**
 * Writes a full-page screenshot to .test-run/<name>.png and returns its path. Screenshots are
 * artefacts for people, not assertions: on a loaded machine one may time out, and that must not fail
 * the journey it illustrates (the path is then returned without a file, and a line says so).
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artefactDir, { recursive: true });
  const path = resolve(artefactDir, `${name}.png`);
  try {
    await page.screenshot({ path, fullPage: true, timeout: 30_000 });
  } catch (error) {
    process.stdout.write(`# screenshot ${name} not taken: ${(error as Error).name}\n`);
  }
  return path;
}
