// The linter for the console's JavaScript: `make lint` runs it (scripts/lint-js). Flat config.
// The console's scripts are ES modules loaded by the browser as they are (no build step).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/", ".venv/", "build/", "dist/", "var/", "agent_console/**/vendor/"] },
  js.configs.recommended,
  {
    files: ["agent_console/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
      "no-var": "error",
      "prefer-const": "error",
      "no-shadow": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
  {
    // The phone simulator (a development tool) is a classic script.
    files: ["hotline/simulator/static/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser },
    },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
