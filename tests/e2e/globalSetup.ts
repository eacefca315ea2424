/**
 * Vitest globalSetup for the `e2e` project: build the app, serve the production build on
 * 127.0.0.1, find Chromium once, and hand `baseURL` and `chromePath` to the tests (`inject`).
 *
 * TAGFLOW_E2E_URL=http://127.0.0.1:5173/ skips the build and tests that server instead
 * (e.g. `npm start` in another terminal).
 */
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { build, preview, type PreviewServer } from "vite";
import type { TestProject } from "vitest/node";
import { CHROMIUM, ensureTool } from "../support/debian";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where the app is served, always ending in "/". Empty when set-up failed. */
    baseURL: string;
    /** Absolute path of the Chromium binary. Empty when it could not be found. */
    chromePath: string;
    /** Why set-up failed (e.g. Chromium missing), for the tests to report; empty when it didn't. */
    setupError: string;
  }
}

const root = fileURLToPath(new URL("../..", import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let chromePath = "";
  let setupError = "";
  try {
    chromePath = ensureTool(CHROMIUM);
  } catch (error) {
    // Reported by the tests themselves (see e2eContext), so it reads as a test failure, and
    // the build is skipped: without a browser there is nothing to test it with.
    setupError = error instanceof Error ? error.message : String(error);
  }

  let server: PreviewServer | undefined;
  let baseURL = "";
  const external = process.env.TAGFLOW_E2E_URL;
  if (external) {
    if (URL.canParse(external)) baseURL = asBaseURL(external);
    else setupError ||= `TAGFLOW_E2E_URL=${external} is not a URL; try http://127.0.0.1:5173/ (npm start).`;
  } else if (!setupError) {
    try {
      server = await buildAndServe();
      const address = server.httpServer.address() as AddressInfo | null;
      if (!address) throw new Error("vite preview started but is not listening.");
      baseURL = `http://127.0.0.1:${address.port}/`;
    } catch (error) {
      await server?.close();
      server = undefined;
      // Reported by the tests too: thrown from here, vitest would also claim "No test files found".
      setupError = `Could not build and serve the app: ${stripVTControlCharacters(error instanceof Error ? error.message : String(error))}`;
    }
  }

  project.provide("baseURL", baseURL);
  project.provide("chromePath", chromePath);
  project.provide("setupError", setupError);

  return async () => {
    await server?.close();
  };
}

/** `vite build` into dist/, then `vite preview` it on a free port of 127.0.0.1. */
async function buildAndServe(): Promise<PreviewServer> {
  // A build that runs under vitest would inherit NODE_ENV=test and bundle React's dev build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ root, mode: "production", logLevel: "warn", build: { outDir: "dist", emptyOutDir: true } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return preview({
    root,
    logLevel: "warn",
    // Static hosting answers a missing file with 404; "spa" would hand back index.html (200).
    appType: "mpa",
    build: { outDir: "dist" },
    preview: { host: "127.0.0.1", port: 0, strictPort: true, open: false },
  });
}

/** The URL as a base the tests can resolve "#…" and "?…" against: path ends in "/", no query. */
function asBaseURL(url: string): string {
  const base = new URL(url);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  base.search = "";
  base.hash = "";
  return base.href;
}
