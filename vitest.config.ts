import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end tests start real processes and servers; a loaded CI machine needs headroom.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
