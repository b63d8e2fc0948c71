/**
 * Session-store benchmark: what saving one more message costs as a session grows, against
 * the Rust original's strategy (delete and re-insert every message on each save), how long
 * loading a 10,000-message session takes, and how many bytes a message takes on disk.
 *
 * Run: `npm run bench -- session-store`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { type SessionMessage, type SessionStore, blocksToJson } from '@mixtape/core/session';
import { SqliteSessionStore, openSqliteDatabase, type SqliteDatabase } from '@mixtape/sqlite';
import { PostgresSessionStore } from '@mixtape/postgres';
import { postgresUnavailableReason, startPostgresCluster } from '../test-support/postgres-cluster.js';

/** Session lengths at which one more message is saved. */
export const SIZES = [10, 1_000, 10_000] as const;
/** Appends timed at each size (the median is reported). */
export const APPENDS_PER_SIZE = 25;
/** Rewrites timed at each size for the naïve strategy (fewer: at 10,000 each one is slow). */
export const REWRITES_PER_SIZE = 9;
/** Loads of the 10,000-message session timed. */
export const LOADS = 7;
/** Session lengths at which resuming is timed. */
export const RESUME_SIZES = [1_000, 10_000, 100_000] as const;
/** Resumes timed per length (median reported). */
export const RESUMES = 9;
/** Context window the resumed agent's sliding window uses (tokens; the agent's default). */
export const RESUME_CONTEXT_WINDOW = 200_000;
/** Resumed sessions held at once to measure memory per resumed session. */
export const HELD_RESUMES = 10;

/** A realistic agent history: question, assistant turn with a tool call, tool result, answer. */
export function benchMessage(i: number): SessionMessage {
  const timestamp = new Date(1_750_000_000_000 + i * 1000);
  switch (i % 4) {
    case 0: {
      const text = `Question ${i}: can you look at src/module-${i}.ts and tell me why the parser fails on nested generics? `.repeat(2);
      return { role: 'user', content: text, toolCalls: [], toolResults: [], timestamp, blocks: [{ type: 'text', text }] };
    }
    case 1: {
      const input = { path: `src/module-${i}.ts`, offset: 0, length: 200 };
      return {
        role: 'assistant',
        content: 'Let me read the file first.',
        toolCalls: [{ id: `toolu_${i}`, name: 'read_file', input: JSON.stringify(input) }],
        toolResults: [],
        timestamp,
        blocks: [
          { type: 'thinking', thinking: 'The user wants the parser bug; read the file.', signature: 'EqQBCgIYAhIM'.repeat(8) },
          { type: 'text', text: 'Let me read the file first.' },
          { type: 'tool_use', id: `toolu_${i}`, name: 'read_file', input },
        ],
      };
    }
    case 2: {
      const output = `export function parse(src: string) {\n  // line ${i}\n  return tokens(src).map((t) => t.kind);\n}\n`.repeat(8);
      return {
        role: 'user',
        content: '',
        toolCalls: [],
        toolResults: [{ toolUseId: `toolu_${i - 1}`, success: true, content: output }],
        timestamp,
        blocks: [{ type: 'tool_result', toolUseId: `toolu_${i - 1}`, isError: false, content: [{ type: 'text', text: output }] }],
      };
    }
    default: {
      const text =
        `The parser treats \`>>\` as a shift operator inside generics (turn ${i}). Split the token when the parser expects a closing angle bracket. `.repeat(
          2,
        );
      return { role: 'assistant', content: text, toolCalls: [], toolResults: [], timestamp, blocks: [{ type: 'text', text }] };
    }
  }
}

