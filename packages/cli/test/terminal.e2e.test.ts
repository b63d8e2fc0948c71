/**
 * The REPL on real terminals of different sizes (tmux): word wrapping at 60, 80 and 200 columns
 * with resizes in the middle (screens compared as text with the files in screens/), bracketed
 * paste of 3 and 300 lines, thinking collapsed and expanded, the stall notice, /permissions,
 * --plain, a config typo at start-up, the status line with a budget, and `mixtape run` cancelled
 * with Ctrl+C (exit 130).
 * Against the fake Anthropic server of @mixtape/testing on 127.0.0.1.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeServer } from '@mixtape/testing';
import { hasTmux, lastUserText, startAgainst, type TmuxSession, tempProject } from './helpers.js';
import { useFakeAnthropicRepl } from './repl-harness.js';

/** A journey through the REPL (several start-ups of the CLI from source on a busy machine). */
const E2E_TIMEOUT_MS = 180_000;

let server: FakeServer;
const sessions: TmuxSession[] = [];

useFakeAnthropicRepl(sessions, (s) => (server = s));

function start(project: string, args: string[] = [], options: { width?: number; env?: Record<string, string> } = {}): TmuxSession {
  return startAgainst(server, sessions, project, args, options);
}

/** The screen lines (without scrollback joins) from the line containing `from` up to the status line. */
function answerRegion(screen: string, from: string): string {
  const lines = screen.split('\n');
  const start = lines.findLastIndex((l) => l.includes(from));
  const end = lines.findIndex((l, i) => i > start && /^context \S+ \/ \S+ \(\d+%\)/.test(l));
  return lines
    .slice(start + 1, end)
    .map((l) => l.trimEnd())
    .join('\n');
}

const ANSWER = [
  'Here is what I found in this project: the configuration lives in mixtape.config.json and the sessions in .mixtape/sessions.db, next to the grants.',
  '',
  '- The first item of the list is long enough to need a second line at sixty columns, and its words stay whole.',
  '- A second item mentions supercalifragilisticexpialidocious-and-a-very-long-identifier-name that cannot fit.',
  '',
  'The end.',
].join('\n');

