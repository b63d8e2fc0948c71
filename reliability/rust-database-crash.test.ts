/**
 * Crash safety on a database shared with the Rust original (mixtape-cli 0.4.0): a child process
 * resuming a Rust-written session is killed with SIGKILL at random points, over and over, while
 * the Rust original (emulated with its own schema, statements and serde decoding, see
 * test-support/rust-sqlite-store.ts) keeps reading and writing the same file. After every kill:
 * the session loads here as a valid provider history with every step the child reported stored;
 * the Rust original still loads every session with every column in its format and saves it back.
 * Also: a kill before the model's first byte leaves the prompt unanswered, and the next run
 * closes it with a note and never sends it again.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Agent, fromSessionMessages, isUnansweredPromptNote, repairSessionMessages } from '@mixtape/core';
import { ScriptedModel, validateHistory } from '@mixtape/core/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { type RustMessage, RustStore } from '../test-support/rust-sqlite-store.js';

/** Kills per run of the suite. */
const KILLS = Number(process.env.MIXTAPE_RUST_CRASH_KILLS ?? 20);
const fixture = path.join(import.meta.dirname, 'fixtures', 'rust-resume-agent.ts');
const DIR = '/home/me/project';
const SESSION = 'e5555555-5555-4555-8555-555555555555';

function runAndKill(db: string, mode: string, killAfterMs: number): Promise<{ stored: number; done: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', fixture, db, SESSION, mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stored = -1;
    let done = false;
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith('STORED ')) {
          stored = Number(line.slice(7));
          timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        }
        if (line === 'DONE') done = true;
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`rust-resume-agent exited with ${code}: ${err}`));
      else resolve({ stored, done });
    });
  });
}

/** One run as the Rust agent saves it (finalize_run): the whole session rewritten with a User and an Assistant row more. */
function rustRun(rust: RustStore, run: number): void {
  const now = Math.floor(Date.now() / 1000);
  const view = rust.get(SESSION)!;
  const messages: RustMessage[] = view.messages.map((m) => ({
    role: m.role,
    content: m.content,
    tool_calls: m.tool_calls,
    tool_results: m.tool_results,
    timestamp: Math.floor(m.timestamp.getTime() / 1000),
  }));
  messages.push(
    { role: 'User', content: `rust run ${run}`, tool_calls: [], tool_results: [], timestamp: now },
    {
      role: 'Assistant',
      content: `rust answer ${run}`,
      tool_calls: [{ id: `rust_${run}`, name: 'calculator', input: `{"a":${run},"b":1}` }],
      tool_results: [{ tool_use_id: `rust_${run}`, success: true, content: String(run + 1) }],
      timestamp: now,
    },
  );
  rust.save(SESSION, messages, now);
}

/** A new database file holding one session the Rust original created and ran once. */
function rustWrittenDatabase(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-rust-crash-'));
  const db = path.join(dir, 'sessions.db');
  const rust = new RustStore(db);
  rust.create(SESSION, DIR, Math.floor(Date.now() / 1000));
  rustRun(rust, 0);
  rust.close();
  return db;
}

it(
  `a Rust-written session survives ${KILLS} SIGKILLs of a resuming agent, and the Rust original keeps reading and writing it`,
  { timeout: 600_000 },
  async () => {
    const db = rustWrittenDatabase();

    const store = new SqliteSessionStore(db, { directory: DIR });
    let kills = 0;
    let completed = 0;
    let lost = 0;
    let highWater = 0;
    for (let round = 1; kills < KILLS; round++) {
      const { stored, done } = await runAndKill(db, '12', Math.floor(Math.random() * 60));
      if (done) completed++;
      else kills++;
      const session = (await store.getSession(SESSION))!;
      const count = session.messages.length;
      if (stored > count) lost += stored - count;
      expect(count).toBeGreaterThanOrEqual(Math.max(stored, highWater));
      const repaired = repairSessionMessages(session.messages);
      expect(validateHistory(fromSessionMessages(repaired.messages))).toEqual([]);

      // The Rust original: every row in its format; it saves its view back and runs once more.
      const r = new RustStore(db);
      const view = r.get(SESSION)!;
      expect(view.messages.flatMap((m) => m.defaulted)).toEqual([]);
      expect(view.messages).toHaveLength(count);
      expect(r.list().find((s) => s.id === SESSION)!.messageCount).toBe(count);
      if (round % 3 === 0) rustRun(r, round);
      r.close();
      highWater = (await store.getSession(SESSION))!.messages.length;
    }
    // Rust runs read back here as call → result → text, with their real results.
    const final = (await store.getSession(SESSION))!;
    const history = fromSessionMessages(repairSessionMessages(final.messages).messages);
    expect(validateHistory(history)).toEqual([]);
    expect(JSON.stringify(history)).toContain('"toolUseId":"rust_0","content":[{"type":"text","text":"1"}],"isError":false');
    await store.close();
    console.log(`rust database crash safety: kills=${kills} completed=${completed} rows=${final.messages.length} losses=${lost}`);
    expect(lost).toBe(0);
  },
);

it(
  'a kill before the first byte leaves the prompt unanswered; the next run closes it with a note and never sends it again',
  { timeout: 120_000 },
  async () => {
    const db = rustWrittenDatabase();
    const { stored, done } = await runAndKill(db, 'stall', 20);
    expect(done).toBe(false);
    expect(stored).toBe(3);

    const store = new SqliteSessionStore(db, { directory: DIR });
    const crashed = (await store.getSession(SESSION))!.messages;
    expect(crashed.at(-1)!.content).toMatch(/^round at /);
    const model = new ScriptedModel().text('Here I am.');
    const agent = new Agent({ model, sessionStore: store, sessionId: SESSION });
    await agent.run('Are you there?');
    const sent = model.requests[0]!.messages;
    expect(validateHistory(sent)).toEqual([]);
    expect(JSON.stringify(sent)).not.toContain('round at ');
    const after = (await store.getSession(SESSION))!.messages;
    expect(after.slice(3).map((m) => (isUnansweredPromptNote(m) ? 'note' : m.content))).toEqual(['note', 'Are you there?', 'Here I am.']);
    expect(after[2]!.content).toMatch(/^round at /);
    await store.close();
    // The Rust original reads the note as an ordinary Assistant row.
    const r = new RustStore(db);
    expect(r.get(SESSION)!.messages.map((m) => m.role)).toEqual(['User', 'Assistant', 'User', 'Assistant', 'User', 'Assistant']);
    r.close();
  },
);
