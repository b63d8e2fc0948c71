/**
 * A Mixtape agent served over HTTP (AG-UI over SSE), with the web chat page at `/`.
 *
 * Run: node --conditions=mixtape-source --import tsx examples/server.ts
 * Then open the printed URL (it carries the token) in a browser, or point an AG-UI client
 * (`new HttpAgent({ url: '<url>/agent', headers: { Authorization: 'Bearer <token>' } })`) at it.
 *
 * Environment:
 * - PORT (default 8787; 0 = any free port), MIXTAPE_TOKEN (default: a random token, printed).
 * - DATABASE_URL: PostgreSQL for sessions and run coordination — start several instances on
 *   one database and any of them serves any thread. Default: SQLite at MIXTAPE_SQLITE_PATH
 *   (default .mixtape/sessions.db), one instance.
 * - ANTHROPIC_API_KEY: talk to Claude (DEFAULT_MODEL). Without it a small offline demo model
 *   answers: "add A B" calls the `add` tool, "note TEXT" calls `save_note` (which asks for
 *   approval: the run ends with an AG-UI interrupt, and the next run's `resume` answers it, on
 *   any instance, at any later time), anything else is echoed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Agent, type ContentBlock, DEFAULT_MODEL, type Model, type SessionStore, tool } from '@mixtape/core';
import { PostgresRunCoordinator, PostgresSessionStore } from '@mixtape/postgres';
import { createServer, type RunCoordinator, serve } from '@mixtape/server';
import { SqliteSessionStore } from '@mixtape/sqlite';

const notes: string[] = [];
const tools = [
  tool({
    name: 'add',
    description: 'Adds two numbers',
    input: z.object({ a: z.number(), b: z.number() }),
    execute: ({ a, b }) => String(a + b),
  }),
  tool({
    name: 'save_note',
    description: 'Saves a note for the user',
    input: z.object({ text: z.string() }),
    execute: ({ text }) => {
      notes.push(text);
      return `Saved note #${notes.length}`;
    },
  }),
];

/** An offline model for the demo: deterministic answers from the last user message. */
const demoModel: Model = {
  provider: 'demo',
  modelId: 'demo',
  async *stream({ messages }) {
    const last = messages.at(-1)!.content;
    const result = last.find((b) => b.type === 'tool_result');
    const said = last.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join(' ');
    let content: ContentBlock[];
    let m: RegExpMatchArray | null;
    if (result?.type === 'tool_result')
      content = [{ type: 'text', text: `Done: ${result.content.map((c) => (c.type === 'text' ? c.text : '')).join('')}` }];
    else if ((m = said.match(/^add (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)$/)))
      content = [{ type: 'tool_use', id: `toolu_${randomUUID()}`, name: 'add', input: { a: Number(m[1]), b: Number(m[2]) } }];
    else if ((m = said.match(/^note (.+)$/)))
      content = [{ type: 'tool_use', id: `toolu_${randomUUID()}`, name: 'save_note', input: { text: m[1] } }];
    else content = [{ type: 'text', text: `You said: ${said}` }];
    for (const b of content) if (b.type === 'text') yield { type: 'text_delta', text: b.text };
    yield {
      type: 'response',
      response: {
        content,
        stopReason: content[0]!.type === 'tool_use' ? 'tool_use' : 'end_turn',
        usage: { inputTokens: 0, outputTokens: 0 },
      },
    };
  },
};

async function pickModel(): Promise<Model> {
  if (!process.env.ANTHROPIC_API_KEY) return demoModel;
  const { anthropic } = await import('@mixtape/anthropic');
  return anthropic(DEFAULT_MODEL);
}

const model = await pickModel();
let sessionStore: SessionStore;
let coordinator: RunCoordinator | undefined;
if (process.env.DATABASE_URL) {
  sessionStore = new PostgresSessionStore({ connectionString: process.env.DATABASE_URL });
  coordinator = new PostgresRunCoordinator({ connectionString: process.env.DATABASE_URL });
} else {
  sessionStore = new SqliteSessionStore(process.env.MIXTAPE_SQLITE_PATH ?? '.mixtape/sessions.db');
}
const token = process.env.MIXTAPE_TOKEN || randomBytes(18).toString('base64url');

const server = createServer({
  // One agent per run of a thread; its history and pending approvals come from the store.
  agentFactory: (sessionId) =>
    new Agent({
      model,
      tools,
      sessionStore,
      sessionId,
      systemPrompt: 'You are a helpful assistant. Use the tools when they help.',
      trustedTools: ['add'], // runs without asking; save_note asks the person in the chat
      permissionPolicy: 'interactive',
      interactive: true,
    }),
  sessionStore,
  auth: { token },
  ...(coordinator ? { coordinator } : {}),
});

const running = await serve(server, { port: Number(process.env.PORT ?? 8787) });
console.log(
  `Mixtape server listening on ${running.url} (model ${model.provider}/${model.modelId}, sessions in ${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'})`,
);
console.log(`Chat page: ${running.url}/#token=${token}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    console.log(`${signal}: finishing running runs…`);
    await running.close(); // waits up to DEFAULT_SHUTDOWN_GRACE_MS, then cancels what is left
    await coordinator?.close();
    await sessionStore.close?.();
    console.log('Server stopped.');
    process.exit(0);
  });
}