describe.skipIf(!hasTmux())('mixtape on terminals of different sizes', () => {
  it(
    'word-wraps answers, lists and the status line at 80, 60 and 200 columns, following resizes',
    { timeout: E2E_TIMEOUT_MS },
    async () => {
      const project = tempProject();
      server.script.text(ANSWER).text(ANSWER).text(ANSWER);
      const cli = start(project, [], { width: 80, env: { NO_COLOR: '1' } });
      await cli.waitFor('New session');

      const regions: Record<number, string> = {};
      for (const [width, prompt] of [
        [80, 'first at eighty'],
        [60, 'then at sixty'],
        [200, 'then at two hundred'],
      ] as const) {
        if (width !== 80) await cli.resizeTo(width);
        const mark = cli.mark();
        cli.line(prompt);
        const screen = await cli.waitFor(/The end\.\n+context .*\n/, { after: mark });
        regions[width] = answerRegion(screen, `❯ ${prompt}`);
        // Lines the terminal had to wrap itself would be joined back (capture-pane -J) and be longer.
        for (const line of regions[width].split('\n')) expect(line.length).toBeLessThanOrEqual(width);
        // The status line and everything else printed for this answer fit too.
        for (const line of cli.screen().slice(mark).split('\n')) expect(line.length).toBeLessThanOrEqual(width);
      }
      await expect(regions[80]).toMatchFileSnapshot('screens/answer-80.txt');
      await expect(regions[60]).toMatchFileSnapshot('screens/answer-60.txt');
      await expect(regions[200]).toMatchFileSnapshot('screens/answer-200.txt');
      // Words are never cut at the line end (only a word longer than the line is).
      for (const region of [regions[60]!, regions[80]!]) {
        const words = region.split(/\s+/).filter(Boolean);
        for (const w of words) expect(ANSWER.includes(w.replace(/^[-*•]$/, ''))).toBe(true);
      }
      cli.keys('C-d');
      expect(await cli.waitForExit()).toBe(0);
    },
  );

  it('keeps a paste of 3 and of 300 lines whole, as an editable [pasted N lines] chip', { timeout: E2E_TIMEOUT_MS }, async () => {
    const project = tempProject();
    server.script.text('Got three.').text('Got three hundred.').text('Got the edited one.');
    const cli = start(project);
    await cli.waitFor('❯');

    cli.type('Summarise: ');
    cli.paste('alpha line\nbeta line\ngamma line\n');
    await cli.waitFor('❯ Summarise: [pasted 3 lines]');
    cli.keys('Enter');
    await cli.waitFor(/Got three\.\n.*context.*\n❯/);
    expect(lastUserText(server)).toBe('Summarise: alpha line\nbeta line\ngamma line');

    const many = Array.from({ length: 300 }, (_, i) => `row ${i + 1}`).join('\n');
    let mark = cli.mark();
    cli.paste(many);
    await cli.waitFor('❯ [pasted 300 lines]', { after: mark });
    expect(cli.screen().slice(mark)).not.toContain('row 2');
    cli.keys('Enter');
    await cli.waitFor(/Got three hundred\.\n.*context.*\n❯/, { after: mark });
    expect(lastUserText(server)).toBe(many);

    // Editable: Backspace removes the whole chip; Tab opens a chip's text for editing.
    mark = cli.mark();
    cli.paste('one\ntwo\n');
    await cli.waitFor('❯ [pasted 2 lines]', { after: mark });
    cli.keys('BSpace');
    await cli.waitFor(/❯ *\n*$/, { after: mark });
    cli.paste('first\nsecond\n');
    await cli.waitFor(/❯ \[pasted 2 lines\] *\n*$/, { after: mark });
    cli.keys('Tab');
    cli.type(' (edited)');
    cli.keys('Enter');
    await cli.waitFor('Got the edited one.', { after: mark });
    expect(lastUserText(server)).toBe('first\nsecond (edited)');
    cli.keys('C-d');
    expect(await cli.waitForExit()).toBe(0);
  });

  it(
    'shows thinking collapsed (Ctrl+O expands it), and a stall notice when the model goes quiet',
    { timeout: E2E_TIMEOUT_MS },
    async () => {
      const project = tempProject();
      server.script
        .thinking('The user greets me.\nI should answer briefly.\nSECRET-REASONING-LINE', 'sig-1')
        .text('Hello there.')
        .text('This answer starts and then goes quiet', { fault: { kind: 'stall', afterEvents: 6 } })
        .text('Got the paste.');
      const cli = start(project);
      await cli.waitFor('❯');
      cli.line('hi');
      let screen = await cli.waitFor(/Hello there\.\n+context/);
      expect(screen).toMatch(/∴ Thought for \d+s \(3 lines\) · Ctrl\+O to expand/);
      expect(screen).not.toContain('SECRET-REASONING-LINE');
      cli.keys('C-o');
      screen = await cli.waitFor('SECRET-REASONING-LINE');
      expect(screen).toContain('I should answer briefly.');

      const mark = cli.mark();
      cli.line('tell me more');
      await cli.waitFor('This answer starts', { after: mark });
      await cli.waitFor(/no output from the model for \d+s/, { after: mark });
      // A paste while the answer runs is kept whole for the next prompt.
      cli.paste('p1\np2\np3\n');
      cli.keys('C-c');
      await cli.waitFor('Cancelled', { after: mark });
      await cli.waitFor(/❯ \[pasted 3 lines\] *\n*$/, { after: mark });
      cli.keys('Enter');
      await cli.waitFor('Got the paste.', { after: mark });
      expect(lastUserText(server)).toBe('p1\np2\np3');
      cli.keys('C-d');
      expect(await cli.waitForExit()).toBe(0);
    },
  );

  it('/permissions lists saved grants, revokes one, and shows the audit log of the session', { timeout: E2E_TIMEOUT_MS }, async () => {
    const project = tempProject();
    server.script
      .toolUse('write_file', { path: 'a.txt', content: 'one' })
      .text('Wrote a.txt.')
      .toolUse('write_file', { path: 'a.txt', content: 'two' })
      .text('Wrote it again.');
    const cli = start(project);
    await cli.waitFor('❯');
    cli.line('write a');
    await cli.waitFor('Allow write_file');
    cli.type('a');
    await cli.waitFor(/Wrote a\.txt\.\n+context/);

    cli.line('/permissions');
    let screen = await cli.waitFor('/permissions log shows');
    const id = /([0-9a-f]{8}) {2}allow write_file — this project/.exec(screen)?.[1];
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(screen).toContain('read_file');

    cli.line('/permissions log');
    screen = await cli.waitFor(/Audit log of session [0-9a-f]{8}/);
    expect(screen).toMatch(/write_file {2}asked by policy/);
    expect(screen).toMatch(/write_file {2}allowed \(project\) by user/);

    cli.line(`/permissions revoke ${id}`);
    await cli.waitFor(`Revoked ${id}`);
    // Revoked: the next write asks again.
    const mark = cli.mark();
    cli.line('write a again');
    await cli.waitFor('Allow write_file', { after: mark });
    cli.type('y');
    await cli.waitFor('Wrote it again.', { after: mark });
    cli.keys('C-d');
    expect(await cli.waitForExit()).toBe(0);
  });

  it('--plain: no colour, no spinner, words instead of symbols, one line at a time', { timeout: E2E_TIMEOUT_MS }, async () => {
    const project = tempProject();
    writeFileSync(path.join(project, 'a.txt'), 'a');
    server.script
      .toolUse('list_directory', { path: '.' })
      .text('There is **one** file.')
      .toolUse('write_file', { path: 'b.txt', content: 'b' })
      .text('Wrote b.txt.');
    const cli = start(project, ['--plain']);
    await cli.waitFor('New session');
    cli.line('list');
    const screen = await cli.waitFor(/context .*, .* in, .* out/);
    expect(screen).toContain('Tool: list_directory(');
    expect(screen).toContain('Result: ');
    expect(screen).toContain('There is **one** file.');
    expect(screen).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏●└❯]/);
    expect(cli.screen({ escapes: true })).not.toMatch(/\u001b\[(3\d|9\d|1)m/);
    // An approval question, spelt out.
    const mark = cli.mark();
    cli.line('write b');
    await cli.waitFor('Question: Allow write_file(', { after: mark });
    await cli.waitFor('Press y for yes once', { after: mark });
    cli.type('y');
    await cli.waitFor('Wrote b.txt.', { after: mark });
    expect(cli.screen().slice(mark)).toContain('Allowed: write_file: allowed once');
    cli.keys('C-d');
    expect(await cli.waitForExit()).toBe(0);
  });

  it('names a config typo at start-up and keeps the rest of the config', { timeout: E2E_TIMEOUT_MS }, async () => {
    const project = tempProject();
    writeFileSync(path.join(project, 'mixtape.config.json'), JSON.stringify({ tools: ['filesystem', 'fetchh'] }));
    const cli = start(project);
    // The prompt comes at once; the warning is printed above it as soon as the config is read.
    await cli.waitFor(/fetchh[\s\S]*❯/);
    // (The visible rows: tmux keeps a copy of the first prompt row in its scrollback when it is cleared at the origin.)
    const screen = cli.visible();
    expect(screen.replace(/\n {2}/g, ' ')).toContain("mixtape.config.json: tools[1]: unknown tool group 'fetchh' (did you mean 'fetch'?)");
    expect(screen.indexOf('fetchh')).toBeLessThan(screen.indexOf('❯'));
    cli.line('/tools');
    await cli.waitFor(/read_file.*runs without asking/);
    cli.keys('C-d');
    expect(await cli.waitForExit()).toBe(0);
  });

  it('with a budget, the status line shows spent / limit (REPL and `mixtape run`)', { timeout: E2E_TIMEOUT_MS }, async () => {
    const project = tempProject();
    writeFileSync(path.join(project, 'mixtape.config.json'), JSON.stringify({ budget: { run: { maxTokens: 50_000 } } }));
    server.script.text('Within budget.').text('Still within budget.');
    const repl = start(project, ['--max-cost', '5'], { env: { NO_COLOR: '1' } });
    await repl.waitFor('❯');
    repl.line('hello');
    const screen = await repl.waitFor(/Within budget\.[\s\S]*\$\d+\.\d{4} \/ \$5\.0000/);
    expect(screen.replace(/\n {2}/g, ' ')).toMatch(/\$\d+\.\d{4} \/ \$5\.0000 · [\d.]+k? \/ 50k tokens/);
    repl.keys('C-d');
    expect(await repl.waitForExit()).toBe(0);

    const run = start(project, ['run', '--max-cost', '2', 'again'], { env: { NO_COLOR: '1' } });
    await run.waitFor(/Still within budget\.[\s\S]*\$\d+\.\d{4} \/ \$2\.0000/);
    expect(await run.waitForExit()).toBe(0);
  });

  it('`mixtape run` cancelled with Ctrl+C exits with 130', { timeout: E2E_TIMEOUT_MS }, async () => {
    const project = tempProject();
    server.script.text('A long answer that stalls', { fault: { kind: 'stall', afterEvents: 6 } });
    const cli = start(project, ['run', 'tell me a story']);
    await cli.waitFor('A long answer');
    cli.keys('C-c');
    expect(await cli.waitForExit()).toBe(130);
  });
});
