/**
 * An approval answered from another process, later, with no process waiting.
 *
 * Process A asks the agent to write a note. Writing needs a person's approval; with
 * `approvals: 'interrupt'` the run stops, the pending approval is stored in the SQLite session
 * store, and process A exits. Process B — started any time later, on any host sharing the
 * database — lists what is pending and resumes the run with an approval: the tool runs (once),
 * and the model finishes its answer.
 *
 *   node --conditions=mixtape-source --import tsx examples/interrupts-approval.ts            # both steps
 *   node … examples/interrupts-approval.ts --step ask --db notes.db                         # process A
 *   node … examples/interrupts-approval.ts --step approve --db notes.db [--deny "reason"]   # process B
 *
 * Model: a ScriptedModel (canned answers); each process queues the answer it needs.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { Agent, MemoryGrantStore, tool } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';

const { values } = parseArgs({ options: { db: { type: 'string' }, step: { type: 'string' }, deny: { type: 'string' } } });
const SESSION = 'notes-thread';

function agentFor(db: string, model: ScriptedModel): Agent {
  const notes = `${db}.notes.txt`;
  const writeNote = tool({
    name: 'write_note',
    description: 'Appends a note to the notes file.',
    input: z.object({ text: z.string() }),
    formatInput: ({ text }) => JSON.stringify(text),
    execute: ({ text }) => {
      appendFileSync(notes, `${text}\n`);
      return `Saved (${readFileSync(notes, 'utf8').split('\n').filter(Boolean).length} notes in the file).`;
    },
  });
  return new Agent({
    model,
    tools: [writeNote],
    sessionStore: new SqliteSessionStore(db),
    sessionId: SESSION,
    // Every write_note call needs a person's approval…
    grantStore: new MemoryGrantStore(),
    interactive: true,
    // …and waiting for it holds no process: the run ends interrupted and is resumed later.
    approvals: 'interrupt',
  });
}

async function ask(db: string): Promise<void> {
  const model = new ScriptedModel().respond(
    [
      { type: 'text', text: 'I will save it.' },
      { type: 'tool_use', id: 'toolu_note_1', name: 'write_note', input: { text: 'Buy milk' } },
    ],
    'tool_use',
  );
  const agent = agentFor(db, model);
  const result = await agent.run('Remember to buy milk: save it as a note.');
  console.log(`[process A ${process.pid}] status: ${result.status}`);
  for (const i of result.interrupts) console.log(`  waiting: ${i.id} — ${i.message} (expires ${i.expiresAt})`);
  console.log('[process A] exits; nothing waits in memory.');
}

async function approve(db: string, denyReason: string | undefined): Promise<void> {
  const model = new ScriptedModel().text(denyReason ? 'Understood, I did not save it.' : 'Saved your note: "Buy milk".');
  const agent = agentFor(db, model);
  agent.addHook((e) => {
    if (e.type === 'run_resumed') console.log(`  resumed with ${e.answers.map((a) => a.type).join(', ')}`);
    if (e.type === 'tool_completed') console.log(`  🛠  ${e.name} → ${e.outputText}`);
    if (e.type === 'tool_failed') console.log(`  🛠  ${e.name} ✗ ${e.error}`);
  });
  const pending = await agent.pendingInterrupts();
  console.log(
    `[process B ${process.pid}] pending: ${pending.map((i) => `${i.toolName} ${JSON.stringify(i.input)}`).join('; ') || '(none)'}`,
  );
  const answers = pending.map((i) =>
    denyReason ? { interruptId: i.id, type: 'deny' as const, reason: denyReason } : { interruptId: i.id, type: 'approve' as const },
  );
  const result = await agent.resume(answers);
  console.log(`  status: ${result.status}`);
  console.log(result.text);
  // Sending the same answers again is safe: the stored outcome comes back, nothing runs twice.
  const replay = await agent.resume(answers);
  console.log(`  replayed resume: ${replay.status}, ${replay.steps} model calls`);
}

const here = fileURLToPath(import.meta.url);
if (values.step === 'ask') await ask(values.db!);
else if (values.step === 'approve') await approve(values.db!, values.deny);
else {
  const db = values.db ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'mixtape-interrupts-')), 'sessions.db');
  for (const step of ['ask', 'approve']) {
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, here, '--step', step, '--db', db, ...(values.deny ? ['--deny', values.deny] : [])],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  const notes = `${db}.notes.txt`;
  console.log(`notes file: ${(existsSync(notes) ? readFileSync(notes, 'utf8').trim() : '') || '(empty)'}`);
}
