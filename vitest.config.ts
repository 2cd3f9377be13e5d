import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/gpu runs only through `npm run test:gpu`, on a machine with a CUDA device.
    exclude: ['test/gpu/**', 'node_modules/**'],
    testTimeout: 60_000,
    // One log line per finished trial is the library's default (util/log.ts); the suites run tens of
    // thousands of trials, so they log warnings only unless a test sets the level itself.
    env: { TUNABLE_LOG: 'warning' },
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
