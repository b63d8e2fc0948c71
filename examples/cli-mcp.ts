/**
 * The `mixtape` command with an MCP server that asks for more than tool calls: the published
 * @modelcontextprotocol/server-everything, whose `trigger-sampling-request` tool asks the client's
 * model for an answer. The config allows that server's sampling without asking
 * (`"sampling": "allow"`; the default, `"ask"`, asks the person in the REPL and refuses where
 * nobody can answer), so one `mixtape run` does what
 *
 *   mixtape --replay examples/cassettes/mcp-sampling.cassette.json --allow 'everything_*' run --json "..."
 *
 * would in a folder with this mixtape.config.json. The model is a recorded conversation (no
 * account, no network). The sampling request's tokens and cost are part of the run's.
 *
 * Run: node --conditions=mixtape-source --import tsx examples/cli-mcp.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '@mixtape/cli';

const everything = fileURLToPath(new URL('../node_modules/.bin/mcp-server-everything', import.meta.url));
const cassette = fileURLToPath(new URL('./cassettes/mcp-sampling.cassette.json', import.meta.url));

const cwd = mkdtempSync(path.join(os.tmpdir(), 'mixtape-cli-mcp-'));
writeFileSync(
  path.join(cwd, 'mixtape.config.json'),
  JSON.stringify({ tools: ['none'], mcpServers: { everything: { command: everything, args: ['stdio'], sampling: 'allow' } } }, null, 2),
);

// --json: every agent event as one JSON line; the answer and the run's totals are picked from them.
const events = new PassThrough();
let lines = '';
events.on('data', (chunk: Buffer) => (lines += chunk.toString('utf8')));
const code = await main(['--replay', cassette, '--allow', 'everything_*', 'run', '--json', 'Ask the MCP server to sample'], {
  stdin: process.stdin,
  stdout: events as unknown as NodeJS.WriteStream,
  // Notices of the MCP server (the sampling it did, what it cost) go to stderr.
  stderr: process.stderr,
  env: { ...process.env, NO_COLOR: '1' },
  cwd,
});

for (const line of lines.split('\n').filter(Boolean)) {
  const event = JSON.parse(line) as { type: string; name?: string; outputText?: string; output?: string; usage?: object; costUsd?: number };
  if (event.type === 'tool_completed') console.log(`tool ${event.name}: ${event.outputText?.replace(/\s+/g, ' ').slice(0, 120)}`);
  if (event.type === 'run_completed') {
    console.log(`answer: ${event.output}`);
    console.log(`run usage, the sampling included: ${JSON.stringify(event.usage)}, cost $${event.costUsd?.toFixed(4)}`);
  }
}
console.log(`exit code: ${code}`);
