/**
 * The main example (`npm start`): an agent with tools and a SQLite session, run in two separate
 * processes. The second process resumes the conversation the first one left.
 *
 *   node --conditions=mixtape-source --import tsx examples/persistent-session.ts [--db path]
 *
 * Model: a real provider when credentials are set (see examples/pick-model.ts); otherwise a
 * ScriptedModel — a stand-in that plays canned answers — and the output says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { Agent, tool } from '@mixtape/core';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { pickModel } from './pick-model.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, turn: { type: 'string' } } });

const calculator = tool({
  name: 'calculator',
  description: 'Evaluates a + b, a - b, a * b or a / b.',
  input: z.object({ a: z.number(), b: z.number(), op: z.enum(['+', '-', '*', '/']) }),
  execute: ({ a, b, op }) => String(op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b),
});

const prompts = ['What is 1234 * 5678? Use the calculator.', 'What number did you just compute? Add 1 to it.'];

async function turn(index: number, db: string): Promise<void> {
  const { model, label } = await pickModel((m) =>
    index === 0
      ? m.toolUse('calculator', { a: 1234, b: 5678, op: '*' }).text('1234 × 5678 = 7,006,652.')
      : m.toolUse('calculator', { a: 7006652, b: 1, op: '+' }).text('I computed 7,006,652 before; plus 1 is 7,006,653.'),
  );
  const agent = new Agent({
    model,
    systemPrompt: 'You are a concise assistant. Use tools for arithmetic.',
    tools: [calculator],
    sessionStore: new SqliteSessionStore(db),
  });
  agent.addHook((e) => {
    if (e.type === 'session_resumed') console.log(`↺ resumed session ${e.sessionId.slice(0, 8)} with ${e.messageCount} messages`);
    if (e.type === 'tool_requested') console.log(`🛠  ${e.name}(${JSON.stringify(e.input)})`);
    if (e.type === 'tool_completed') console.log(`   → ${e.outputText}`);
  });
  console.log(`[process ${process.pid}] model: ${label}`);
  console.log(`> ${prompts[index]}`);
  const result = await agent.run(prompts[index]!);
  console.log(result.text);
  const info = agent.sessionInfo()!;
  console.log(
    `session ${info.id.slice(0, 8)}: ${info.messageCount} messages, ${result.usage.inputTokens + result.usage.outputTokens} tokens${result.cost !== undefined ? `, $${result.cost.toFixed(5)}` : ''}`,
  );
}

if (values.turn !== undefined) {
  await turn(Number(values.turn), values.db!);
} else {
  const db = values.db ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'mixtape-example-')), 'sessions.db');
  console.log(`Sessions database: ${db}\n`);
  for (const index of [0, 1]) {
    // Each turn runs in its own process: the conversation survives through SQLite.
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--turn', String(index), '--db', db], {
      stdio: 'inherit',
    });
    if (child.status !== 0) process.exit(child.status ?? 1);
    console.log();
  }
}
