import { defineConfig } from 'vitest/config';

/**
 * Fault injection against private instances of the real services (`npm run test:faults`, a phase
 * of .ci/run; not part of `npm test`). Each file starts its own PostgreSQL, Redis or Mosquitto on a
 * free port (services.ts) and the real server process (server.ts), then breaks something.
 */
export default defineConfig({
  test: {
    root: new URL('../../../..', import.meta.url).pathname,
    include: ['apps/server/test/faults/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One at a time: they time answers and kill processes, and the machine has two cores.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['verbose'],
  },
});
