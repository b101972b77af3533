import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Store tests open real databases (PGlite initialisation takes ~1 s of CPU).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores on CI machines: more forks only contend for them.
    maxWorkers: 2,
  },
});
