/**
 * Agent-loop overhead per model step with ScriptedModel (no network, no provider), against a bare
 * loop that drives the same ScriptedModel and tools by hand (sending the same tool definitions,
 * as any loop must). Also with each step persisted to a MemorySessionStore and to a
 * SqliteSessionStore file.
 *
 * Method: the variants run in rotating rounds (see support/rounds.ts) after a warm-up; the table
 * shows the median over rounds of the process's CPU time per step (the ratio's basis: other
 * engineers' processes on this machine disturb it less than wall time) and of wall time.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, type Message, MemorySessionStore, type SessionStore, type ToolDefinition } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { interleaved, measure, median } from './support/rounds.js';
import { echo, script, STEPS } from './support/tool-steps.js';

const RUNS_PER_ROUND = 40;
const ROUNDS = 11;
const WARMUP_RUNS = 40;

const definitions: ToolDefinition[] = [{ name: echo.name, description: echo.description, inputSchema: echo.inputSchema }];

async function bare(): Promise<void> {
  const model = script(new ScriptedModel());
  const messages: Message[] = [{ role: 'user', content: [{ type: 'text', text: 'go' }] }];
  for (;;) {
    let content: Message['content'] = [];
    for await (const e of model.stream({ messages, tools: definitions })) if (e.type === 'response') content = e.response.content;
    messages.push({ role: 'assistant', content });
    const calls = content.filter((b) => b.type === 'tool_use');
    if (!calls.length) return;
    const results = await Promise.all(
      calls.map(async (c) => ({
        type: 'tool_result' as const,
        toolUseId: c.id,
        content: [
          {
            type: 'text' as const,
            text: String(
              await echo.execute(echo.validate(c.input).ok ? (c.input as { n: number }) : { n: 0 }, {
                signal: new AbortController().signal,
                toolUseId: c.id,
              }),
            ),
          },
        ],
        isError: false,
      })),
    );
    messages.push({ role: 'user', content: results });
  }
}

async function mixtape(store?: SessionStore): Promise<void> {
  // A new session per run (sessionId is created on first use).
  const agent = new Agent({
    model: script(new ScriptedModel()),
    tools: [echo],
    ...(store ? { sessionStore: store, sessionId: randomUUID() } : {}),
  });
  await agent.run('go');
}

export default async function (): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-bench-loop-'));
  const memory = new MemorySessionStore();
  const sqlite = new SqliteSessionStore(path.join(dir, 'sessions.db'));
  const variants: [string, () => Promise<void>][] = [
    ['bare loop on ScriptedModel (reference)', bare],
    ['Mixtape Agent, no session store', () => mixtape()],
    ['Mixtape Agent + MemorySessionStore', () => mixtape(memory)],
    ['Mixtape Agent + SqliteSessionStore (file, WAL)', () => mixtape(sqlite)],
  ];
  for (const [, run] of variants) for (let i = 0; i < WARMUP_RUNS; i++) await run(); // JIT, tokenizer load
  const steps = RUNS_PER_ROUND * (STEPS + 1);
  const samples = await interleaved(
    variants.map(
      ([name, run]) =>
        [
          name,
          () =>
            measure(async () => {
              for (let i = 0; i < RUNS_PER_ROUND; i++) await run();
            }, steps),
        ] as const,
    ),
    ROUNDS,
  );
  await sqlite.close();
  const cpu = (name: string) => median(samples.get(name)!.map((s) => s.cpuUs));
  const wall = (name: string) => median(samples.get(name)!.map((s) => s.wallUs));
  const base = variants[0]![0];
  const lines = [
    `## Agent loop overhead per model step (ScriptedModel, ${STEPS} steps × 2 parallel tool calls + final answer)`,
    '',
    `${ROUNDS} rotating rounds of ${RUNS_PER_ROUND} runs per variant after ${WARMUP_RUNS} warm-up runs; medians over rounds. The ratio is on CPU time of the bench process. Load average at start: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores.`,
    '',
    '| loop | CPU µs per step | wall µs per step | ratio to bare loop (CPU) | ratio (wall) |',
    '|---|---:|---:|---:|---:|',
    ...variants.map(
      ([name]) =>
        `| ${name} | ${cpu(name).toFixed(1)} | ${wall(name).toFixed(1)} | ${(cpu(name) / cpu(base)).toFixed(2)}× | ${(wall(name) / wall(base)).toFixed(2)}× |`,
    ),
  ];
  return lines.join('\n');
}
