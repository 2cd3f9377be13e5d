import { defineConfig } from 'vitest/config';

// `npm run test:gpu`: the CUDA comparisons (test/gpu) and every engine test, which runs on each backend
// of engine.backends() (so on CUDA too where it is usable). Skips with a message without a device.
export default defineConfig({
  test: {
    include: ['test/gpu/**/*.test.ts', 'test/engine/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
