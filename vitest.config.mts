import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// NestJS and MikroORM read decorator metadata (design:type, design:paramtypes), which esbuild
// does not emit; SWC does, so tests are compiled with it.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['test/**/*.spec.ts'],
    // The Temporal worker's native core and the real servers each test file starts are safest
    // in separate processes; two at a time matches this project's two-core machines.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    setupFiles: ['test/setup.ts'],
  },
});
