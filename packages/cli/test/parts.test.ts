/**
 * Small parts of the CLI, in process: word wrapping, paste chips, the cost format, config checks
 * entry by entry, tool group names, advice texts, the AWS region lookup, shipped cassettes.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  awsRegion,
  budgetMessage,
  budgetsOf,
  checkConfig,
  exitCodeFor,
  messageFor,
  parseMaxCost,
  sandboxSetting,
  createMarkdownRenderer,
  formatCost,
  KNOWN_TOOL_GROUPS,
  PasteChips,
  PasteCollector,
  providerMessage,
  resolveCassette,
  shippedCassettes,
  statusLine,
  strayArgumentsError,
  wrapText,
} from '@mixtape/cli';
import { tempProject } from './helpers.js';

describe('wrapText', () => {
  it('breaks between words, hangs list items and tool lines under their text, cuts only words longer than the line', () => {
    expect(wrapText('one two three four five six seven eight nine ten eleven', 20)).toBe(
      'one two three four\nfive six seven eight\nnine ten eleven',
    );
    expect(wrapText('  - an item that is long enough to wrap twice over here', 24)).toBe(
      '  - an item that is long\n    enough to wrap twice\n    over here',
    );
    expect(wrapText('  └ a result line that wraps', 20)).toBe('  └ a result line\n    that wraps');
    expect(wrapText('x '.repeat(3) + 'a'.repeat(30), 20)).toBe('x x x\n' + 'a'.repeat(20) + '\n' + 'a'.repeat(10));
    // Colour codes do not count as width and survive.
    const red = '\u001b[31mred words here\u001b[39m and more words';
    expect(wrapText(red, 20).replace(/\u001b\[\d+m/g, '')).toBe('red words here and\nmore words');
    // Table rows are left alone.
    const row = '│ a very long cell of a table that is wider than the terminal │';
    expect(wrapText(row, 20)).toBe(row);
  });
});

describe('tables on a narrow terminal', () => {
  it('drawn as a grid when they fit, row by row ("header: cell") when they do not', async () => {
    const table =
      '| Command | What it does |\n|---|---|\n| `/session` | the current session and all of its details |\n| `/history` | the last messages |';
    const wide = await createMarkdownRenderer({ width: 100, colors: false });
    expect(wide(table)).toContain('│ /session │');
    const narrow = await createMarkdownRenderer({ width: 40, colors: false });
    expect(narrow(table)).toBe(
      '- Command: /session · What it does: the\n  current session and all of its details\n- Command: /history · What it does: the\n  last messages',
    );
  });
});

describe('paste chips', () => {
  it('collects a bracketed paste (CR LF or CR line ends) into one text', () => {
    const c = new PasteCollector();
    expect(c.key(undefined, 'paste-start')).toBe('start');
    for (const ch of 'a\r\nb\rc') c.key(ch, ch === '\r' ? 'return' : ch === '\n' ? 'enter' : ch);
    expect(c.key(undefined, 'paste-end')).toEqual({ text: 'a\nb\nc' });
    expect(c.key('x', 'x')).toBeUndefined();
  });

  it('stands for several lines, numbers chips of the same size, and expands them on send', () => {
    const chips = new PasteChips();
    expect(chips.add('one line')).toBeUndefined();
    const a = chips.add('1\n2\n3\n')!;
    const b = chips.add('x\ny\nz')!;
    expect(a).toBe('[pasted 3 lines]');
    expect(b).toBe('[pasted 3 lines #2]');
    const line = `look: ${a} and ${b}`;
    expect(chips.expand(line)).toBe('look: 1\n2\n3 and x\ny\nz');
    expect(chips.chipEndingAt(line, line.length)?.label).toBe(b);
    chips.remove(b);
    expect(chips.expand(line)).toBe(`look: 1\n2\n3 and ${b}`);
  });
});

describe('one cost format', () => {
  it('shows every cost with four decimals', () => {
    expect(formatCost(0)).toBe('$0.0000');
    expect(formatCost(0.01)).toBe('$0.0100');
    expect(formatCost(0.01011)).toBe('$0.0101');
    expect(formatCost(12.3)).toBe('$12.3000');
    const line = statusLine({
      context: { contextTokens: 10, maxContextTokens: 100, usagePercentage: 0.1, totalMessages: 1, contextMessages: 1 },
      costUsd: 0.0000042,
    });
    expect(line).toContain('$0.0000');
  });

  it('shows spent / limit when the run has a budget', () => {
    const context = { contextTokens: 10, maxContextTokens: 100, usagePercentage: 0.1, totalMessages: 1, contextMessages: 1 };
    const usage = { inputTokens: 1200, outputTokens: 300 };
    expect(statusLine({ context, usage, costUsd: 0.0123, budget: { maxCostUsd: 0.5 } })).toContain('$0.0123 / $0.5000');
    const tokens = statusLine({ context, usage, budget: { maxTokens: 20_000 } });
    expect(tokens).toContain('1.5k / 20k tokens');
    expect(tokens).not.toContain('$');
    // Without a budget: the cost alone.
    expect(statusLine({ context, usage, costUsd: 0.0123 })).not.toContain(' / $');
  });
});

describe('budgets', () => {
  it('--max-cost overrides budget.run.maxCostUsd and keeps the other limits; nothing set is no budget', () => {
    expect(budgetsOf(undefined, undefined)).toBeUndefined();
    expect(budgetsOf({}, undefined)).toBeUndefined();
    expect(budgetsOf(undefined, 0.5)).toEqual({ run: { maxCostUsd: 0.5 } });
    expect(budgetsOf({ run: { maxCostUsd: 2, maxTokens: 1000 }, session: { maxCostUsd: 10 } }, 0.5)).toEqual({
      run: { maxCostUsd: 0.5, maxTokens: 1000 },
      session: { maxCostUsd: 10 },
    });
  });

  it('checks --max-cost and the config values: positive numbers, the bad entry named', () => {
    expect(parseMaxCost('0.25')).toBe(0.25);
    expect(parseMaxCost('$1')).toBe(1);
    for (const bad of ['0', '-1', 'abc', '', 'Infinity']) {
      expect(() => parseMaxCost(bad), bad).toThrow(/--max-cost .*positive number of US dollars/);
      expect(exitCodeFor(catchError(() => parseMaxCost(bad)))).toBe(2);
    }
    const { config, problems } = checkConfig({
      budget: { run: { maxCostUsd: -1 }, session: { maxTokens: 1.5 } },
      maxSteps: 3,
    });
    expect(config).toEqual({ maxSteps: 3 });
    expect(problems).toEqual([expect.stringMatching(/^budget\.run\.maxCostUsd: /), expect.stringMatching(/^budget\.session\.maxTokens: /)]);
    expect(checkConfig({ budget: { run: { maxCost: 1 } } }).problems[0]).toMatch(/^budget\.run: .*maxCost/);
    expect(checkConfig({ budget: { run: { maxCostUsd: 0.5, maxTokens: 10_000 }, session: { maxCostUsd: 5 } } }).problems).toEqual([]);
  });

  it('a budget stop names the flag and the config key to raise, not the library option', () => {
    const run =
      'The run budget of $0.0100 would be exceeded: $0.0000 spent and the next model call is estimated at $0.0300. Raise budget.run.maxCostUsd. What the run did so far is saved.';
    expect(budgetMessage(run)).toContain('Raise --max-cost, or "budget": { "run": { "maxCostUsd": … } } in mixtape.config.json.');
    const session =
      'The session budget of 100 tokens would be exceeded: 90 tokens spent and the next model call is estimated at 20 tokens. Raise budget.session.maxTokens, or start a new session.';
    expect(budgetMessage(session)).toContain(
      'Raise "budget": { "session": { "maxTokens": … } } in mixtape.config.json, or start a new session',
    );
    expect(budgetMessage(session)).not.toContain('--max-cost');
    const error = Object.assign(new Error(run), { name: 'BudgetExceededError', kind: 'budget' });
    expect(messageFor(error)).toContain('Raise --max-cost');
    expect(exitCodeFor(error)).toBe(1);
  });
});

describe('sandbox setting', () => {
  it("--sandbox turns it on; the config's options (network) apply; config values are checked", () => {
    expect(sandboxSetting(undefined, undefined)).toBeUndefined();
    expect(sandboxSetting(true, undefined)).toBe(true);
    expect(sandboxSetting(true, false)).toBe(true);
    expect(sandboxSetting(undefined, { network: true })).toEqual({ network: true });
    expect(sandboxSetting(true, { network: true })).toEqual({ network: true });
    expect(checkConfig({ sandbox: { network: true } }).problems).toEqual([]);
    expect(checkConfig({ sandbox: 'yes' }).problems).toEqual([expect.stringMatching(/^sandbox: /)]);
    expect(checkConfig({ sandbox: { netwrk: true } }).problems).toEqual([expect.stringMatching(/^sandbox/)]);
    // A SandboxUnavailableError thrown by the tools is a configuration error with CLI advice.
    const error = Object.assign(new Error('The process sandbox is not available: x'), { name: 'SandboxUnavailableError' });
    expect(exitCodeFor(error)).toBe(2);
    expect(messageFor(error)).toContain('apt-get install bubblewrap');
    expect(messageFor(error)).toContain('--sandbox');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('config checked entry by entry', () => {
  it('names each bad entry, keeps the rest, and suggests the name meant', () => {
    const { config, problems } = checkConfig({ tools: ['filesystem', 'fetchh'], systemPromt: 'x', model: 'claude-haiku-4-5', maxSteps: 0 });
    expect(config).toEqual({ tools: ['filesystem'], model: 'claude-haiku-4-5' });
    expect(problems).toEqual([
      expect.stringContaining("tools[1]: unknown tool group 'fetchh' (did you mean 'fetch'?)"),
      expect.stringContaining('systemPromt: unknown key (did you mean "systemPrompt"?)'),
      expect.stringMatching(/^maxSteps: /),
    ]);
    expect(checkConfig([1]).problems[0]).toContain('expected an object');
  });

  it('knows exactly the tool groups @mixtape/tools has', async () => {
    const tools = (await import('@mixtape/tools')) as Record<string, unknown>;
    for (const group of KNOWN_TOOL_GROUPS) {
      const name = `${group.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}Tools`;
      expect(typeof tools[name], name).toBe('function');
    }
  });
});

describe('advice', () => {
  it('replaces library advice in provider errors with variables and flags', () => {
    const text = providerMessage(
      'anthropic: no API key — check your credentials: set ANTHROPIC_API_KEY (or pass apiKey to anthropic())',
      'anthropic',
      'authentication',
    );
    expect(text).toBe('anthropic: no API key.\nCheck ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN); --provider picks another provider.');
    const region = providerMessage(
      'bedrock: no AWS region configured — set AWS_REGION (or AWS_PROFILE with a region) or pass `region` — the request was rejected; check the model id',
      'bedrock',
      'invalid_request',
    );
    expect(region).toContain('export AWS_REGION=us-east-1');
    expect(region).not.toContain('pass `region`');
    expect(region).not.toContain('check the model id');
  });

  it('points a prompt given without `run` at `mixtape run`', () => {
    expect(strayArgumentsError(['fix', 'the', 'bug'], ['run']).message).toContain('mixtape run "fix the bug"');
    expect(strayArgumentsError(['rn', 'hi'], ['run']).message).toContain('Did you mean: mixtape run hi?');
  });

  it("finds the AWS region in the environment or the profile's section of the config file", () => {
    const home = tempProject();
    const file = path.join(home, 'aws-config');
    writeFileSync(file, '[default]\nregion = eu-west-1\n\n[profile dev]\noutput = json\nregion=us-west-2\n');
    expect(awsRegion({ AWS_REGION: 'ap-south-1' })).toBe('ap-south-1');
    expect(awsRegion({ AWS_CONFIG_FILE: file })).toBe('eu-west-1');
    expect(awsRegion({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'dev' })).toBe('us-west-2');
    expect(awsRegion({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'other' })).toBeUndefined();
    expect(awsRegion({ HOME: home })).toBeUndefined();
  });
});

describe('shipped cassettes', () => {
  it("finds 'tour' by name and a file by path", () => {
    expect(shippedCassettes()).toContain('tour');
    expect(resolveCassette('tour', tempProject())).toMatch(/packages[/\\]cli[/\\]cassettes[/\\]tour\.cassette\.json$/);
    const dir = tempProject();
    writeFileSync(path.join(dir, 'tour'), '{}');
    expect(resolveCassette('tour', dir)).toBe(path.join(dir, 'tour'));
    expect(() => resolveCassette('nope', tempProject())).toThrow(/Shipped: tour/);
  });
});
