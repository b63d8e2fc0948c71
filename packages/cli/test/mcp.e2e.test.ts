/**
 * MCP servers beyond their tools, as a person meets them in the CLI: the published
 * @modelcontextprotocol/server-everything as a real child process, the REPL in a real
 * pseudo-terminal (tmux), the model the fake Anthropic server on 127.0.0.1. Elicitation (form
 * and URL), sampling approved and refused with its cost in the status line, progress as status
 * text, roots, a prompt as a slash command, a resource attached to a message; and without a
 * terminal (`mixtape run`), requests declined with a note on stderr.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FakeServer } from '@mixtape/testing';
import { cleanEnv, hasTmux, lastUserText, repoRoot, runCli, startAgainst, WAIT_MS, type TmuxSession, tempProject } from './helpers.js';
import { useFakeAnthropicRepl } from './repl-harness.js';

/** A whole journey through the REPL with a real MCP server (slow start-ups on a busy machine). */
const E2E_TIMEOUT_MS = 240_000;
const EVERYTHING = path.join(repoRoot, 'node_modules/.bin/mcp-server-everything');

let server: FakeServer;
const sessions: TmuxSession[] = [];

useFakeAnthropicRepl(sessions, (s) => (server = s));

/** A project whose config starts server-everything (and no built-in tools). */
function everythingProject(extra: Record<string, unknown> = {}): string {
  const project = tempProject();
  writeFileSync(
    path.join(project, 'mixtape.config.json'),
    JSON.stringify({ tools: ['none'], mcpServers: { everything: { command: EVERYTHING, args: ['stdio'], ...extra } } }),
  );
  return project;
}

