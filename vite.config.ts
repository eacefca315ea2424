import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import { VitePWA } from "vite-plugin-pwa";
import type { Plugin } from "vite";
import { BUILTIN_SCENARIOS, DEFAULT_SCENARIO } from "./src/engine/scenario/builtins";

const CATALOG_ID = "virtual:builtin-catalog";

/**
 * What the page needs of each built-in before it runs one — name, title, personality and fixes
 * (the picker, the link codec, the store's first request; the description comes with the trace) — computed from the built-ins themselves
 * when the app is built. The scenarios' hosts, keys and traffic stay in the engine worker, which
 * runs them, and in the lazy chunks that export or edit them: the first load stays small
 * (design.md: 150 KiB gzipped). Vite restarts the dev server when a built-in changes, because
 * this file imports them.
 */
function builtinCatalog(): Plugin {
  return {
    name: "tagflow-builtin-catalog",
    resolveId: (id) => (id === CATALOG_ID ? `\0${CATALOG_ID}` : null),
    load(id) {
      if (id !== `\0${CATALOG_ID}`) return null;
      const catalog = BUILTIN_SCENARIOS.map((s) => ({
        name: s.name,
        title: s.title,
        personality: s.personality,
        fixes: s.fixes,
      }));
      return `export default ${JSON.stringify(catalog)};\nexport const defaultName = ${JSON.stringify(DEFAULT_SCENARIO)};`;
    },
  };
}

// One config for the app (vite), the unit tests and the browser tests (vitest projects).
export default defineConfig({
  plugins: [
    react(),
    builtinCatalog(),
    // Offline after the first load (a classroom's Wi-Fi comes and goes): Workbox precaches the
    // build — the page, its chunks, the engine worker and the icon — and serves them when the
    // network is gone. Production builds only; `npm start` (the dev server) registers nothing.
    // "autoUpdate": a new deploy replaces the cached one at the next load, with no prompt.
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: "script-defer",
      manifest: {
        name: "tagflow — packet flow through a kernel stack",
        short_name: "tagflow",
        description: "Watch packets and the m_tags riding on them flow through a kernel network stack, step by step.",
        start_url: "./",
        display: "standalone",
        background_color: "#ffffff",
        theme_color: "#1f2937",
        icons: [{ src: "favicon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" }],
      },
      workbox: {
        globPatterns: ["**/*.{js,css,html,svg,webmanifest}"],
        // A share link is index.html with a #fragment; an unknown path still gets the app.
        navigateFallback: "index.html",
        cleanupOutdatedCaches: true,
        // Control the page that installed it, so the first visit already survives a dropped network.
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
  base: "./",
  // 127.0.0.1, not "localhost": where localhost resolves to ::1 first, vite would listen on ::1 only
  // and http://127.0.0.1:5173/ (curl, TAGFLOW_E2E_URL) would be refused.
  server: { host: "127.0.0.1", port: 5173, strictPort: false, open: false },
  preview: { port: 4173 },
  build: { target: "es2022", sourcemap: false, chunkSizeWarningLimit: 600 },
  worker: { format: "es" },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["tests/**/*.test.ts", "tests/**/*.test.tsx"],
          exclude: ["tests/e2e/**", "node_modules/**"],
          environment: "node",
          // Property tests run thousands of cases; on a loaded 2-core CI box vitest's 5 s default
          // turned them into flaky failures. Time is measured by the bench, never asserted here.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.e2e.ts"],
          environment: "node",
          globalSetup: ["tests/e2e/globalSetup.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