function history(n: number): SessionMessage[] {
  return Array.from({ length: n }, (_, i) => benchMessage(i));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function time(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * The Rust original's save: in one transaction, update the session, delete all its messages
 * and insert them all again. Same SQLite settings and the same row contents as our store, so
 * only the strategy differs.
 */
class RewriteOnSave {
  readonly #db: SqliteDatabase;
  readonly #save: (id: string, messages: SessionMessage[]) => void;
  constructor(file: string) {
    this.#db = openSqliteDatabase(file);
    this.#db.exec(`
      CREATE TABLE sessions (id TEXT PRIMARY KEY, directory TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, tool_calls TEXT NOT NULL, tool_results TEXT NOT NULL,
        blocks TEXT, timestamp INTEGER NOT NULL);
      CREATE INDEX idx_messages_session ON messages(session_id, idx);
    `);
    const touch = this.#db.prepare('UPDATE sessions SET updated_at = ? WHERE id = ?');
    const wipe = this.#db.prepare('DELETE FROM messages WHERE session_id = ?');
    const insert = this.#db.prepare(
      'INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, blocks, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#save = this.#db.transaction((id: string, messages: SessionMessage[]) => {
      touch.run(Date.now(), id);
      wipe.run(id);
      messages.forEach((m, i) =>
        insert.run(
          id,
          i,
          m.role,
          m.content,
          JSON.stringify(m.toolCalls),
          JSON.stringify(m.toolResults),
          m.blocks ? JSON.stringify(blocksToJson(m.blocks)) : null,
          m.timestamp.getTime(),
        ),
      );
    });
  }
  create(id: string): void {
    this.#db.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?)').run(id, '/bench', Date.now(), Date.now());
  }
  save(id: string, messages: SessionMessage[]): void {
    this.#save(id, messages);
  }
  close(): void {
    this.#db.close();
  }
}

const ms = (v: number) => (v < 1 ? `${v.toFixed(3)} ms` : v < 100 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`);
const ratio = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(0)}×`;

/** A forced full garbage collection (the flag is set at run time; the bench is not started with --expose-gc). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * What an agent does to resume (`agent.loadSession()`, as every run does first): its default
 * sliding window at a 200,000-token context loads the tail it needs, plus count, usage and summary.
 */
async function resume(store: SessionStore, id: string): Promise<Agent> {
  const agent = new Agent({
    model: new ScriptedModel({ info: { name: 'bench', contextWindow: RESUME_CONTEXT_WINDOW, maxOutputTokens: 8_192 } }),
    sessionStore: store,
    sessionId: id,
  });
  await agent.loadSession();
  return agent;
}

/** Seeds a session of n messages in batches (untimed). */
async function seed(store: SqliteSessionStore | PostgresSessionStore, n: number): Promise<string> {
  const s = await store.createSession();
  for (let i = 0; i < n; i += 5_000)
    await store.appendMessages(
      s.id,
      Array.from({ length: Math.min(5_000, n - i) }, (_, k) => benchMessage(i + k)),
    );
  return s.id;
}

interface ResumeRow {
  name: string;
  resume: number[];
  whole: number[];
  loaded: number[];
  heapPerResume: number;
  heapPerWhole: number;
}

async function resumeRows(name: string, store: SqliteSessionStore | PostgresSessionStore): Promise<ResumeRow> {
  const row: ResumeRow = { name, resume: [], whole: [], loaded: [], heapPerResume: 0, heapPerWhole: 0 };
  let biggest = '';
  for (const n of RESUME_SIZES) {
    process.stderr.write(`  ${name}: seeding ${n.toLocaleString('en-US')} messages\n`);
    const id = await seed(store, n);
    biggest = id;
    await resume(store, id); // warm up (prepared statements, caches)
    const r: number[] = [];
    for (let k = 0; k < RESUMES; k++) r.push(await time(() => resume(store, id)));
    row.resume.push(median(r));
    row.loaded.push((await resume(store, id)).messages.length);
    const w: number[] = [];
    for (let k = 0; k < (n >= 100_000 ? 3 : 5); k++) w.push(await time(() => store.getSession(id)));
    row.whole.push(median(w));
  }
  // Memory held per resumed session at the largest length: HELD_RESUMES loads kept alive.
  const heap = async (load: () => Promise<unknown>): Promise<number> => {
    collect();
    const before = process.memoryUsage().heapUsed;
    const held: unknown[] = [];
    for (let k = 0; k < HELD_RESUMES; k++) held.push(await load());
    collect();
    const after = process.memoryUsage().heapUsed;
    return held.length ? (after - before) / held.length : 0;
  };
  row.heapPerResume = await heap(() => resume(store, biggest));
  row.heapPerWhole = await heap(() => store.getSession(biggest));
  return row;
}

async function resumeSection(folder: string): Promise<string> {
  const rows: ResumeRow[] = [];
  rows.push(await resumeRows('SqliteSessionStore', new SqliteSessionStore(join(folder, 'resume.db'), { directory: '/bench' })));
  let note = '';
  const unavailable = postgresUnavailableReason();
  if (unavailable) note = `PostgreSQL rows skipped: ${unavailable}.`;
  else {
    const cluster = await startPostgresCluster();
    try {
      const pg = new PostgresSessionStore({ connectionString: cluster.url, directory: '/bench' });
      rows.push(await resumeRows('PostgresSessionStore', pg));
      await pg.close();
    } finally {
      cluster.stop();
    }
  }
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  return [
    '## Session store: resuming a long session',
    '',
    `What an agent loads to resume (\`agent.loadSession()\`, the first thing every run does: the newest messages its default sliding window can use at a ${RESUME_CONTEXT_WINDOW.toLocaleString('en-US')}-token context, plus count, usage and summary, through \`loadTail\`) against loading the whole session (\`getSession\`, which stays complete). Median of ${RESUMES} resumes; memory is the heap kept per resumed session (${HELD_RESUMES} held at once, after a full GC) at ${RESUME_SIZES.at(-1)!.toLocaleString('en-US')} messages. Messages as above (question, assistant turn with thinking and a tool call, tool result, answer).`,
    '',
    `| store | ${RESUME_SIZES.map((n) => `resume at ${n.toLocaleString('en-US')}`).join(' | ')} | ${RESUME_SIZES.at(-1)!.toLocaleString('en-US')} ÷ ${RESUME_SIZES[0].toLocaleString('en-US')} | messages in the agent's history | whole load at ${RESUME_SIZES.map((n) => n.toLocaleString('en-US')).join(' / ')} | heap per resumed session (tail / whole) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.resume.map(ms).join(' | ')} | ${ratio(r.resume.at(-1)! / r.resume[0]!)} | ${r.loaded.map((n) => n.toLocaleString('en-US')).join(' / ')} | ${r.whole.map(ms).join(' / ')} | ${mb(r.heapPerResume)} / ${mb(r.heapPerWhole)} |`,
    ),
    ...(note ? ['', note] : []),
  ].join('\n');
}

