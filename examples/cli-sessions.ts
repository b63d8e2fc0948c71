/**
 * The `mixtape` command from a program, against the fake Anthropic server of @mixtape/testing:
 * sessions chosen with `--continue` (the default) and `--new`, and the exit codes a script sees —
 * 0 done, 2 for a configuration problem (here a typo in mixtape.config.json, named, before any
 * model call). The same as typing
 *
 *   mixtape run "Remember: I like apples."
 *   mixtape --continue run "What do I like?"
 *   mixtape --new run "What do I like?"
 *
 * in a folder. Run: node --conditions=mixtape-source --import tsx examples/cli-sessions.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { main, type CliIO } from '@mixtape/cli';
import { startFakeAnthropic } from '@mixtape/testing';

const server = await startFakeAnthropic({ apiKey: 'example-key' });
server.script.text('Noted: you like apples.').text('You like apples.').text('I do not know yet: this is a new session.');
process.env.ANTHROPIC_API_KEY = 'example-key';
const cwd = mkdtempSync(path.join(os.tmpdir(), 'mixtape-cli-sessions-'));

/** Streams of one invocation: no stdin (the prompt is an argument), output to this process's. */
function io(): CliIO {
  const stdin = Object.assign(Readable.from([]), { isTTY: false }) as unknown as NodeJS.ReadStream;
  return { stdin, stdout: process.stdout, stderr: process.stderr, env: { ...process.env, NO_COLOR: '1' }, cwd };
}

const mixtape = async (...args: string[]) => {
  const code = await main(['--base-url', server.url, ...args], io());
  console.log(`[exit code ${code}]`);
  return code;
};

await mixtape('run', 'Remember: I like apples.');
await mixtape('--continue', 'run', 'What do I like?');
console.log(`(the model saw the first question again: ${JSON.stringify(server.requests.at(-1)!.body.messages).includes('I like apples')})`);
await mixtape('--new', 'run', 'What do I like?');
console.log(
  `(a new session: the model saw the first question: ${JSON.stringify(server.requests.at(-1)!.body.messages).includes('I like apples')})`,
);

// A typo in the config file: named, with the name meant; `run` refuses with exit code 2.
writeFileSync(path.join(cwd, 'mixtape.config.json'), JSON.stringify({ tools: ['filesystem', 'fetchh'] }));
await mixtape('run', 'hi');

await server.close();
