/**
 * Failures that used to vanish: when the Markdown renderer cannot be loaded, `mixtape run` on a
 * terminal shows the answer as plain text and writes the reason to the debug log. In process,
 * with the renderer module replaced by one that fails; the model is the fake Anthropic server.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeServer, startFakeAnthropic } from '@mixtape/testing';
import { createCliAgent, DEBUG_LOG_FILE, runOnce } from '@mixtape/cli';
import type * as MarkdownModule from '../src/render/markdown.js';
import { tempProject } from './helpers.js';

vi.mock('../src/render/markdown.js', async (importOriginal) => ({
  ...(await importOriginal<typeof MarkdownModule>()),
  createMarkdownRenderer: () => Promise.reject(new Error('marked-terminal failed to load (test)')),
}));

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeAnthropic({ apiKey: 'test-key' });
});
afterAll(async () => {
  await server.close();
});

/** A stream that looks like an 80-column terminal and keeps what is written. */
function fakeTerminal(): NodeJS.WriteStream & { text: string } {
  const out = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      out.text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: string };
  out.text = '';
  Object.assign(out, { isTTY: true, columns: 80, rows: 24 });
  return out;
}

describe('the Markdown renderer fails to load', () => {
  it('mixtape run shows the answer as plain text and writes the reason to the debug log', async () => {
    const project = tempProject();
    const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: server.url, NO_COLOR: '1' };
    // The provider SDK reads its key and endpoint from the process environment.
    vi.stubEnv('ANTHROPIC_API_KEY', env.ANTHROPIC_API_KEY);
    vi.stubEnv('ANTHROPIC_BASE_URL', env.ANTHROPIC_BASE_URL);
    server.script.text('Plain **answer** here.');
    const cli = await createCliAgent({ cwd: project, env, flags: { session: { mode: 'new' } }, interactive: false });
    const stdout = fakeTerminal();
    const stderr = fakeTerminal();
    try {
      const code = await runOnce({ cli, prompt: 'hello', json: false, interactive: false, stdout, stderr, env });
      expect(code, stdout.text + stderr.text).toBe(0);
    } finally {
      await cli.close();
      vi.unstubAllEnvs();
    }
    expect(stdout.text).toContain('Plain **answer** here.');
    const log = readFileSync(path.join(project, DEBUG_LOG_FILE), 'utf8');
    expect(log).toContain('Markdown renderer unavailable, answers are shown as plain text');
    expect(log).toContain('marked-terminal failed to load (test)');
  });
});
