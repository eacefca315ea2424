import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// One config for the app (vite), the unit tests and the browser tests (vitest projects).
export default defineConfig({
  plugins: [react()],
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
