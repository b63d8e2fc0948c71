/**
 * An approval answered later, from another process, with no process waiting in between.
 *
 * The server turns approvals into AG-UI interrupts kept in the session store (SQLite here), so
 * the process that asked can exit; any later process on the same store resumes the run.
 *
 *   node --conditions=mixtape-source --import tsx examples/server-approve-later.ts ask "buy milk"
 *     → starts a server, asks the agent to save a note (save_note needs approval), prints the
 *       thread id and the interrupt id, and exits.
 *   node --conditions=mixtape-source --import tsx examples/server-approve-later.ts answer <threadId> <interruptId> approve|deny
 *     → starts a new server on the same store, resumes the run with the answer, prints the result.
 *
 * Environment: MIXTAPE_SQLITE_PATH (default .mixtape/approve-later.db); notes are appended to
 * <that path>.notes. The model is a small offline demo model (no API key needed).
 */
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent, Interrupt } from '@ag-ui/core';
import { Agent, type ContentBlock, MemoryGrantStore, type Model, tool } from '@mixtape/core';
import { createServer, serve } from '@mixtape/server';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { z } from 'zod';

const dbPath = process.env.MIXTAPE_SQLITE_PATH ?? '.mixtape/approve-later.db';
const notesPath = `${dbPath}.notes`;

const saveNote = tool({
  name: 'save_note',
  description: 'Saves a note for the user',
  input: z.object({ text: z.string() }),
  execute: ({ text }) => {
    appendFileSync(notesPath, `${text}\n`);
    return `Saved note: ${text}`;
  },
});

/** Offline demo model: saves the user's text as a note, then reports the tool's result. */
const model: Model = {
  provider: 'demo',
  modelId: 'demo',
  async *stream({ messages }) {
    const last = messages.at(-1)!.content;
    const result = last.find((b) => b.type === 'tool_result');
    const content: ContentBlock[] =
      result?.type === 'tool_result'
        ? [{ type: 'text', text: `Done: ${result.content.map((c) => (c.type === 'text' ? c.text : '')).join('')}` }]
        : [
            {
              type: 'tool_use',
              id: `toolu_${randomUUID()}`,
              name: 'save_note',
              input: { text: last.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join(' ') },
            },
          ];
    for (const b of content) if (b.type === 'text') yield { type: 'text_delta', text: b.text };
    yield {
      type: 'response',
      response: { content, stopReason: result ? 'end_turn' : 'tool_use', usage: { inputTokens: 0, outputTokens: 0 } },
    };
  },
};

const sessionStore = new SqliteSessionStore(dbPath);
const token = randomUUID();
const server = createServer({
  // save_note is not trusted: with a grant store and interactive: true, the server asks through an interrupt.
  agentFactory: (sessionId) =>
    new Agent({ model, tools: [saveNote], sessionStore, sessionId, grantStore: new MemoryGrantStore(), interactive: true }),
  sessionStore,
  auth: { token },
});
const running = await serve(server, { port: 0 });

async function runOnce(
  agent: HttpAgent,
  resume?: Array<{ interruptId: string; status: 'resolved'; payload: unknown }>,
): Promise<{ result: unknown; interrupts: Interrupt[] }> {
  let interrupts: Interrupt[] = [];
  const { result } = await agent.runAgent(resume ? { resume } : {}, {
    onEvent: ({ event }: { event: BaseEvent }) => {
      const outcome = (event as BaseEvent & { outcome?: { type: string; interrupts?: Interrupt[] } }).outcome;
      if (event.type === 'RUN_FINISHED' && outcome?.type === 'interrupt') interrupts = outcome.interrupts ?? [];
    },
  });
  return { result, interrupts };
}

try {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'ask') {
    const agent = new HttpAgent({ url: `${running.url}/agent`, headers: { Authorization: `Bearer ${token}` } });
    agent.addMessage({ id: randomUUID(), role: 'user', content: args.join(' ') || 'buy milk' });
    const { interrupts } = await runOnce(agent);
    const i = interrupts[0]!;
    console.log(`Asked: ${i.message}`);
    console.log(`thread ${agent.threadId} interrupt ${i.id}`);
  } else if (command === 'answer') {
    const [threadId, interruptId, decision] = args as [string, string, string];
    const agent = new HttpAgent({ url: `${running.url}/agent`, threadId, headers: { Authorization: `Bearer ${token}` } });
    const { result } = await runOnce(agent, [
      { interruptId, status: 'resolved', payload: decision === 'deny' ? { approved: false, reason: 'Not now.' } : { approved: true } },
    ]);
    console.log(`Result: ${String(result)}`);
  } else {
    console.error('Usage: server-approve-later.ts ask <text> | answer <threadId> <interruptId> approve|deny');
    process.exitCode = 2;
  }
} finally {
  await running.close();
  await sessionStore.close();
}
