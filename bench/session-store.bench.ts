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
import { type SessionMessage, blocksToJson } from '@mixtape/core/session';
import { SqliteSessionStore, openSqliteDatabase, type SqliteDatabase } from '@mixtape/sqlite';

/** Session lengths at which one more message is saved. */
export const SIZES = [10, 1_000, 10_000] as const;
/** Appends timed at each size (the median is reported). */
export const APPENDS_PER_SIZE = 25;
/** Rewrites timed at each size for the naïve strategy (fewer: at 10,000 each one is slow). */
export const REWRITES_PER_SIZE = 9;
/** Loads of the 10,000-message session timed. */
export const LOADS = 7;

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
      const text = `The parser treats \`>>\` as a shift operator inside generics (turn ${i}). Split the token when the parser expects a closing angle bracket. `.repeat(2);
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
        insert.run(id, i, m.role, m.content, JSON.stringify(m.toolCalls), JSON.stringify(m.toolResults), m.blocks ? JSON.stringify(blocksToJson(m.blocks)) : null, m.timestamp.getTime()),
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
    return lines.join('\n');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
