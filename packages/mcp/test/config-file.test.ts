import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandEnvVars, loadMcpConfigFile, McpConfigError, mcpTools, parseMcpConfig } from '../src/index.js';
import { byName, runTool, TEST_SERVER } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mixtape-mcp-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, config: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}

describe('expandEnvVars', () => {
  const env = { HOME: '/home/ada', EMPTY: '' };
  it('expands ${VAR} and ${VAR:-default} (default also when empty)', () => {
    expect(expandEnvVars('${HOME}/x ${MISSING:-fallback} ${EMPTY:-dflt} ${HOME:-unused}', env, { field: 'args[0]' })).toBe(
      '/home/ada/x fallback dflt /home/ada',
    );
    expect(expandEnvVars('no variables, $HOME stays', env, { field: 'x' })).toBe('no variables, $HOME stays');
  });
  it('an unset ${VAR} without default names the variable, the server and the field', () => {
    let error: unknown;
    try {
      expandEnvVars('--token=${API_TOKEN}', env, { server: 'github', field: 'args[1]', source: '/cfg.json' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(McpConfigError);
    expect(error).toMatchObject({ kind: 'missing_variable', serverName: 'github' });
    expect((error as Error).message).toBe(
      "MCP server 'github' in /cfg.json: environment variable API_TOKEN is not set (used in args[1]). Set it, or write ${API_TOKEN:-default} to give a default.",
    );
  });
});

describe('loadMcpConfigFile', () => {
  it('reads a Claude Desktop file: stdio and remote servers, env expanded everywhere, namespaced by default', async () => {
    const path = await writeConfig('claude_desktop_config.json', {
      mcpServers: {
        files: { command: '${NODE_BIN}', args: ['${SERVER_DIR:-/srv}/fs.js', '--root', '${HOME_DIR}'], env: { TOKEN: '${TOKEN}' } },
        remote: { type: 'http', url: 'http://127.0.0.1:${PORT:-8080}/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } },
        legacy: { type: 'sse', url: 'http://127.0.0.1:9/sse' },
        off: { command: 'never', disabled: true },
      },
    });
    const servers = await loadMcpConfigFile(path, { env: { NODE_BIN: '/usr/bin/node', HOME_DIR: '/home/ada', TOKEN: 't0k' } });
    expect(servers).toEqual([
      {
        name: 'files',
        transport: { type: 'stdio', command: '/usr/bin/node', args: ['/srv/fs.js', '--root', '/home/ada'], env: { TOKEN: 't0k' } },
      },
      { name: 'remote', transport: { type: 'http', url: 'http://127.0.0.1:8080/mcp', headers: { Authorization: 'Bearer t0k' } } },
      { name: 'legacy', transport: { type: 'sse', url: 'http://127.0.0.1:9/sse' } },
    ]);
  });

  it('a missing variable is an error naming the variable and the server', async () => {
    const path = await writeConfig('missing.json', {
      mcpServers: { github: { command: 'gh-mcp', env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } } },
    });
    const error = await loadMcpConfigFile(path, { env: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'McpConfigError', kind: 'missing_variable', serverName: 'github' });
    expect((error as Error).message).toContain('GITHUB_TOKEN is not set');
    expect((error as Error).message).toContain("MCP server 'github'");
    expect((error as Error).message).toContain('env.GITHUB_TOKEN');
  });

  it("reads Claude Code's ~/.claude.json with per-project servers when asked", async () => {
    const project = join(dir, 'my-project');
    const path = await writeConfig('claude.json', {
      mcpServers: { shared: { command: 'user-level' }, both: { command: 'user-version' } },
      projects: {
        [project]: { mcpServers: { local: { type: 'http', url: 'http://127.0.0.1:1/mcp' }, both: { command: 'project-version' } } },
        '/elsewhere': { mcpServers: { other: { command: 'x' } } },
      },
    });
    expect((await loadMcpConfigFile(path)).map((s) => s.name)).toEqual(['shared', 'both']);
    const withProject = await loadMcpConfigFile(path, { project });
    expect(withProject.map((s) => s.name)).toEqual(['shared', 'both', 'local']);
    expect(withProject.find((s) => s.name === 'both')!.transport).toEqual({ type: 'stdio', command: 'project-version' });
    expect((await loadMcpConfigFile(path, { project: '/no/such/project' })).map((s) => s.name)).toEqual(['shared', 'both']);
  });

  it('bad files and entries are McpConfigErrors that say what to fix', async () => {
    await expect(loadMcpConfigFile(join(dir, 'nope.json'))).rejects.toMatchObject({
      kind: 'not_found',
      message: expect.stringContaining('no such file'),
    });
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "mcpServers": ');
    await expect(loadMcpConfigFile(broken)).rejects.toMatchObject({ kind: 'invalid_json' });
    expect(() => parseMcpConfig({ mcpServers: { a: { args: [] } } })).toThrow("MCP server 'a': missing 'command'");
    expect(() => parseMcpConfig({ mcpServers: { b: { type: 'http' } } })).toThrow("MCP server 'b': missing 'url'");
    expect(() => parseMcpConfig({ mcpServers: { c: { type: 'websocket', url: 'ws://x' } } })).toThrow(
      `MCP server 'c': unknown transport type "websocket"`,
    );
    expect(() => parseMcpConfig({ mcpServers: { d: { command: 'x', args: 'not-a-list' } } })).toThrow("'args' must be an array of strings");
    expect(() => parseMcpConfig({ mcpServers: [] })).toThrow("'mcpServers' must be an object");
  });

  it('config-file servers run and are namespaced like programmatic ones (the Rust original forgot)', { timeout: 60_000 }, async () => {
    const path = await writeConfig('runnable.json', {
      mcpServers: {
        local: {
          command: process.execPath,
          args: ['--import', 'tsx', '${SERVER_PATH}'],
          env: { GREETING: '${GREETING:-hello from the config file}' },
        },
      },
    });
    const servers = await loadMcpConfigFile(path, { env: { SERVER_PATH: TEST_SERVER }, defaults: { include: ['env', 'echo'] } });
    const { tools, close } = await mcpTools(servers);
    try {
      expect(tools.map((t) => t.name)).toEqual(['local_echo', 'local_env']);
      expect(await runTool(byName(tools, 'local_env'), { name: 'GREETING' })).toEqual([
        { type: 'text', text: 'hello from the config file' },
      ]);
    } finally {
      await close();
    }
  });
});