/** A $BROWSER that writes each URL it is asked to open to a file. */
function recordingBrowser(project: string): { command: string; opened: () => string[] } {
  const log = path.join(project, 'opened.txt');
  const command = path.join(project, 'browser.sh');
  writeFileSync(command, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${log}'\n`);
  chmodSync(command, 0o755);
  return { command, opened: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

/** Polls until `check` holds (a file another process writes), failing after the tests' wait. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The text of the tool results in the last request the fake model received. */
function lastToolResults(): string {
  const body = server.requests.at(-1)?.body as { messages: { role: string; content: unknown }[] };
  return JSON.stringify(body.messages.at(-1)?.content ?? '');
}

describe.skipIf(!hasTmux())('MCP client features in the REPL (server-everything, tmux)', () => {
  it(
    'asks the person for a form and a URL, approves and refuses sampling (its tokens in the status line), shows progress, gives the folder as root',
    { timeout: E2E_TIMEOUT_MS },
    async () => {
      const project = everythingProject();
      const browser = recordingBrowser(project);
      const usage = (inputTokens: number, outputTokens: number) => ({ usage: { inputTokens, outputTokens } });
      server.script
        .toolUse('everything_trigger-elicitation-request', {}, usage(10, 5))
        .text('Thanks for the form.', usage(10, 5))
        .toolUse('everything_trigger-elicitation-request', {})
        .text('After the cancel.')
        .toolUse('everything_trigger-url-elicitation', { url: 'https://example.org/consent', message: 'Confirm your plan on the page.' })
        .text('URL handled.')
        .toolUse('everything_trigger-sampling-request', { prompt: 'Capital of France?', maxTokens: 50 }, usage(100, 10))
        .text('Paris', usage(1000, 500))
        .text('The server heard Paris.', usage(200, 20))
        .toolUse('everything_trigger-sampling-request', { prompt: 'Capital of Spain?', maxTokens: 50 })
        .text('Refused, fine.')
        .toolUse('everything_trigger-long-running-operation', { duration: 6, steps: 3 })
        .text('Long operation done.')
        .toolUse('everything_get-roots-list', {})
        .text('Roots listed.');
      const cli = startAgainst(server, sessions, project, ['--allow', 'everything_*'], { env: { BROWSER: browser.command } });
      await cli.waitFor('New session');

      // 1. Form elicitation: field by field in the live region; Enter keeps defaults.
      let mark = cli.screen().length;
      cli.line('Fill in the form');
      await cli.waitFor("MCP server 'everything' asks: Please provide inputs", { after: mark });
      await cli.waitFor('Your full, legal name', { after: mark });
      cli.keys('Enter');
      await cli.waitFor('this field is required', { after: mark });
      cli.line('Ada Lovelace');
      await cli.waitFor('Agree to the terms', { after: mark });
      cli.line('maybe');
      await cli.waitFor('maybe: answer y or n', { after: mark });
      cli.line('y');
      // The eleven optional fields left: their defaults (or nothing).
      await cli.waitFor('Favorite first line', { after: mark });
      for (let i = 0; i < 11; i++) cli.keys('Enter');
      let screen = await cli.waitFor('Thanks for the form.', { after: mark });
      expect(screen.slice(mark)).toMatch(/answered \(\d+ of 13 fields\)/);
      const formResult = lastToolResults();
      expect(formResult).toContain('Name: Ada Lovelace');
      expect(formResult).toContain('Agreed to terms: true');
      expect(formResult).toContain('Favorite Integer: 42');

      // 1b. Ctrl+C while the form is asked cancels the run and withdraws the question: the next prompt works.
      mark = cli.screen().length;
      cli.line('Fill it in again');
      await cli.waitFor("MCP server 'everything' asks: Please provide inputs", { after: mark });
      cli.keys('C-c');
      await cli.waitFor('— cancelled', { after: mark });
      mark = cli.mark();
      cli.line('Still there?');
      await cli.waitFor('After the cancel.', { after: mark });
      expect(lastUserText(server)).toBe('Still there?');

      // 2. URL elicitation: the message and the URL are shown; nothing is opened before the person says so.
      mark = cli.screen().length;
      cli.line('Open the consent page');
      screen = await cli.waitFor("MCP server 'everything' asks you to open a page on example.org", { after: mark });
      expect(screen.slice(mark)).toContain('Confirm your plan on the page.');
      expect(screen.slice(mark)).toContain('https://example.org/consent');
      expect(browser.opened()).toEqual([]);
      cli.type('y');
      await cli.waitFor('URL handled.', { after: mark });
      expect(browser.opened()).toEqual(['https://example.org/consent']);
      expect(lastToolResults()).toContain('accept');

      // 3. Sampling, approved: the request is shown; the model's tokens count in the status line.
      mark = cli.screen().length;
      cli.line('Ask the server to sample');
      screen = await cli.waitFor("MCP server 'everything' asks to use the model", { after: mark });
      expect(screen.slice(mark)).toContain('up to 50 output tokens');
      expect(screen.slice(mark)).toContain('system: You are a helpful test server.');
      expect(screen.slice(mark)).toContain('Capital of France?');
      const before = server.requests.length;
      cli.type('y');
      await cli.waitFor('The server heard Paris.', { after: mark });
      screen = await cli.waitFor(/context .* · .* in · .* out/, { after: mark });
      expect(server.requests.length).toBe(before + 2);
      expect(lastToolResults()).toContain('Paris');
      expect(screen.slice(mark)).toMatch(/everything: sampling on .* used 1k in · 500 out · \$\d+\.\d{4}/);
      // 100 + 1000 + 200 in, 10 + 500 + 20 out: the sampling is part of this answer's cost.
      expect(screen.slice(mark)).toMatch(/1\.3k in · 530 out · \$\d+\.\d{4}/);

      // 4. Sampling, refused: the model never sees the request.
      mark = cli.screen().length;
      cli.line('Sample again');
      await cli.waitFor('Capital of Spain?', { after: mark });
      const beforeRefusal = server.requests.length;
      cli.type('n');
      screen = await cli.waitFor('Refused, fine.', { after: mark });
      expect(screen.slice(mark)).toContain('everything: sampling refused');
      expect(server.requests.length).toBe(beforeRefusal + 1);
      expect(lastToolResults()).toMatch(/refused/i);

      // 5. Progress notifications as the spinner's text while the tool runs.
      mark = cli.screen().length;
      cli.line('Run the long operation');
      await cli.waitFor(/running everything_trigger-long-running-operation: \((1|2)\/3, \d+%\)/, { after: mark });
      await cli.waitFor('Long operation done.', { after: mark });

      // 6. Roots: the server sees the working folder.
      mark = cli.screen().length;
      cli.line('Which roots?');
      await cli.waitFor('Roots listed.', { after: mark });
      expect(lastToolResults()).toContain(pathToFileURL(project).href);

      // 7. The server's log messages went to the debug log (info level: not shown).
      const log = path.join(project, '.mixtape/debug.log');
      await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('[mcp everything] info everything-server: Roots updated'));
      expect(cli.screen()).not.toContain('Roots updated');
    },
  );

  it(
    'prompts are slash commands (help, Tab completion, arguments); resources are listed and attached with /attach or @server:uri',
    { timeout: E2E_TIMEOUT_MS },
    async () => {
      const project = everythingProject();
      server.script.text('Sunny in Lyon.').text('A simple answer.').text('I read the resource.').text('Both attached.');
      const cli = startAgainst(server, sessions, project);
      await cli.waitFor('New session');

      let mark = cli.screen().length;
      cli.line('/help');
      let screen = await cli.waitFor('MCP prompts', { after: mark });
      expect(screen.slice(mark)).toContain('/everything:args-prompt city=<city> [state=<state>]');

      mark = cli.screen().length;
      cli.line('/everything:args-prompt');
      await cli.waitFor('Missing city', { after: mark });
      cli.line('/everything:args-prompt city="Lyon" state=Rhone');
      await cli.waitFor('Sunny in Lyon.', { after: mark });
      expect(lastUserText(server)).toBe("What's weather in Lyon, Rhone?");

      mark = cli.screen().length;
      cli.type('/everything:simple-p');
      cli.keys('Tab');
      await cli.waitFor('/everything:simple-prompt', { after: mark });
      cli.keys('Enter');
      await cli.waitFor('A simple answer.', { after: mark });
      expect(lastUserText(server)).toBe('This is a simple prompt without arguments.');

      mark = cli.screen().length;
      cli.line('/mcp');
      screen = await cli.waitFor('sampling: ask', { after: mark });
      expect(screen.slice(mark)).toMatch(
        /everything {2}stdio mcp-server-everything stdio\s+·\s+connected\s+·\s+\d+\s+tools\s+·\s+sampling: ask/,
      );

      mark = cli.screen().length;
      cli.line('/resources');
      screen = await cli.waitFor('/attach <server>:<uri>', { after: mark });
      expect(screen.slice(mark)).toContain('everything:demo://resource/static/document/');
      expect(screen.slice(mark)).toContain('everything:demo://resource/dynamic/text/{resourceId} (template)');

      mark = cli.screen().length;
      cli.line('Summarise @everything:demo://resource/dynamic/text/7 please');
      await cli.waitFor('I read the resource.', { after: mark });
      let system = JSON.stringify((server.requests.at(-1)!.body as { system?: unknown }).system);
      expect(system).toContain('Resource 7: This is a plaintext resource');
      expect(lastUserText(server)).toBe('Summarise @everything:demo://resource/dynamic/text/7 please');

      mark = cli.screen().length;
      cli.line('/attach everything:demo://resource/dynamic/text/8');
      await cli.waitFor('next message.', { after: mark });
      cli.line('And now with @everything:demo://resource/dynamic/text/9');
      await cli.waitFor('Both attached.', { after: mark });
      system = JSON.stringify((server.requests.at(-1)!.body as { system?: unknown }).system);
      expect(system).toContain('Resource 8:');
      expect(system).toContain('Resource 9:');
    },
  );
});

describe.skipIf(!hasTmux())('MCP questions with --plain (tmux)', () => {
  it(
    'writes the form once, in order, for a screen reader; Escape declines it; n refuses sampling',
    { timeout: E2E_TIMEOUT_MS },
    async () => {
      const project = everythingProject();
      server.script
        .toolUse('everything_trigger-elicitation-request', {})
        .text('Done with the form.')
        .toolUse('everything_trigger-sampling-request', { prompt: 'Hi?', maxTokens: 9 })
        .text('Done with sampling.');
      const cli = startAgainst(server, sessions, project, ['--plain', '--allow', 'everything_*']);
      await cli.waitFor('New session');
      let mark = cli.mark();
      cli.line('Fill in the form');
      await cli.waitFor('Your full, legal name', { after: mark });
      cli.line('Ada');
      cli.line('y');
      await cli.waitFor('Favorite first line', { after: mark });
      cli.keys('Escape');
      let screen = (await cli.waitFor('Done with the form.', { after: mark })).slice(mark);
      expect(screen.split("MCP server 'everything' asks: Please provide inputs").length).toBe(2);
      expect(screen).toContain('Allowed: String: Ada');
      expect(screen).toContain('Allowed: Boolean: yes');
      expect(screen).toContain('Denied: everything asked: Please provide inputs for the following fields: — declined');
      expect(lastToolResults()).toContain('declined');

      mark = cli.mark();
      cli.line('Sample');
      await cli.waitFor('Press y to run it on the model', { after: mark });
      cli.type('n');
      screen = (await cli.waitFor('Done with sampling.', { after: mark })).slice(mark);
      expect(screen).toContain('Denied: everything: sampling refused');
    },
  );
});

describe('MCP client features without a terminal (mixtape run)', () => {
  it(
    'declines elicitation and refuses sampling with a note on stderr; sampling runs when the config allows it',
    { timeout: 120_000 },
    async () => {
      const project = everythingProject();
      const env = cleanEnv({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: server.url }, project);
      server.script.toolUse('everything_trigger-elicitation-request', {}).text('No form then.');
      let run = await runCli(['run', '--allow', 'everything_*', 'Fill in the form'], { cwd: project, env });
      expect(run.code).toBe(0);
      expect(run.stderr).toContain("MCP server 'everything' asked for input: Please provide inputs");
      expect(run.stderr).toContain('declined: nobody can answer here');
      expect(lastToolResults()).toContain('declined');

      server.script
        .toolUse('everything_trigger-sampling-request', { prompt: 'Capital of Italy?', maxTokens: 20 })
        .text('No sampling then.');
      const before = server.requests.length;
      run = await runCli(['run', '--allow', 'everything_*', 'Sample'], { cwd: project, env });
      expect(run.code).toBe(0);
      expect(run.stderr).toContain("MCP server 'everything' asked to use the model; refused: nobody can approve it here");
      expect(server.requests.length).toBe(before + 2);

      const allowed = everythingProject({ sampling: 'allow' });
      server.script
        .toolUse('everything_trigger-sampling-request', { prompt: 'Capital of Italy?', maxTokens: 20 })
        .text('Rome')
        .text('Rome it is.');
      run = await runCli(['run', '--allow', 'everything_*', 'Sample'], { cwd: allowed, env: { ...env, HOME: allowed } });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Rome it is.');
      expect(run.stderr).toContain('allowed by mcpServers.everything.sampling');
      expect(lastToolResults()).toContain('Rome');

      // Its cost counts against --max-cost: a costly sampling answer ends the run (exit 1), nothing after it.
      server.script
        .toolUse('everything_trigger-sampling-request', { prompt: 'Capital of Peru?', maxTokens: 20 })
        .text('Lima', { usage: { inputTokens: 400_000, outputTokens: 10 } })
        .text('Never sent.');
      const beforeBudget = server.requests.length;
      run = await runCli(['run', '--allow', 'everything_*', '--max-cost', '0.50', 'Sample'], {
        cwd: allowed,
        env: { ...env, HOME: allowed },
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/--max-cost/);
      expect(server.requests.length).toBe(beforeBudget + 2);
      expect(run.stdout).not.toContain('Never sent.');
    },
  );
});
