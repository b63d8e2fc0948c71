/**
 * The `mixtape` command from a program: answers one prompt against a recorded conversation
 * (the tour cassette), with no account and no network, exactly as
 *
 *   mixtape --replay tour run "Show me around"
 *
 * (`tour` is a cassette shipped with @mixtape/cli; `--replay` also takes a cassette file.)
 * would. `main` takes the command-line arguments and the streams to use, and resolves with the
 * exit code. Without a terminal the answer is printed as it streams, tool calls go to stderr, and
 * a tool that needs approval is denied (nobody can answer), with a message telling the model how
 * it could be granted.
 *
 * Run: node --conditions=mixtape-source --import tsx examples/cli-replay.ts
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '@mixtape/cli';

// A scratch folder: the tour lists the folder it runs in.
const cwd = mkdtempSync(path.join(os.tmpdir(), 'mixtape-cli-example-'));

const code = await main(['--replay', 'tour', 'run', 'Show me around'], {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: { ...process.env, NO_COLOR: '1' },
  cwd,
});
console.log(`\nexit code: ${code}`);
