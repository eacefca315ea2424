/**
 * Drive the built app in real headless Chromium (playwright-core, Debian's browser; never a
 * downloaded one). Used by tests/e2e/*.e2e.ts; the server and browser path come from
 * tests/e2e/globalSetup.ts.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";
import { expect, inject } from "vitest";

/** What the e2e globalSetup provides, checked. */
export interface E2EContext {
  /** The served app, ending in "/". */
  readonly baseURL: string;
  /** The Chromium binary to launch. */
  readonly chromePath: string;
}

/**
 * The server URL and Chromium path from globalSetup. Throws set-up's own message (e.g. how to
 * install Chromium) when it failed, so that message is what the test failure shows.
 */
export function e2eContext(): E2EContext {
  const setupError = inject("setupError");
  if (setupError) throw readableError(setupError);
  return { baseURL: inject("baseURL"), chromePath: inject("chromePath") };
}

/**
 * Flags for a headless Chromium in a container. Without the background-networking ones,
 * Chromium's own connections get refused here, many at a time, and slow every page down.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Launch headless Chromium; the caller closes it (afterAll). */
export async function launchBrowser(chromePath: string = e2eContext().chromePath): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: chromePath, headless: true, args: [...CHROMIUM_ARGS] });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw readableError(
      `Could not launch Chromium at ${chromePath}: ${briefLaunchLog(message)}\n` + "(Set DEBUG=pw:browser for the full launch log.)",
    );
  }
}

/** Playwright's launch error minus its call log and the two-screen command lines. */
function briefLaunchLog(message: string): string {
  const [beforeCallLog = message] = message.split("\nCall log:");
  return beforeCallLog
    .split("\n")
    .filter((line) => !line.includes("<launching>") && line.trim() !== "")
    .join("\n");
}

export interface OpenAppOptions {
  /** Appended to the base URL: "#…" (a shared scenario), "?embed", or a relative path. */
  readonly path?: string;
  /** CSS pixels; default 1280×720, a projector. */
  readonly viewport?: { readonly width: number; readonly height: number };
  readonly colorScheme?: "light" | "dark" | "no-preference";
  readonly reducedMotion?: "reduce" | "no-preference";
  /** Runs after the page exists and before it navigates, e.g. to install `page.route` handlers. */
  readonly beforeLoad?: (page: Page) => Promise<void>;
  /** Permissions granted to the page's origin, e.g. ["clipboard-read", "clipboard-write"]. */
  readonly permissions?: readonly string[];
  /**
   * The build registers a service worker (offline use). Blocked unless a test is about it: a
   * worker-served request would bypass `page.route`, and a test must see the network it set up.
   */
  readonly serviceWorkers?: "allow" | "block";
}

/** An open page plus everything that went wrong on it, collected as it happens. */
export interface AppPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** `console.error` messages (including Chromium's "Failed to load resource"). */
  readonly consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections. */
  readonly pageErrors: string[];
  /** Requests that failed at the network level or got an HTTP status ≥ 400. */
  readonly failedRequests: string[];
  /** Close the page's context (the browser stays open). */
  close(): Promise<void>;
}

export const DEFAULT_VIEWPORT = { width: 1280, height: 720 } as const;

/** Open the app in a fresh context and wait for the load event. */
export async function openApp(browser: Browser, baseURL: string, options: OpenAppOptions = {}): Promise<AppPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? DEFAULT_VIEWPORT,
    colorScheme: options.colorScheme ?? "light",
    reducedMotion: options.reducedMotion ?? "no-preference",
    serviceWorkers: options.serviceWorkers ?? "block",
    ...(options.permissions ? { permissions: [...options.permissions] } : {}),
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const { url, lineNumber } = msg.location();
    consoleErrors.push(url ? `${msg.text()} (${url}:${lineNumber + 1})` : msg.text());
  });
  page.on("pageerror", (error) => pageErrors.push(error.stack ?? error.message));
  // An HTTP error is reported once, as its status, not again as the ERR_ABORTED that follows it.
  const httpErrors = new WeakSet<Request>();
  page.on("response", (response) => {
    if (response.status() < 400) return;
    httpErrors.add(response.request());
    failedRequests.push(`${response.request().method()} ${response.url()}: HTTP ${response.status()}`);
  });
  page.on("requestfailed", (request) => {
    if (httpErrors.has(request)) return;
    failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText ?? "failed"}`);
  });

  const url = new URL(options.path ?? "", baseURL).href;
  await options.beforeLoad?.(page);
  try {
    await page.goto(url, { waitUntil: "load" });
  } catch (error) {
    await context.close();
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw readableError(`Could not open ${url}: ${message}`);
  }
  return { page, context, consoleErrors, pageErrors, failedRequests, close: () => context.close() };
}

/**
 * Assert the page logged no errors, threw nothing and had no failed requests. `ignore` drops
 * entries matching any pattern (keep it narrow, and say why at the call site).
 */
export function expectNoConsoleErrors(
  app: Pick<AppPage, "consoleErrors" | "pageErrors" | "failedRequests">,
  options: { ignore?: readonly RegExp[] } = {},
): void {
  const keep = (entries: readonly string[]) => entries.filter((entry) => !options.ignore?.some((re) => re.test(entry)));
  const problems = {
    consoleErrors: keep(app.consoleErrors),
    pageErrors: keep(app.pageErrors),
    failedRequests: keep(app.failedRequests),
  };
  expect(problems, "the page reported errors").toEqual({ consoleErrors: [], pageErrors: [], failedRequests: [] });
}

const screenshotDir = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));

/** Save a PNG of the viewport to test-results/screenshots/<name>.png and return its path. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = `${screenshotDir}${name.replace(/[^\w.-]+/g, "-")}.png`;
  await page.screenshot({ path, fullPage: options.fullPage ?? false, animations: "disabled" });
  return path;
}

/** An Error whose stack is just its message: the frames would only point into this helper. */
function readableError(message: string): Error {
  const error = new Error(message);
  error.stack = `Error: ${message}`;
  return error;
}