export default async function sessionStoreBench(): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'mixtape-bench-sessions-'));
  try {
    const store = new SqliteSessionStore(join(folder, 'mixtape.db'), { directory: '/bench' });
    const naive = new RewriteOnSave(join(folder, 'rewrite.db'));
    const append: number[] = [];
    const save: number[] = [];
    const rewrite: number[] = [];
    for (const size of SIZES) {
      // Our store, appendMessages (what the agent does after each step).
      const s = await store.createSession({ messages: history(size) });
      const samples: number[] = [];
      for (let k = 0; k < APPENDS_PER_SIZE; k++) {
        const m = benchMessage(size + k);
        samples.push(await time(() => store.appendMessages(s.id, [m])));
      }
      append.push(median(samples));

      // Our store, saveSession of the whole session with one message more (prefix → append).
      const full = (await store.getSession(s.id))!;
      const saves: number[] = [];
      for (let k = 0; k < REWRITES_PER_SIZE; k++) {
        full.messages.push(benchMessage(size + APPENDS_PER_SIZE + k));
        saves.push(await time(() => store.saveSession(full)));
      }
      save.push(median(saves));

      // The Rust original's strategy: rewrite every message on each save.
      const id = `naive-${size}`;
      naive.create(id);
      const messages = history(size);
      naive.save(id, messages);
      const rewrites: number[] = [];
      for (let k = 0; k < REWRITES_PER_SIZE; k++) {
        messages.push(benchMessage(size + k));
        rewrites.push(await time(() => naive.save(id, messages)));
      }
      rewrite.push(median(rewrites));
    }
    naive.close();
    await store.close();

    // Load time and size of one 10,000-message session in a database of its own.
    const loadFile = join(folder, 'load.db');
    const loadStore = new SqliteSessionStore(loadFile, { directory: '/bench' });
    const big = await loadStore.createSession({ messages: history(10_000) });
    const loads: number[] = [];
    for (let k = 0; k < LOADS; k++) loads.push(await time(() => loadStore.getSession(big.id)));
    await loadStore.close(); // closing the last connection checkpoints the WAL into the file
    const bytes = statSync(loadFile).size;
    // The same 10,000 messages with every column written (as the rewrite strategy stores them).
    const fullFile = join(folder, 'full-columns.db');
    const full = new RewriteOnSave(fullFile);
    full.create('full');
    full.save('full', history(10_000));
    full.close();
    const fullBytes = statSync(fullFile).size;

    const rows = [
      ['`appendMessages` (Mixtape: insert the new row)', append],
      ['`saveSession` of the whole session (Mixtape: compare, insert the new row)', save],
      ['rewrite whole session on save (Rust original: delete + re-insert all)', rewrite],
    ] as const;
    const lines = [
      '## Session store (SQLite): cost of saving one more message',
      '',
      `Median of ${APPENDS_PER_SIZE} appends / ${REWRITES_PER_SIZE} saves at each session length; WAL, synchronous=NORMAL, same rows for every strategy.`,
      '',
      `| strategy | ${SIZES.map((n) => `turn ${n.toLocaleString('en-US')}`).join(' | ')} | turn 10,000 ÷ turn 10 |`,
      `|---|${SIZES.map(() => '---:').join('|')}|---:|`,
      ...rows.map(([name, v]) => `| ${name} | ${v.map(ms).join(' | ')} | ${ratio(v[v.length - 1]! / v[0]!)} |`),
      `| rewrite ÷ append | ${SIZES.map((_, i) => ratio(rewrite[i]! / append[i]!)).join(' | ')} | |`,
      '',
      '| measure | value |',
      '|---|---:|',
      `| load a 10,000-message session (\`getSession\`, median of ${LOADS}) | ${ms(median(loads))} |`,
      `| bytes per message on disk (Mixtape, file ${(bytes / 1e6).toFixed(1)} MB ÷ 10,000) | ${Math.round(bytes / 10_000).toLocaleString('en-US')} B |`,
      `| the same messages with the seed fields written beside the blocks | ${Math.round(fullBytes / 10_000).toLocaleString('en-US')} B |`,
    ];
    return `${lines.join('\n')}\n\n${await resumeSection(folder)}`;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
