/**
 * The CLI's pure parts: provider choice, config parsing, Markdown block splitting, formatting,
 * approval keys, colours.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL } from '@mixtape/core';
import { describe, expect, it } from 'vitest';
import {
  CliUsageError,
  colorEnabled,
  ConfigError,
  createMarkdownRenderer,
  describeResponse,
  formatToolInput,
  formatToolResult,
  formatTokens,
  groupExportName,
  loadConfig,
  MarkdownBlockSplitter,
  NoProviderError,
  parseConfig,
  resolveProvider,
  responseForKey,
  truncate,
} from '@mixtape/cli';
import { tempProject } from './helpers.js';

describe('resolveProvider', () => {
  it('picks the provider from the environment, in a fixed order, with the default model', () => {
    expect(resolveProvider({}, {}, { ANTHROPIC_API_KEY: 'k' })).toMatchObject({
      provider: 'anthropic',
      model: DEFAULT_MODEL.anthropicId,
      source: 'ANTHROPIC_API_KEY',
    });
    expect(resolveProvider({}, {}, { AWS_PROFILE: 'dev' })).toMatchObject({ provider: 'bedrock', model: DEFAULT_MODEL.bedrockId });
    expect(resolveProvider({}, {}, { AWS_ACCESS_KEY_ID: 'AKID', OPENAI_API_KEY: 'sk' }).provider).toBe('bedrock');
    expect(resolveProvider({}, {}, { OPENAI_API_KEY: 'sk', OPENAI_MODEL: 'gpt-4.1' })).toMatchObject({
      provider: 'openai',
      model: 'gpt-4.1',
    });
    expect(resolveProvider({}, {}, { ANTHROPIC_API_KEY: 'k', AWS_PROFILE: 'dev' }).provider).toBe('anthropic');
  });

  it('lets flags win over the config file, and the config file over the environment', () => {
    const env = { ANTHROPIC_API_KEY: 'k' };
    expect(resolveProvider({ provider: 'bedrock' }, { provider: 'openai', model: 'm' }, env)).toMatchObject({
      provider: 'bedrock',
      model: 'm',
      source: '--provider',
    });
    expect(resolveProvider({}, { provider: 'bedrock' }, env)).toMatchObject({ provider: 'bedrock', source: 'config' });
    expect(resolveProvider({ model: 'claude-haiku-4-5' }, {}, env).info?.name).toMatch(/Haiku 4.5/);
  });

  it('fails with a message listing what to set when nothing is configured', () => {
    expect(() => resolveProvider({}, {}, {})).toThrow(NoProviderError);
    try {
      resolveProvider({}, {}, { ANTHROPIC_API_KEY: '  ' });
    } catch (error) {
      expect(error).toBeInstanceOf(CliUsageError);
      expect((error as Error).message).toContain('export ANTHROPIC_API_KEY=');
      expect((error as Error).message).toContain('AWS_PROFILE');
      expect((error as Error).message).toContain('OPENAI_BASE_URL');
    }
  });

  it('asks for a model id for an OpenAI-compatible server, and rejects unknown providers', () => {
    expect(() => resolveProvider({}, {}, { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' })).toThrow(/--model/);
    expect(() => resolveProvider({ provider: 'gemini' }, {}, {})).toThrow(/Unknown provider 'gemini'/);
    expect(() => resolveProvider({}, {}, { MIXTAPE_PROVIDER: 'x' })).toThrow(/MIXTAPE_PROVIDER/);
  });

  it('never defaults to a model near its end of life', () => {
    const choice = resolveProvider({}, {}, { ANTHROPIC_API_KEY: 'k' });
    const eol = choice.info?.endOfLife;
    if (eol) expect(new Date(eol).getTime() - Date.now()).toBeGreaterThan(90 * 86_400_000);
  });
});

describe('loadConfig', () => {
  it('reads mixtape.config.json, and is empty without a file', async () => {
    const dir = tempProject();
    const empty = await loadConfig(dir);
    expect(empty).toMatchObject({ config: {}, problems: [] });
    expect(empty.file).toBeUndefined();
    writeFileSync(
      path.join(dir, 'mixtape.config.json'),
      JSON.stringify({ systemPrompt: 'Hi', tools: ['filesystem'], permissions: { trustedTools: ['search'] } }),
    );
    const loaded = await loadConfig(dir);
    expect(loaded.file).toBe(path.join(dir, 'mixtape.config.json'));
    expect(loaded.config).toMatchObject({ systemPrompt: 'Hi', tools: ['filesystem'], permissions: { trustedTools: ['search'] } });
  });

  it('loads a JavaScript module config (default export, or a function returning the config)', async () => {
    const dir = tempProject();
    writeFileSync(path.join(dir, 'mixtape.config.mjs'), 'export default () => ({ model: "claude-sonnet-4-6", maxSteps: 7 });');
    expect((await loadConfig(dir)).config).toEqual({ model: 'claude-sonnet-4-6', maxSteps: 7 });
  });

  it('says what is wrong with a bad file', async () => {
    const dir = tempProject();
    writeFileSync(path.join(dir, 'mixtape.config.json'), '{ "model": ');
    await expect(loadConfig(dir)).rejects.toThrow(/is not valid JSON/);
    writeFileSync(
      path.join(dir, 'mixtape.config.json'),
      '{ "maxSteps": -1, "permissions": { "policy": "maybe" }, "model": "claude-haiku-4-5" }',
    );
    // Each bad entry is named and left out; the rest is kept (the REPL warns, `run` refuses: run.test.ts).
    const loaded = await loadConfig(dir);
    expect(loaded.problems.join('\n')).toContain('maxSteps');
    expect(loaded.problems.join('\n')).toContain('permissions.policy');
    expect(loaded.config).toEqual({ model: 'claude-haiku-4-5' });
    expect(loaded.problemReport()).toContain('mixtape.config.json is invalid');
    const error = (() => {
      try {
        parseConfig({ maxSteps: -1, permissions: { policy: 'maybe' } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('maxSteps');
    expect((error as Error).message).toContain('permissions.policy');
    await expect(loadConfig(dir, 'missing.json')).rejects.toThrow(/Config file not found/);
  });
});

describe('MarkdownBlockSplitter', () => {
  it('gives each block as soon as it is complete, whatever the delta boundaries', () => {
    const text =
      'Intro line\nsecond line\n\n- a\n- b\n\n```js\nconst x = 1;\n\nconst y = 2;\n```\nAfter code\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nEnd';
    const expected = [
      'Intro line\nsecond line',
      '- a\n- b',
      '```js\nconst x = 1;\n\nconst y = 2;\n```',
      'After code',
      '| a | b |\n|---|---|\n| 1 | 2 |',
      'End',
    ];
    for (const size of [1, 2, 3, 7, 1000]) {
      const splitter = new MarkdownBlockSplitter();
      const blocks: string[] = [];
      for (let i = 0; i < text.length; i += size) blocks.push(...splitter.push(text.slice(i, i + size)));
      const last = splitter.end();
      if (last) blocks.push(last);
      expect(blocks).toEqual(expected);
    }
  });

  it('keeps the block in progress pending, and closes an unterminated fence at the end', () => {
    const splitter = new MarkdownBlockSplitter();
    expect(splitter.push('Para')).toEqual([]);
    expect(splitter.pending()).toBe('Para');
    expect(splitter.push(' one\n\n~~~\ncode')).toEqual(['Para one']);
    expect(splitter.inFence).toBe(true);
    expect(splitter.end()).toBe('~~~\ncode\n~~~');
  });

  it('renders blocks for the terminal (no Markdown markers, no colours when they are off)', async () => {
    const render = await createMarkdownRenderer({ width: 60, colors: false });
    const out = render('## Title\n\nSome **bold** and `code`.\n\n- one **strong** item\n- two');
    expect(out).toContain('Some bold and code.');
    expect(out).toContain('one strong item');
    expect(out).not.toContain('**');
    expect(out).not.toContain('##');
    expect(out).not.toMatch(/\x1b\[/);
  });
});

describe('formatting', () => {
  it('truncates inputs and results to one line', () => {
    expect(truncate('a'.repeat(50), 10)).toBe('aaaaaaaaa…');
    expect(formatToolInput({ path: 'src/index.ts', limit: 10 })).toBe('path: "src/index.ts", limit: 10');
    expect(formatToolInput({ content: 'x'.repeat(500) }).length).toBeLessThanOrEqual(120);
    expect(formatToolInput({}, 100, 'read src/a.ts')).toBe('read src/a.ts');
    expect(formatToolResult('first\nsecond\nthird\n')).toBe('first (+2 lines)');
    expect(formatToolResult('  \n')).toBe('(no output)');
    expect(formatTokens(950)).toBe('950');
    expect(formatTokens(12_345)).toBe('12.3k');
    expect(formatTokens(200_000)).toBe('200k');
  });

  it('maps approval keys to responses', () => {
    expect(responseForKey('y')).toEqual({ action: 'once' });
    expect(responseForKey('E')).toEqual({ action: 'exact', scope: 'session' });
    expect(responseForKey('t')).toEqual({ action: 'tool', scope: 'session' });
    expect(responseForKey('a')).toEqual({ action: 'tool', scope: 'project' });
    expect(responseForKey('n')).toBe('deny-with-reason');
    expect(responseForKey('x')).toBeUndefined();
    expect(describeResponse('write_file', { action: 'tool', scope: 'project' })).toBe('always allowed write_file in this project');
  });

  it('uses colours only on a terminal, and never with NO_COLOR', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('names tool groups after the factories of @mixtape/tools', () => {
    expect(groupExportName('filesystem')).toBe('filesystemTools');
    expect(groupExportName('read-only-filesystem')).toBe('readOnlyFilesystemTools');
  });
});
