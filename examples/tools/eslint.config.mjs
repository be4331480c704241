// ESLint flat config for the vulnshop example (used by examples/regenerate.sh).
// regenerate.sh copies this file next to the pinned node_modules and runs
// ESLint from the scanned tree with --config pointing at the copy.
import noUnsanitized from "eslint-plugin-no-unsanitized";
import security from "eslint-plugin-security";

export default [
  {
    files: ["**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: {
        window: "readonly",
        document: "readonly",
        localStorage: "readonly",
        setTimeout: "readonly",
        setInterval: "readonly",
      },
    },
    plugins: {
      "no-unsanitized": noUnsanitized,
      security,
    },
    rules: {
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "no-script-url": "error",
      "no-unsanitized/method": "error",
      "no-unsanitized/property": "error",
      "security/detect-eval-with-expression": "warn",
      "security/detect-non-literal-regexp": "warn",
      "security/detect-unsafe-regex": "warn",
      "security/detect-pseudoRandomBytes": "warn",
    },
  },
];
