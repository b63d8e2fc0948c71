/**
 * Agent-loop overhead per model step with ScriptedModel (no network, no provider), against a bare
 * loop that drives the same ScriptedModel and tools by hand. Also with each step persisted to a
 * MemorySessionStore and to a SqliteSessionStore file.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, type Message, MemorySessionStore, type SessionStore } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { echo, script, STEPS } from './support/tool-steps.js';

const RUNS = 200;

async function bare(): Promise<void> {
  const model = script(new ScriptedModel());
  const messages: Message[] = [{ role: 'user', content: [{ type: 'text', text: 'go' }] }];
  for (;;) {
    let content: Message['content'] = [];
    for await (const e of model.stream({ messages, tools: [] })) if (e.type === 'response') content = e.response.content;
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

async function timePerStep(fn: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(); // warm up (JIT, tokenizer load)
  const start = performance.now();
  for (let i = 0; i < RUNS; i++) await fn();
  return ((performance.now() - start) / RUNS / (STEPS + 1)) * 1000; // µs per model step
}

export default async function (): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-bench-loop-'));
  const memory = new MemorySessionStore();
  const sqlite = new SqliteSessionStore(path.join(dir, 'sessions.db'));
  const rows: [string, number][] = [];
  rows.push(['bare loop on ScriptedModel (reference)', await timePerStep(bare)]);
  rows.push(['Mixtape Agent, no session store', await timePerStep(() => mixtape())]);
  rows.push(['Mixtape Agent + MemorySessionStore', await timePerStep(() => mixtape(memory))]);
  rows.push(['Mixtape Agent + SqliteSessionStore (file, WAL)', await timePerStep(() => mixtape(sqlite))]);
  await sqlite.close();
  const base = rows[0]![1];
  const lines = [
    `## Agent loop overhead per model step (ScriptedModel, ${STEPS} steps × 2 parallel tool calls + final answer, ${RUNS} runs)`,
    '',
    '| loop | µs per step | ratio to bare loop |',
    '|---|---:|---:|',
    ...rows.map(([name, us]) => `| ${name} | ${us.toFixed(1)} | ${(us / base).toFixed(2)}× |`),
  ];
  return lines.join('\n');
}
