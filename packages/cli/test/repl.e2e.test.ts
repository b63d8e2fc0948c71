/**
 * The REPL as a person uses it: in a real pseudo-terminal (tmux), against the fake Anthropic
 * server of @mixtape/testing on 127.0.0.1.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeServer } from '@mixtape/testing';
import { cleanEnv, hasTmux, lastUserText, startAgainst, TmuxSession, tempProject } from './helpers.js';
import { useFakeAnthropicRepl } from './repl-harness.js';

/** A whole journey through the REPL (several start-ups of the CLI from source on a busy machine). */
const E2E_TIMEOUT_MS = 180_000;

let server: FakeServer;
const sessions: TmuxSession[] = [];

useFakeAnthropicRepl(sessions, (s) => (server = s));

function start(project: string, args: string[] = [], extraEnv: Record<string, string> = {}): TmuxSession {
  return startAgainst(server, sessions, project, args, { env: extraEnv });
}

describe.skipIf(!hasTmux())('mixtape REPL in a terminal', () => {
  it(
    'streams an answer, asks before a tool runs, cancels a turn with Ctrl+C, exits and resumes the session',
    { timeout: E2E_TIMEOUT_MS },
    async () => {
      const project = tempProject();
      server.script
        .text('Hello **Ada**! Here is a list:\n\n- first item\n- second item\n\n```js\nconst answer = 42;\n```')
        .toolUse('write_file', { path: 'note.txt', content: 'from the agent' }, { text: 'I will save a note.' })
        .text('Saved the note.')
        .text('This answer stalls after a few words and never ends', { fault: { kind: 'stall', afterEvents: 6 } })
        .text('Back after the cancel.');

      let cli = start(project);
      let screen = await cli.waitFor('New session');
      const sessionId = /New session ([0-9a-f]{8})/.exec(screen)![1]!;
      await cli.waitFor('❯');

      // 1. A prompt; the answer is rendered as Markdown (no ** markers, a bullet list) with a status line.
      cli.line('My name is Ada');
      screen = await cli.waitFor(/context .* · .* in · .* out/);
      expect(screen).toContain('Hello Ada! Here is a list:');
      expect(screen).not.toContain('**Ada**');
      expect(screen).toMatch(/\* first item|• first item|- first item/);
      expect(screen).toContain('const answer = 42;');
      expect(lastUserText(server)).toBe('My name is Ada');

      // 2. A tool without a grant: the call is shown, the person is asked, 'y' runs it once.
      let mark = cli.screen().length;
      cli.line('Save a note');
      screen = await cli.waitFor('Allow write_file', { after: mark });
      expect(screen.slice(mark)).toContain('● write_file(');
      expect(screen.slice(mark)).toContain('note.txt');
      expect(existsSync(path.join(project, 'note.txt'))).toBe(false);
      cli.type('y');
      screen = await cli.waitFor('Saved the note.', { after: mark });
      expect(readFileSync(path.join(project, 'note.txt'), 'utf8')).toBe('from the agent');
      const after = screen.slice(mark);
      expect(after).toContain('write_file: allowed once');
      // The question was replaced in place by the answer.
      expect(after).not.toContain('y yes, once');

      // 3. Ctrl+C cancels a turn that is streaming; the prompt comes back and the session stays usable.
      mark = cli.screen().length;
      cli.line('Tell me a long story');
      await cli.waitFor('This answer stalls', { after: mark });
      cli.keys('C-c');
      await cli.waitFor('Cancelled', { after: mark });
      mark = cli.screen().length;
      cli.line('Are you still there?');
      await cli.waitFor('Back after the cancel.', { after: mark });
      // The history sent to the model is valid and holds the earlier turns.
      const messages = (server.requests.at(-1)!.body as { messages: unknown[] }).messages;
      expect(JSON.stringify(messages)).toContain('My name is Ada');
      expect(JSON.stringify(messages)).toContain('This answer stalls');

      // 4. /exit leaves with status 0.
      cli.line('/exit');
      await cli.waitFor('Goodbye');
      expect(await cli.waitForExit()).toBe(0);

      // 5. Starting again in the same folder resumes the session and says how big it is.
      cli = start(project);
      screen = await cli.waitFor('Resumed session');
      expect(screen).toMatch(new RegExp(`Resumed session ${sessionId}: \\d+ messages, context ~[\\d.]+k? / 200k`));
      // History survives across runs: Up recalls the last prompt.
      await cli.waitFor('❯');
      cli.keys('Up');
      await cli.waitFor('❯ /exit');
      cli.keys('C-u');
      cli.line('/history 3');
      await cli.waitFor('Back after the cancel.', { after: cli.screen().indexOf('Resumed session') });
      cli.keys('C-d');
      expect(await cli.waitForExit()).toBe(0);
    },
  );

  it('runs slash commands, shell commands and multi-line input; two Ctrl+C exit', { timeout: E2E_TIMEOUT_MS }, async () => {
    const project = tempProject();
    server.script.text('First answer.').text('Got two lines.');
    const cli = start(project);
    await cli.waitFor('❯');

    cli.line('/help');
    await cli.waitFor('/resume <id>');
    cli.line('/tools');
    await cli.waitFor(/read_file.*runs without asking/);

    cli.line('hello');
    await cli.waitFor(/First answer\.\n.*context .* · .* in/);
    cli.line('/rename Greeting');
    await cli.waitFor('is now "Greeting"');
    cli.line('/session');
    await cli.waitFor(/title\s+Greeting/);
    cli.line('/fork');
    let screen = await cli.waitFor(/Forked session ([0-9a-f]{8}) into ([0-9a-f]{8})/);
    const [, original, fork] = /Forked session ([0-9a-f]{8}) into ([0-9a-f]{8})/.exec(screen)!;
    cli.line('/sessions');
    screen = await cli.waitFor('/resume <id> switches');
    expect(screen).toContain(original!);
    expect(screen).toContain(fork!);
    cli.line(`/resume ${original}`);
    await cli.waitFor(`Resumed session ${original} "Greeting": 2 messages`);

    // A trailing backslash continues the prompt on the next line.
    cli.line('line one \\');
    await cli.waitFor('…');
    cli.line('line two');
    await cli.waitFor(/Got two lines\.\n.*context .* · .* in/);
    expect(lastUserText(server)).toBe('line one \nline two');

    cli.line('!echo shell-says-$((6*7))');
    await cli.waitFor('shell-says-42');

    cli.line('/clear');
    await cli.waitFor('cleared');
    cli.line('/history');
    await cli.waitFor('No conversation history yet.');
    cli.line('/nope');
    await cli.waitFor('Unknown command: /nope');

    // Ctrl+R searches the history.
    cli.keys('C-r');
    cli.type('hello');
    await cli.waitFor("(search 'hello') hello");
    cli.keys('C-g');
    // Ctrl+G leaves the search and restores the empty line.
    await cli.waitFor(/^(?![\s\S]*\(search)[\s\S]*❯ *\n*$/);

    cli.keys('C-c');
    await cli.waitFor('Ctrl+C again to exit');
    cli.keys('C-c');
    expect(await cli.waitForExit()).toBe(0);
  });

  it("remembers 'a' (always) for the project across runs, and 't' for the session", { timeout: E2E_TIMEOUT_MS }, async () => {
    const project = tempProject();
    server.script
      .toolUse('write_file', { path: 'a.txt', content: 'one' })
      .text('Wrote a.txt.')
      .toolUse('start_process', { command: 'echo hi' })
      .text('Started.')
      .toolUse('start_process', { command: 'echo again' })
      .text('Started again.');
    let cli = start(project);
    await cli.waitFor('❯');
    cli.line('write a');
    await cli.waitFor('Allow write_file');
    cli.type('a');
    await cli.waitFor(/Wrote a\.txt\.\n.*context/);
    expect(cli.screen()).toContain('always allowed write_file in this project');
    // 't': the whole tool for this session: the second call is not asked about.
    cli.line('start one');
    await cli.waitFor('Allow start_process');
    cli.type('t');
    await cli.waitFor(/Started\.\n.*context/);
    let mark = cli.screen().length;
    cli.line('start another');
    await cli.waitFor(/Started again\.\n.*context/, { after: mark });
    expect(cli.screen().slice(mark)).not.toContain('Allow start_process');
    cli.line('/exit');
    expect(await cli.waitForExit()).toBe(0);

    // A new run in the same folder: write_file is still allowed (saved in .mixtape/grants.db).
    server.script.toolUse('write_file', { path: 'a.txt', content: 'two' }).text('Rewrote a.txt.');
    cli = start(project);
    await cli.waitFor('❯');
    mark = cli.screen().length;
    cli.line('write a again');
    await cli.waitFor('Rewrote a.txt.', { after: mark });
    expect(cli.screen().slice(mark)).not.toContain('Allow write_file');
    expect(readFileSync(path.join(project, 'a.txt'), 'utf8')).toBe('two');
    expect(existsSync(path.join(project, '.mixtape/grants.db'))).toBe(true);
    cli.keys('C-d');
    expect(await cli.waitForExit()).toBe(0);
  });

  it('replays a cassette with no account: a trusted tool, an approval, Markdown', { timeout: E2E_TIMEOUT_MS }, async () => {
    const project = tempProject();
    const cassette = path.resolve(import.meta.dirname, '../../../examples/cassettes/tour.cassette.json');
    const cli = TmuxSession.start(['--replay', cassette], { cwd: project, env: cleanEnv({}, project) });
    sessions.push(cli);
    await cli.waitFor('Replaying a recorded conversation');
    await cli.waitFor('❯');
    cli.line('Show me around');
    let screen = await cli.waitFor('Allow write_file');
    expect(screen).toContain('● list_directory(');
    cli.type('n');
    await cli.waitFor('Reason for the model');
    cli.line('not today');
    screen = await cli.waitFor(/context .* · .* in · .* out/);
    expect(screen).toContain('write_file: denied: not today');
    expect(existsSync(path.join(project, '.mixtape/tour.md'))).toBe(false);
    expect(screen).toMatch(/\/session\s+.*the current session/);
    cli.line('/exit');
    expect(await cli.waitForExit()).toBe(0);
  });
});
