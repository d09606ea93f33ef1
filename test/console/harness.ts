/**
 * What the console's end-to-end test needs besides the demo: playwright-core and axe-core (dependencies of the
 * console package, static/console, so the root needs neither), Debian's Chromium, and the built console served
 * by the service's own code (`folderFiles` and the service's security headers, CSP included).
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SECURITY_HEADERS } from '../../src/serve/http/app';
import { folderFiles } from '../../src/serve/http/server';

export const CONSOLE_DIR = path.resolve(__dirname, '../../static/console');
export const BUILD_DIR = path.join(CONSOLE_DIR, 'build');
export const CHROMIUM = process.env.BULKHEAD_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(__dirname, 'screenshots');

/** The parts of playwright-core's API the tests use (its types live in the console package, not the root). */
export interface Locator {
  click(o?: { timeout?: number; force?: boolean }): Promise<void>;
  fill(v: string): Promise<void>;
  selectOption(v: string): Promise<unknown>;
  waitFor(o?: { state?: 'visible' | 'attached' | 'hidden' | 'detached'; timeout?: number }): Promise<void>;
  textContent(): Promise<string | null>;
  inputValue(): Promise<string>;
  isChecked(): Promise<boolean>;
  isDisabled(): Promise<boolean>;
  count(): Promise<number>;
  first(): Locator;
  nth(n: number): Locator;
  locator(s: string): Locator;
  getByRole(role: string, o?: { name?: string | RegExp; exact?: boolean }): Locator;
  getByText(t: string | RegExp, o?: { exact?: boolean }): Locator;
  getAttribute(n: string): Promise<string | null>;
}
export interface Page extends Pick<Locator, 'locator' | 'getByRole' | 'getByText'> {
  goto(url: string, o?: { waitUntil?: 'load' | 'domcontentloaded' | 'networkidle' }): Promise<unknown>;
  reload(): Promise<unknown>;
  url(): string;
  screenshot(o: { path: string; fullPage?: boolean }): Promise<unknown>;
  evaluate<T>(fn: string | ((arg: never) => T | Promise<T>), arg?: unknown): Promise<T>;
  addScriptTag(o: { path?: string; content?: string }): Promise<unknown>;
  getByLabel(t: string | RegExp, o?: { exact?: boolean }): Locator;
  on(event: 'console', f: (m: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', f: (e: Error) => void): void;
  close(): Promise<void>;
}
export interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
export interface Browser {
  newContext(o?: {
    viewport?: { width: number; height: number };
    colorScheme?: 'light' | 'dark';
  }): Promise<BrowserContext>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(o: { executablePath: string; args?: string[] }): Promise<Browser> };
}

const fromConsole = createRequire(path.join(CONSOLE_DIR, 'package.json'));

function load<T>(name: string): T | undefined {
  try {
    return fromConsole(name) as T;
  } catch {
    try {
      return createRequire(__filename)(name) as T;
    } catch {
      return undefined;
    }
  }
}

/**
 * Waits until `expression` is truthy in the page, evaluating it from the test every `everyMs`.
 *
 * Not `page.waitForFunction`: given a string, playwright-core re-evaluates it with `eval` inside the page on
 * every animation frame. The console's CSP has no 'unsafe-eval', so only the first check passes (it runs
 * inside the DevTools call, which the CSP does not govern). Every later check is blocked. The test then fails
 * whenever the page was not already in the awaited state, and the blocked `eval` shows up as a CSP report.
 * `page.evaluate` goes through DevTools each time, so it is not affected.
 */
export async function waitInPage(
  page: Page,
  expression: string,
  o: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate<boolean>(`Boolean(${expression})`)) return;
    if (Date.now() >= deadline) throw new Error(`not true in the page within ${timeoutMs} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, o.everyMs ?? 100));
  }
}

/** Why the browser tests cannot run here, or undefined when they can. */
export function whyNotRunnable(): string | undefined {
  if (!existsSync(CHROMIUM))
    return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set BULKHEAD_CHROMIUM)`;
  if (!existsSync(path.join(BUILD_DIR, 'index.html')))
    return 'the console is not built (npm install --prefix static/console && npm run build --prefix static/console)';
  if (!load('playwright-core'))
    return 'playwright-core is not installed (npm install --prefix static/console)';
  if (!axePath()) return 'axe-core is not installed (npm install --prefix static/console)';
  return undefined;
}

export function playwright(): Playwright {
  const p = load<Playwright>('playwright-core');
  if (!p) throw new Error('playwright-core missing');
  return p;
}

export function axePath(): string | undefined {
  try {
    return fromConsole.resolve('axe-core/axe.min.js');
  } catch {
    return undefined;
  }
}

export interface ServedConsole {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The built console in front of a running service: files from the build folder through the service's own
 * `folderFiles` (index.html for paths without an extension, as app.ts does) with the service's security
 * headers, and everything under /api passed through to the service (cookies, redirects, the event stream).
 * Used while `bulkhead demo` has no option to serve the built console itself.
 */
export async function serveBuiltConsole(upstream: string): Promise<ServedConsole> {
  const files = folderFiles(BUILD_DIR);
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/api/') || url === '/api') {
      const p = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: url,
          method: req.method,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      p.on('error', () => {
        res.writeHead(502).end();
      });
      req.pipe(p);
      res.on('close', () => p.destroy());
      return;
    }
    const pathname = new URL(url, 'http://x').pathname;
    void (async () => {
      const f =
        (await files(pathname === '/' ? '/index.html' : pathname)) ??
        (/\.[A-Za-z0-9]+$/.test(pathname) ? undefined : await files('/index.html'));
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      if (!f) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': f.contentType });
      res.end(f.body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[]; readonly failureSummary?: string }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const has = await page.evaluate<boolean>('typeof window.axe !== "undefined"');
  // Not page.addScriptTag: it adds an inline <script>, which the console's CSP (default-src 'self') refuses.
  // Evaluating the source through the DevTools protocol is not subject to the page's CSP.
  if (!has) await page.evaluate<unknown>(readFileSync(axePath() as string, 'utf8'));
  const violations = await page.evaluate<AxeViolation[]>(
    `window.axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => ({ target: n.target, failureSummary: n.failureSummary })) })))`,
  );
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
