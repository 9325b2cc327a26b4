import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The workspace's @imsop/sdk resolves to its TypeScript source (its `source` export condition), so
 * tests need no SDK build; outside the repository the package is its built dist/.
 */
const conditions = ['source', ...defaultServerConditions];
const resolve = { conditions };
const ssr = { resolve: { conditions } };

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['apps/server/src/**/*.test.ts', 'packages/**/src/**/*.test.ts'],
          environment: 'node',
          // The property tests are CPU-bound: on a busy 2-core machine a few take more than the 5 s default.
          testTimeout: 30_000,
        },
      },
      {
        resolve,
        ssr,
        test: {
          // The web console's logic (no DOM needed: the realtime client, problem mapping, formatting).
          name: 'web',
          include: ['apps/web/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'integration',
          include: ['apps/server/test/**/*.test.ts'],
          // Fault injection runs on its own (npm run test:faults): it starts private services.
          exclude: [...configDefaults.exclude, 'apps/server/test/faults/**'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
    ],
  },
});
