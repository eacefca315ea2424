// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import eslintConfigPrettier from "eslint-config-prettier/flat";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "test-results/", "out/"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ["**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
      // noUncheckedIndexedAccess is on; `xs[i]!` after a bounds check is the honest spelling.
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    files: ["src/ui/**/*.{ts,tsx}", "src/store/**/*.ts"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
    },
  },
  {
    // The engine is pure and deterministic: no DOM, no clocks, no randomness, no UI libraries.
    files: ["src/engine/**/*.ts"],
    languageOptions: { globals: {} },
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["react", "react-dom", "react/*", "zustand", "zustand/*", "d3-*", "d3"], message: "src/engine is pure: no UI libraries." },
            {
              group: ["**/ui/**", "**/store/**", "**/share/**", "**/export/**", "**/cli/**", "node:*", "fs", "path"],
              message: "src/engine imports nothing outside itself (and no Node APIs).",
            },
          ],
        },
      ],
      "no-restricted-globals": ["error", "document", "window", "navigator", "localStorage", "performance", "setTimeout", "setInterval", "process"],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "Use the virtual clock." },
        { object: "Math", property: "random", message: "Use the seeded RNG (sim/rng.ts)." },
        { object: "performance", property: "now", message: "Use the virtual clock." },
      ],
      "no-restricted-syntax": ["error", { selector: "NewExpression[callee.name='Date']", message: "Use the virtual clock." }],
    },
  },
  {
    files: ["**/*.{js,mjs}"],
    languageOptions: { globals: { ...globals.node } },
  },
  // Last, so formatting is Prettier's alone: it turns off every stylistic rule above.
  eslintConfigPrettier,
);
