import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['mixtape-source'] },
  ssr: { resolve: { conditions: ['mixtape-source'], externalConditions: ['mixtape-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts', 'reliability/**/*.test.ts'],
    globalSetup: ['./test-support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
