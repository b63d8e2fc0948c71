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
    // eventsource and eventsource-parser (used by the MCP SDK) publish a
    // `source` export condition pointing at .ts files: let vite transform them and the SDK.
    server: { deps: { inline: ['@modelcontextprotocol/sdk', 'eventsource', 'eventsource-parser'] } },
  },
});
