/**
 * Persistence against the peers: the cost of saving one more message to a conversation that
 * already holds 10 / 1,000 / 10,000 messages, and the time to resume (load) a 10,000-message
 * conversation — Mixtape's SqliteSessionStore and PostgresSessionStore against Mastra's memory
 * (@mastra/memory on @mastra/libsql, and @mastra/pg) and LangGraph.js checkpointers (SqliteSaver,
 * PostgresSaver), all in this process, on this machine, in this run.
 *
 * Their models differ: Mixtape and Mastra append message rows; a LangGraph checkpoint holds the
 * state's whole message list, written again at every step (so one step at turn N writes N
 * messages). PostgreSQL rows need `initdb`/`pg_ctl` (a throwaway cluster on 127.0.0.1 is started
 * and removed); without them those rows are skipped with a note. Peers come from bench/peers
 * (`npm run bench:setup`). Run: `npm run bench -- persistence-peers`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SessionMessage } from '@mixtape/core/session';
import { Agent } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { PostgresSessionStore } from '@mixtape/postgres';
import { postgresUnavailableReason, startPostgresCluster, type PostgresCluster } from '../test-support/postgres-cluster.js';
import { benchMessage } from './session-store.bench.js';
import { PEERS_MISSING_NOTE, peer, peerVersion, peersInstalled } from './peers/lib/peer.js';

/** Conversation lengths at which one more message is saved. */
export const SIZES = [10, 1_000, 10_000] as const;
/** Appends timed per size (median reported); fewer for stores that rewrite the whole list. */
export const APPENDS = 15;
export const APPENDS_WHOLE_LIST = 5;
/** Length of the resumed conversation, and loads timed (median reported). */
export const RESUME_MESSAGES = 10_000;
export const LOADS = 5;
/** Loads stop early once they have taken this long in total (at least one is timed). */
export const LOAD_BUDGET_MS = 15_000;
/** `selectBy.last` that makes Mastra's Memory.query return the whole thread. */
export const MASTRA_RECALL_ALL = 1_000_000;
/** Messages per bulk insert while seeding (untimed). */
export const SEED_BATCH = 1_000;

