/**
 * OAuth for a remote MCP server, as the CLI does it: an OAuth-protected Streamable HTTP server
 * on 127.0.0.1 (the SDK's server-side auth helpers, the fixture of @mixtape/mcp's tests), the
 * real `mixtape` as a child process, and a $BROWSER script standing in for the person: it
 * fetches the authorization URL, whose redirect reaches the CLI's receiver on 127.0.0.1.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServer, startFakeAnthropic } from '@mixtape/testing';
import { startOAuthTestServer, type OAuthTestServer } from '../../mcp/test/fixtures/oauth-server.js';
import { cleanEnv, hasTmux, runCli, TmuxSession, tempProject } from './helpers.js';
import { freePort } from '../../../test-support/ports.js';

let model: FakeServer;
let remote: OAuthTestServer;

beforeAll(async () => {
  model = await startFakeAnthropic({ apiKey: 'test-key' });
  remote = await startOAuthTestServer();
});
afterAll(async () => {
  await model.close();
  await remote.close();
});

/**
 * A project whose config names the remote server (OAuth callback on a free port), a user config
 * folder of its own, and the "person": a $BROWSER that notes the URL, opens the page and follows
 * the redirect back to mixtape.
 */
async function oauthProject() {
  const project = tempProject();
  const port = await freePort();
  writeFileSync(
    path.join(project, 'mixtape.config.json'),
    JSON.stringify({ tools: ['none'], mcpServers: { remote: { url: remote.mcpUrl, oauth: { callbackPort: port } } } }),
  );
  const opened = path.join(project, 'opened.txt');
  const browser = path.join(project, 'browser.sh');
  writeFileSync(
    browser,
    `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\nexec '${process.execPath}' -e 'fetch(process.argv[1]).then((r) => r.text())' "$1"\n`,
  );
  chmodSync(browser, 0o755);
  const config = path.join(project, 'xdg-config');
  const env = cleanEnv(
    { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: model.url, BROWSER: browser, XDG_CONFIG_HOME: config },
    project,
  );
  return { project, port, env, config, opened };
}

describe('mixtape with an OAuth-protected remote MCP server', () => {
  it(
    'signs in through the browser on first use, keeps the tokens in the user config folder, reuses them, and logs out and in again',
    { timeout: 120_000 },
    async () => {
      const { project, port, env, config, opened } = await oauthProject();
      const tokenFile = path.join(config, 'mixtape', 'mcp-oauth.json');
      const browserVisits = () => (existsSync(opened) ? readFileSync(opened, 'utf8').trim().split('\n').length : 0);

      // 1. First use: 401 → discovery, registration, the browser step, then the tool call.
      model.script.toolUse('remote_echo', { message: 'signed in' }).text('Echoed.');
      let run = await runCli(['run', '--allow', 'remote_*', 'Echo something'], { cwd: project, env });
      expect(run.stderr).not.toMatch(/did not start/);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Echoed.');
      expect(run.stderr).toContain("Sign in to MCP server 'remote'");
      expect(run.stderr).toContain(`redirect_uri=${encodeURIComponent(`http://127.0.0.1:${port}/callback`)}`);
      expect(browserVisits()).toBe(1);
      expect(JSON.stringify(model.requests.at(-1)!.body)).toContain('signed in');
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(readFileSync(tokenFile, 'utf8')) as Record<string, { tokens?: { refresh_token?: string } }>;
      expect(saved[remote.mcpUrl]?.tokens?.refresh_token).toBeTruthy();

      // 2. A later run uses the saved tokens: no browser.
      model.script.toolUse('remote_add', { a: 2, b: 3 }).text('Five.');
      run = await runCli(['run', '--allow', 'remote_*', 'Add'], { cwd: project, env });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Five.');
      expect(browserVisits()).toBe(1);

      // 3. logout forgets the credentials; login signs in again through the browser.
      run = await runCli(['mcp', 'logout', 'remote'], { cwd: project, env });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("Signed out of MCP server 'remote'");
      expect(JSON.parse(readFileSync(tokenFile, 'utf8'))).not.toHaveProperty(remote.mcpUrl);
      run = await runCli(['mcp', 'login', 'remote'], { cwd: project, env });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("Signed in to MCP server 'remote'");
      expect(browserVisits()).toBe(2);
      expect(JSON.parse(readFileSync(tokenFile, 'utf8'))).toHaveProperty(remote.mcpUrl);

      // 4. A server that is not remote cannot sign in: a usage error naming it.
      run = await runCli(['mcp', 'login', 'nowhere'], { cwd: project, env });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("no MCP server named 'nowhere'");
    },
  );

  it.skipIf(!hasTmux())(
    'in the REPL the sign-in URL is shown above the prompt while the tools load; then the tools are there',
    { timeout: 120_000 },
    async () => {
      const { project, env } = await oauthProject();
      const cli = TmuxSession.start([], {
        cwd: project,
        env,
      });
      try {
        await cli.waitFor('New session');
        const screen = await cli.waitFor("Sign in to MCP server 'remote' in the browser window that opened");
        expect(screen).toContain(`${new URL(remote.mcpUrl).origin}/authorize?`);
        cli.line('/tools');
        await cli.waitFor('remote_echo');
        cli.line('/mcp');
        await cli.waitFor(/remote {2}http http:\/\/127\.0\.0\.1:\d+\/mcp · connected · 13 tools · sampling: ask · signed in \(OAuth\)/);
        cli.line('/exit');
        expect(await cli.waitForExit()).toBe(0);
      } finally {
        cli.kill();
      }
    },
  );
});
