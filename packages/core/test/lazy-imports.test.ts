import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const coreIndex = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const testingIndex = fileURLToPath(new URL('../src/testing/index.ts', import.meta.url));

/** CommonJS dependencies that `import '@mixtape/core'` must not load before they are used. */
const LAZY = ['@opentelemetry/api', 'picomatch', 'shell-quote', 'partial-json'];

/**
 * Runs `steps` in a fresh Node process (core from source) and returns, after each step, which of
 * {@link LAZY} are in the CommonJS module cache (where Node puts a CommonJS package that an ES
 * module imports, as well as a required one).
 */
function loadedAfter(steps: string[]): string[][] {
  const code = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const lazy = ${JSON.stringify(LAZY)};
    const loaded = () => lazy.filter((name) => Object.keys(require.cache).some((f) => f.includes('/node_modules/' + name + '/')));
    const out = [];
    const core = await import(${JSON.stringify(coreIndex)});
    const testing = await import(${JSON.stringify(testingIndex)});
    out.push(loaded());
    ${steps.map((s) => `${s}\n    out.push(loaded());`).join('\n    ')}
    process.stdout.write(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as string[][];
}

describe('import cost', () => {
  it('loads OpenTelemetry, glob matching, shell parsing and partial JSON only when they are used', () => {
    const [atImport, afterConstruct, afterRun, afterGrantMatch] = loadedAfter([
      `const agent = new core.Agent({ model: new testing.ScriptedModel().text('{"answer": "long enough to be parsed while it streams"}') });`,
      `await agent.run('hi', { output: { type: 'object', properties: { answer: { type: 'string' } } } });`,
      `core.toolMatches('read_*', 'read_file');`,
    ]);
    expect(atImport).toEqual([]);
    expect(afterConstruct).toEqual([]);
    // The first run's first event creates the agent's telemetry; streaming structured output parses partial JSON.
    expect(afterRun).toEqual(['@opentelemetry/api', 'partial-json']);
    expect(afterGrantMatch).toEqual(['@opentelemetry/api', 'picomatch', 'partial-json']);
  });
});
