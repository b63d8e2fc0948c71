/**
 * Sessions in SQLite without an agent: resume, append, rename, usage totals, fork, export to
 * versioned JSON, import on "another machine", and a lost update caught as a conflict.
 *
 * Run: node --conditions=mixtape-source --import tsx examples/sqlite-sessions.ts [database-file]
 * (default: a new temporary file). Run it twice with the same file to see the session resume.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type SessionMessage, SessionError } from '@mixtape/core';
import { exportSession, forkSession, importSession } from '@mixtape/core/session';
import { SqliteSessionStore } from '@mixtape/sqlite';

const file = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'mixtape-example-')), 'sessions.db');
// A 1×1 PNG, as a tool might return a screenshot.
const png = Uint8Array.from(
  Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'),
);

const store = new SqliteSessionStore(file, { directory: '/projects/demo' });
const session = await store.getOrCreateSession();
console.log(`Database: ${file}`);
console.log(
  session.messages.length
    ? `Resumed session ${session.id.slice(0, 8)} ("${session.title}") with ${session.messages.length} messages`
    : `New session ${session.id.slice(0, 8)}`,
);

// One exchange: question, assistant turn with thinking and a tool call, tool result with an image, answer.
const turn = session.messages.length / 4 + 1;
const now = () => new Date();
const exchange: SessionMessage[] = [
  {
    role: 'user',
    content: `Take screenshot #${turn}`,
    toolCalls: [],
    toolResults: [],
    timestamp: now(),
    blocks: [{ type: 'text', text: `Take screenshot #${turn}` }],
  },
  {
    role: 'assistant',
    content: '',
    toolCalls: [{ id: `toolu_${turn}`, name: 'screenshot', input: '{}' }],
    toolResults: [],
    timestamp: now(),
    blocks: [
      { type: 'thinking', thinking: 'A screenshot tool exists; call it.', signature: 'c2lnbmF0dXJl' },
      { type: 'tool_use', id: `toolu_${turn}`, name: 'screenshot', input: {} },
    ],
  },
  {
    role: 'user',
    content: '',
    toolCalls: [],
    toolResults: [{ toolUseId: `toolu_${turn}`, success: true, content: '[Image: image/png, 70 bytes]' }],
    timestamp: now(),
    blocks: [
      { type: 'tool_result', toolUseId: `toolu_${turn}`, isError: false, content: [{ type: 'image', mediaType: 'image/png', data: png }] },
    ],
  },
  {
    role: 'assistant',
    content: 'Here it is: a single white pixel.',
    toolCalls: [],
    toolResults: [],
    timestamp: now(),
    blocks: [{ type: 'text', text: 'Here it is: a single white pixel.' }],
  },
];
await store.appendMessages(session.id, exchange, { expectedCount: session.messages.length });
await store.renameSession(session.id, 'Screenshots');
await store.recordUsage(session.id, { inputTokens: 1250, outputTokens: 87, costUsd: 0.005055 });
console.log(`Appended ${exchange.length} messages; the session now holds ${session.messages.length + exchange.length}`);

// Writing with the count read before our append (as a second writer would): a conflict, not an interleaving.
try {
  await store.appendMessages(session.id, [exchange[0]!], { expectedCount: session.messages.length });
} catch (e) {
  if (!(e instanceof SessionError) || e.kind !== 'conflict') throw e;
  console.log(`Conflict caught: ${e.message}`);
}

console.log('Sessions, newest first:');
for (const s of await store.listSessions()) {
  console.log(
    `  ${s.id.slice(0, 8)}  ${String(s.messageCount).padStart(3)} message${s.messageCount === 1 ? ' ' : 's'}  ${s.title ?? '(untitled)'}  $${s.usage?.costUsd.toFixed(4) ?? '0'}`,
  );
}

// Fork: try another direction from after the first question, in a directory of its own so
// that this directory keeps resuming the original.
const fork = await forkSession(store, session.id, {
  atMessage: 1,
  title: 'Screenshots, another way',
  directory: '/projects/demo-experiment',
});
console.log(
  `Forked ${fork.id.slice(0, 8)} from ${fork.forkedFrom?.slice(0, 8)} at message 1: ${fork.messages.length} message, "${fork.title}"`,
);

// Export to versioned JSON and import it into another database, as on another machine.
const exported = await exportSession(store, session.id);
const exportFile = join(dirname(file), `session-${session.id.slice(0, 8)}.json`);
writeFileSync(exportFile, JSON.stringify(exported, null, 2));
console.log(`Exported ${exported.format} v${exported.version} with ${exported.session.messages.length} messages to ${exportFile}`);

const elsewhere = new SqliteSessionStore(join(dirname(file), 'elsewhere.db'), { directory: '/home/someone/demo' });
const imported = await importSession(elsewhere, exported, { directory: elsewhere.directory });
const copy = (await elsewhere.getSession(imported.id))!;
const image = copy.messages.at(-2)!.blocks![0]!; // the tool result of the last exchange
const bytes = image.type === 'tool_result' && image.content[0]!.type === 'image' ? image.content[0]!.data : undefined;
const identical = bytes instanceof Uint8Array && Buffer.from(bytes).equals(Buffer.from(png));
console.log(
  `Imported as ${imported.id.slice(0, 8)} in ${copy.directory}: ${copy.messages.length} messages, title "${copy.title}", $${copy.usage?.costUsd.toFixed(6)}`,
);
console.log(`Image bytes identical after export and import: ${identical ? 'yes' : 'NO'}`);
console.log(
  `Timestamps keep milliseconds: ${copy.messages.at(-1)!.timestamp.getTime() === exchange.at(-1)!.timestamp.getTime() ? 'yes' : 'NO'}`,
);

await elsewhere.close();
await store.close();
