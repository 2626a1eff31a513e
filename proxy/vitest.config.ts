import { defineConfig } from "vitest/config";

// "source" resolves sibling workspace packages to their TypeScript sources, so tests never need a prior build.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
  test: { testTimeout: 60_000, hookTimeout: 120_000 },
});
