/**
 * Roots: the CLI gives MCP servers its working folder as their root, and tells them when it
 * changes (server-everything as a real child process; the agent built as the CLI builds it).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCliAgent } from '../src/setup.js';
import { repoRoot, tempProject, WAIT_MS } from './helpers.js';

describe('MCP roots', () => {
  it('the working folder is the root; setRoot tells the server, which then lists the new one', { timeout: 60_000 }, async () => {
    const project = tempProject();
    const other = tempProject();
    writeFileSync(
      path.join(project, 'mixtape.config.json'),
      JSON.stringify({
        tools: ['none'],
        mcpServers: { everything: { command: path.join(repoRoot, 'node_modules/.bin/mcp-server-everything'), args: ['stdio'] } },
      }),
    );
    const cli = await createCliAgent({
      cwd: project,
      env: { ANTHROPIC_API_KEY: 'test-key', PATH: process.env.PATH ?? '' },
      flags: { session: { mode: 'new' } },
      interactive: false,
    });
    try {
      await cli.ready;
      const tool = cli.agent.tools.find((t) => t.name === 'everything_get-roots-list')!;
      const roots = async () => JSON.stringify(await tool.execute({}, { signal: new AbortController().signal, toolUseId: 'call-1' }));
      expect(await roots()).toContain(pathToFileURL(project).href);
      expect(cli.mcp.root()).toBe(project);

      await cli.mcp.setRoot(other);
      expect(cli.mcp.root()).toBe(other);
      // The server asks for the roots again when told they changed (asynchronously).
      const deadline = Date.now() + WAIT_MS;
      let listed = await roots();
      while (!listed.includes(pathToFileURL(other).href) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        listed = await roots();
      }
      expect(listed).toContain(pathToFileURL(other).href);
      expect(listed).not.toContain(pathToFileURL(project).href);
    } finally {
      await cli.close();
    }
  });
});
