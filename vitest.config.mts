import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// NestJS and MikroORM read decorator metadata (design:type, design:paramtypes), which esbuild
// does not emit; SWC does, so tests are compiled with it.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    // NestJS requires graphql's CommonJS build; tests must use the same instance, not the .mjs
    // one Vite would pick, or graphql refuses types "from another module or realm".
    alias: [{ find: /^graphql$/, replacement: fileURLToPath(import.meta.resolve('graphql')) }],
  },
  test: {
    include: ['test/**/*.spec.ts'],
    // The Temporal worker's native core and the real servers each test file starts are safest
    // in separate processes; two at a time matches this project's two-core machines.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/reporters/closing-line.mts'],
  },
});