/** One store under test: a conversation handle, seeded in bulk, appended to, loaded. */
interface Contender {
  name: string;
  /** Whether every save rewrites the whole message list (LangGraph checkpoints). */
  wholeList: boolean;
  /** Creates a conversation holding messages [0, n) and returns its handle. */
  seed(n: number): Promise<string>;
  /** Saves message i to the conversation. */
  append(handle: string, i: number): Promise<void>;
  /** Loads the conversation; resolves with its message count. */
  load(handle: string): Promise<number>;
  close(): Promise<void>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

// ---- Mixtape ---------------------------------------------------------------------------------

/**
 * `resume: 'agent'` loads as an agent does before a run (`agent.loadSession()`): only the tail its
 * default sliding window (200,000 tokens) can use, plus count, usage and summary; `'whole'` is `getSession`.
 */
function mixtape(name: string, store: SqliteSessionStore | PostgresSessionStore, resume: 'whole' | 'agent' = 'whole'): Contender {
  return {
    name,
    wholeList: false,
    async seed(n) {
      const s = await store.createSession({ messages: Array.from({ length: n }, (_, i) => benchMessage(i)) });
      return s.id;
    },
    append: (id, i) => store.appendMessages(id, [benchMessage(i)]),
    load: async (id) => {
      if (resume === 'whole') return (await store.getSession(id))!.messages.length;
      const agent = new Agent({
        model: new ScriptedModel({ info: { name: 'bench', contextWindow: 200_000, maxOutputTokens: 8_192 } }),
        sessionStore: store,
        sessionId: id,
      });
      return (await agent.loadSession())!.messageCount;
    },
    close: () => store.close(),
  };
}

// ---- Mastra ----------------------------------------------------------------------------------

/** The same conversation in Mastra's message format (v2: parts; tool calls and results as tool-invocation parts). */
function mastraMessage(i: number, threadId: string): Record<string, unknown> {
  const m: SessionMessage = benchMessage(i);
  const parts: unknown[] = [];
  for (const b of m.blocks ?? []) {
    if (b.type === 'text') parts.push({ type: 'text', text: b.text });
    else if (b.type === 'thinking')
      parts.push({ type: 'reasoning', reasoning: '', details: [{ type: 'text', text: b.thinking, signature: b.signature }] });
    else if (b.type === 'tool_use')
      parts.push({ type: 'tool-invocation', toolInvocation: { state: 'call', toolCallId: b.id, toolName: b.name, args: b.input } });
    else if (b.type === 'tool_result')
      parts.push({
        type: 'tool-invocation',
        toolInvocation: {
          state: 'result',
          toolCallId: b.toolUseId,
          toolName: 'read_file',
          args: {},
          result: b.content.map((c) => (c.type === 'text' ? c.text : '')).join(''),
        },
      });
  }
  const isToolResult = m.toolResults.length > 0;
  return {
    id: `${threadId}-${i}`,
    threadId,
    resourceId: 'bench',
    role: isToolResult ? 'assistant' : m.role,
    createdAt: m.timestamp,
    type: 'v2',
    content: { format: 2, parts, ...(m.content ? { content: m.content } : {}) },
  };
}

async function mastra(name: string, storage: any, resume: 'memory' | 'storage' = 'memory'): Promise<Contender> {
  const { Memory } = await peer('@mastra/memory');
  // What a Mastra agent with memory calls: Memory.saveMessages after each step, Memory.query to recall.
  const memory = new Memory({ storage, options: { lastMessages: false, semanticRecall: false, workingMemory: { enabled: false } } });
  return {
    name,
    wholeList: false,
    async seed(n) {
      const threadId = randomUUID();
      await memory.saveThread({
        thread: { id: threadId, resourceId: 'bench', title: 'bench', createdAt: new Date(), updatedAt: new Date(), metadata: {} },
      });
      for (let i = 0; i < n; i += SEED_BATCH) {
        const batch = Array.from({ length: Math.min(SEED_BATCH, n - i) }, (_, k) => mastraMessage(i + k, threadId));
        await storage.saveMessages({ messages: batch, format: 'v2' });
      }
      return threadId;
    },
    append: (threadId, i) => memory.saveMessages({ messages: [mastraMessage(i, threadId)], format: 'v2' }),
    // Without `last`, recall stops at the newest 40 (and `last: false` returns none): ask for all.
    load: async (threadId) =>
      resume === 'memory'
        ? (await memory.query({ threadId, resourceId: 'bench', selectBy: { last: MASTRA_RECALL_ALL } })).messagesV2.length
        : (await storage.getMessages({ threadId, format: 'v2', selectBy: { last: MASTRA_RECALL_ALL } })).length,
    close: async () => {
      await storage.close?.();
    },
  };
}

// ---- LangGraph.js ----------------------------------------------------------------------------

async function langgraph(name: string, saver: any): Promise<Contender> {
  const { emptyCheckpoint, uuid6 } = await peer('@langchain/langgraph-checkpoint');
  const { AIMessage, HumanMessage, ToolMessage } = await peer('@langchain/core/messages');
  function lcMessage(i: number): unknown {
    const m = benchMessage(i);
    if (m.toolResults.length) return new ToolMessage({ content: m.toolResults[0]!.content, tool_call_id: m.toolResults[0]!.toolUseId });
    if (m.role === 'user') return new HumanMessage(m.content);
    const thinking = m.blocks?.find((b) => b.type === 'thinking');
    return new AIMessage({
      content: m.content,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        name: c.name,
        args: JSON.parse(c.input) as Record<string, unknown>,
        type: 'tool_call' as const,
      })),
      ...(thinking?.type === 'thinking' && { additional_kwargs: { thinking: thinking.thinking, signature: thinking.signature } }),
    });
  }
  // Per thread: its message list (the graph state) and the config of its latest checkpoint.
  const threads = new Map<string, { messages: unknown[]; step: number; config: unknown }>();
  /** Writes one checkpoint holding the whole list, as a graph step over MessagesAnnotation does. */
  async function checkpoint(threadId: string): Promise<void> {
    const t = threads.get(threadId)!;
    t.step++;
    const cp = {
      ...emptyCheckpoint(),
      id: uuid6(t.step),
      ts: new Date().toISOString(),
      channel_values: { messages: t.messages },
      channel_versions: { messages: t.step },
      versions_seen: {},
    };
    t.config = await saver.put(t.config, cp, { source: 'loop', step: t.step, parents: {} }, { messages: t.step });
  }
  return {
    name,
    wholeList: true,
    async seed(n) {
      const threadId = randomUUID();
      threads.set(threadId, {
        messages: Array.from({ length: n }, (_, i) => lcMessage(i)),
        step: 0,
        config: { configurable: { thread_id: threadId, checkpoint_ns: '' } },
      });
      await checkpoint(threadId);
      return threadId;
    },
    async append(threadId, i) {
      threads.get(threadId)!.messages.push(lcMessage(i));
      await checkpoint(threadId);
    },
    load: async (threadId) =>
      ((await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } })).checkpoint.channel_values.messages as unknown[])
        .length,
    close: async () => {
      await saver.end?.();
      saver.db?.close?.();
    },
  };
}

