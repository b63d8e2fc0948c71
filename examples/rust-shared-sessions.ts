/**
 * One session file shared with the Rust original (mixtape-cli 0.4.0), a run that fails before the
 * model answers, and a long conversation kept in budget by a summary.
 *
 * 1. A file as the Rust agent writes it (its schema.sql and its rows: one Assistant row per run
 *    carrying the tool calls, their results and the final text) is resumed by an Agent: the model
 *    is sent call → result → text with the real results; the Rust columns keep their formats.
 * 2. A run fails (HTTP 500) before the model answers: its prompt stays stored, is closed by a
 *    note, and is not sent again.
 * 3. A SummarizingConversationManager summarizes what the window drops with a cheaper model.
 *
 * Run: node --conditions=mixtape-source --import tsx examples/rust-shared-sessions.ts [database-file]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Agent, ProviderError, SummarizingConversationManager, isUnansweredPromptNote } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';

const file = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'mixtape-example-')), 'sessions.db');
const id = '7a0c5e1e-0000-4000-8000-000000000001';

// 1. The file as mixtape-cli 0.4.0 leaves it (adlio/mixtape: mixtape-cli/src/session/schema.sql and store.rs).
const rust = new Database(file);
rust.exec(`CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, directory TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, idx INTEGER NOT NULL, role TEXT NOT NULL,
    content TEXT NOT NULL, tool_calls TEXT NOT NULL DEFAULT '[]', tool_results TEXT NOT NULL DEFAULT '[]', timestamp INTEGER NOT NULL,
    FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE);`);
rust
  .prepare('INSERT OR IGNORE INTO sessions (id, directory, created_at, updated_at) VALUES (?, ?, ?, ?)')
  .run(id, '/projects/demo', 1_790_000_000, 1_790_000_005);
if (rust.prepare('SELECT COUNT(*) FROM messages').pluck().get() === 0) {
  const insert = rust.prepare(
    'INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  insert.run(id, 0, 'User', 'Add 5 and 3.', '[]', '[]', 1_790_000_001);
  insert.run(
    id,
    1,
    'Assistant',
    'It is 8.',
    '[{"id":"tooluse_1","name":"calculator","input":"{\\"a\\":5,\\"b\\":3}"}]',
    '[{"tool_use_id":"tooluse_1","success":true,"content":"8"}]',
    1_790_000_005,
  );
}
rust.close();

const store = new SqliteSessionStore(file, { directory: '/projects/demo' });
const model = new ScriptedModel().text('Yes: 8.');
await new Agent({ model, sessionStore: store, sessionId: id }).run('Was it 8?');
const sent = model.requests[0]!.messages;
console.log(
  `Sent to the model: ${sent.map((m) => `${m.role}(${m.content.map((b) => (b.type === 'tool_result' ? `tool_result ${JSON.stringify((b.content[0] as { text: string }).text)}` : b.type)).join(', ')})`).join(' → ')}`,
);
const view = new Database(file, { readonly: true });
const roles = view.prepare('SELECT role FROM messages WHERE session_id = ? ORDER BY idx').pluck().all(id) as string[];
const seconds = view.prepare('SELECT timestamp FROM messages WHERE session_id = ? ORDER BY idx DESC LIMIT 1').pluck().get(id) as number;
view.close();
console.log(
  `What the Rust binary reads: roles ${roles.join(', ')}; newest timestamp ${seconds} s (${new Date(seconds * 1000).getUTCFullYear()})`,
);

// 2. A run that fails before the model answers.
const flaky = new ScriptedModel()
  .error(new ProviderError('Internal server error', { provider: 'demo', kind: 'server', status: 500 }))
  .text('Hello again.');
const agent = new Agent({ model: flaky, sessionStore: store, sessionId: id });
await agent.run('Are you there?').catch((e: Error) => console.log(`Run failed: ${e.message}`));
await agent.run('Hello?');
const stored = (await store.getSession(id))!.messages.slice(-4);
console.log(
  `Stored after the failure: ${stored.map((m) => (isUnansweredPromptNote(m) ? '[note]' : JSON.stringify(m.content))).join(' | ')}`,
);
console.log(
  `The failed prompt was sent again: ${JSON.stringify(flaky.requests.at(-1)!.messages).includes('Are you there?') ? 'yes' : 'no'}`,
);

// 3. A long conversation in a small window, summarized by a cheaper model.
const cheap = new ScriptedModel({ modelId: 'cheap-model' });
for (let k = 1; k <= 8; k++)
  cheap.text(`The user counted; the assistant confirmed each number (summary ${k}).`, { usage: { inputTokens: 400, outputTokens: 20 } });
const small = new ScriptedModel({ info: { name: 'small', contextWindow: 600, maxOutputTokens: 64 } });
const long = await store.createSession({ directory: '/projects/demo' });
const counter = new Agent({
  model: small,
  sessionStore: store,
  sessionId: long.id,
  conversationManager: new SummarizingConversationManager({ model: cheap }),
});
let summaryTokens = 0;
for (let i = 0; i < 8; i++) {
  small.text(`Number ${i} confirmed. ${'ok '.repeat(30)}`);
  const r = await counter.run(`Count ${i}. ${'please '.repeat(30)}`);
  if (r.usage.inputTokens >= 400) summaryTokens = r.usage.inputTokens;
}
const tail = (await store.loadTail(long.id, { limit: 1 }))!;
console.log(
  `Summary stored through message ${tail.summary?.throughIndex} of ${tail.messageCount} by ${tail.summary?.model}: "${tail.summary?.text}"`,
);
console.log(
  `Last request starts with the summary: ${JSON.stringify(small.requests.at(-1)!.messages[0]).includes('conversation-summary') ? 'yes' : 'no'}; summary call counted in the run's usage: ${summaryTokens >= 400 ? 'yes' : 'no'}`,
);
await store.close();
