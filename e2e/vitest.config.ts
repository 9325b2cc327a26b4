import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/** @imsop/sdk from its TypeScript source (the `source` export condition; see ../vitest.config.ts). */
const conditions = ['source', ...defaultServerConditions];

/**
 * End-to-end journeys: the built console in Debian's Chromium (playwright-core) against a real
 * server started once for the run (support/global-setup.ts). `npm run test:e2e`.
 */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['e2e/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // One server, one browser at a time: journeys run in order, files one after another.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['verbose'],
  },
});