// ---- the run ---------------------------------------------------------------------------------

const ms = (v: number | undefined) =>
  v === undefined ? '—' : v < 1 ? `${v.toFixed(3)} ms` : v < 100 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`;

export default async function (): Promise<string> {
  const heading = '## Persistence against the peers: saving one more message, resuming a long conversation';
  if (!peersInstalled()) return `${heading}\n\n${PEERS_MISSING_NOTE}`;
  const folder = mkdtempSync(path.join(os.tmpdir(), 'mixtape-bench-persist-'));
  const notes: string[] = [];
  let cluster: PostgresCluster | undefined;
  const pgReason = postgresUnavailableReason();
  if (pgReason) notes.push(`PostgreSQL rows skipped: ${pgReason}`);
  else {
    try {
      cluster = await startPostgresCluster();
    } catch (error) {
      notes.push(`PostgreSQL rows skipped: the throwaway cluster did not start (${String(error).slice(0, 200)}).`);
    }
  }
  const { LibSQLStore } = await peer('@mastra/libsql');
  const { SqliteSaver } = await peer('@langchain/langgraph-checkpoint-sqlite');
  const makers: [string, () => Promise<Contender>][] = [
    [
      'Mixtape SqliteSessionStore',
      async () =>
        mixtape('Mixtape SqliteSessionStore (file, WAL)', new SqliteSessionStore(path.join(folder, 'mixtape.db'), { directory: '/bench' })),
    ],
    [
      'Mixtape SqliteSessionStore, agent resume',
      async () =>
        mixtape(
          'Mixtape SqliteSessionStore, resume as an agent does (tail its window uses)',
          new SqliteSessionStore(path.join(folder, 'mixtape-agent.db'), { directory: '/bench' }),
          'agent',
        ),
    ],
    [
      'Mastra memory on libsql',
      async () => {
        const storage = new LibSQLStore({ url: `file:${path.join(folder, 'mastra.db')}` });
        await storage.init();
        return mastra(`Mastra ${peerVersion('@mastra/memory')} memory on @mastra/libsql ${peerVersion('@mastra/libsql')} (file)`, storage);
      },
    ],
    [
      'Mastra storage on libsql',
      async () => {
        const storage = new LibSQLStore({ url: `file:${path.join(folder, 'mastra-storage.db')}` });
        await storage.init();
        return mastra(`Mastra memory on @mastra/libsql, resume by \`storage.getMessages\` (rows only, no MessageList)`, storage, 'storage');
      },
    ],
    [
      'LangGraph SqliteSaver',
      async () =>
        langgraph(
          `LangGraph.js SqliteSaver ${peerVersion('@langchain/langgraph-checkpoint-sqlite')} (file)`,
          SqliteSaver.fromConnString(path.join(folder, 'langgraph.db')),
        ),
    ],
  ];
  if (cluster) {
    const url = cluster.url;
    const { PostgresStore } = await peer('@mastra/pg');
    const { PostgresSaver } = await peer('@langchain/langgraph-checkpoint-postgres');
    makers.push(
      [
        'Mixtape PostgresSessionStore',
        async () => {
          const store = new PostgresSessionStore({ connectionString: url, directory: '/bench' });
          await store.migrate();
          return mixtape('Mixtape PostgresSessionStore', store);
        },
      ],
      [
        'Mastra memory on pg',
        async () => {
          const storage = new PostgresStore({ connectionString: url });
          await storage.init();
          return mastra(`Mastra memory on @mastra/pg ${peerVersion('@mastra/pg')}`, storage);
        },
      ],
      [
        'LangGraph PostgresSaver',
        async () => {
          const saver = PostgresSaver.fromConnString(url);
          await saver.setup();
          return langgraph(`LangGraph.js PostgresSaver ${peerVersion('@langchain/langgraph-checkpoint-postgres')}`, saver);
        },
      ],
    );
  }

  const rows: string[] = [];
  const started = performance.now();
  try {
    for (const [label, make] of makers) {
      process.stderr.write(`  persistence: ${label}...\n`);
      let c: Contender | undefined;
      try {
        c = await make();
        const appends: number[] = [];
        for (const size of SIZES) {
          const handle = await c.seed(size);
          const samples: number[] = [];
          const n = c.wholeList ? APPENDS_WHOLE_LIST : APPENDS;
          for (let k = 0; k < n; k++) samples.push(await time(() => c!.append(handle, size + k)));
          appends.push(median(samples));
          process.stderr.write(`    append at ${size}: ${ms(median(samples))}\n`);
        }
        const big = await c.seed(RESUME_MESSAGES);
        const loads: number[] = [];
        let spent = 0;
        for (let k = 0; k < LOADS && spent < LOAD_BUDGET_MS; k++) {
          let count = 0;
          loads.push(await time(async () => void (count = await c!.load(big))));
          spent += loads[loads.length - 1]!;
          process.stderr.write(`    load: ${ms(loads[loads.length - 1])}\n`);
          if (count !== RESUME_MESSAGES) throw new Error(`${c.name} loaded ${count} messages, expected ${RESUME_MESSAGES}`);
        }
        rows.push(
          `| ${c.name} | ${appends.map(ms).join(' | ')} | ${(appends[2]! / appends[0]!).toFixed(1)}× | ${ms(median(loads))}${loads.length < LOADS ? ` (${loads.length} load${loads.length > 1 ? 's' : ''}: ${LOAD_BUDGET_MS / 1000} s budget)` : ''} |`,
        );
      } catch (error) {
        rows.push(`| ${label} | failed: ${String(error).replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 200)} | | | | |`);
      } finally {
        await c?.close().catch(() => {});
      }
    }
  } finally {
    cluster?.stop();
    rmSync(folder, { recursive: true, force: true });
  }
  return [
    heading,
    '',
    `Median of ${APPENDS} appends (${APPENDS_WHOLE_LIST} for LangGraph, whose every step rewrites the whole list) at each conversation length, and of ${LOADS} loads of a ${RESUME_MESSAGES.toLocaleString('en-US')}-message conversation; the same messages (question, assistant turn with thinking and a tool call, tool result, answer — as in the session-store bench) in each store's own format. ` +
      'Mixtape appends one row per message (`appendMessages`; resume = `getSession`). Mastra: `Memory.saveMessages` (one row per message; resume = `Memory.query` with `selectBy.last` above the length — its default recalls only the newest 40 — which builds a MessageList of the whole thread and converts it to AI SDK messages; the row "resume by `storage.getMessages`" reads the stored rows only). Slow loads stop after a ' +
      String(LOAD_BUDGET_MS / 1000) +
      ' s budget. ' +
      'LangGraph.js: one checkpoint per step (`saver.put`) holding the whole message list of a MessagesAnnotation state, as a graph step writes it (resume = `getTuple` of the latest checkpoint); a real thread also keeps every earlier checkpoint, so its storage grows with the square of the length — not measured here. ' +
      `All stores in one process on this machine, one after the other; the section took ${((performance.now() - started) / 60_000).toFixed(1)} min.`,
    ...(notes.length ? ['', ...notes] : []),
    '',
    `| store | ${SIZES.map((n) => `append at turn ${n.toLocaleString('en-US')}`).join(' | ')} | turn 10,000 ÷ turn 10 | resume ${RESUME_MESSAGES.toLocaleString('en-US')} messages |`,
    `|---|${SIZES.map(() => '---:').join('|')}|---:|---:|`,
    ...rows,
  ].join('\n');
}
