/**
 * Conversion between provider messages and session messages, and repair of broken histories.
 * One provider message maps to one session message; `blocks` keeps it lossless.
 * @module
 */
import { type ContentBlock, type Message, toolResultContentText } from '../messages.js';
import type { SessionMessage } from './types.js';

/** Converts a provider message to a session message (lossless through `blocks`). */
export function toSessionMessage(message: Message, timestamp: Date = new Date()): SessionMessage {
  let text = '';
  const toolCalls: SessionMessage['toolCalls'] = [];
  const toolResults: SessionMessage['toolResults'] = [];
  for (const block of message.content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, input: JSON.stringify(block.input ?? {}) });
    else if (block.type === 'tool_result')
      toolResults.push({ toolUseId: block.toolUseId, success: !block.isError, content: toolResultContentText(block.content) });
  }
  return { role: message.role, content: text, toolCalls, toolResults, timestamp, blocks: structuredClone(message.content) };
}

function parseInput(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return {};
  }
}

/** Tool-result blocks of the seed's `toolResults`. */
function resultBlocks(m: SessionMessage): ContentBlock[] {
  return m.toolResults.map((r) => ({
    type: 'tool_result',
    toolUseId: r.toolUseId,
    content: [{ type: 'text', text: r.content }],
    isError: !r.success,
  }));
}

function toolUseBlocks(m: SessionMessage): ContentBlock[] {
  return m.toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: parseInput(c.input) }));
}

/**
 * Provider messages of one session message without `blocks` (the seed's fields only).
 *
 * The Rust original saves a whole run as one User row and one Assistant row that carries all
 * the run's tool calls, their results and the final text (mixtape-core `agent/run.rs`,
 * `finalize_run`). Such a row reads as what happened: assistant(tool_use…) → user(tool_result…)
 * → assistant(final text), with the real results. An assistant message with calls and no
 * results (this store's own layout, results in the next message) keeps its text before the calls.
 */
export function seedMessages(m: SessionMessage): Message[] {
  const text: ContentBlock[] = m.content ? [{ type: 'text', text: m.content }] : [];
  if (m.role === 'assistant') {
    if (m.toolCalls.length && m.toolResults.length) {
      return [
        { role: 'assistant', content: toolUseBlocks(m) },
        { role: 'user', content: resultBlocks(m) },
        ...(text.length ? [{ role: 'assistant' as const, content: text }] : []),
      ];
    }
    if (m.toolResults.length)
      return [{ role: 'user', content: resultBlocks(m) }, ...(text.length ? [{ role: 'assistant' as const, content: text }] : [])];
    const content = [...text, ...toolUseBlocks(m)];
    return content.length ? [{ role: 'assistant', content }] : [];
  }
  const content = [...resultBlocks(m), ...text];
  return content.length ? [{ role: 'user', content }] : [];
}

/**
 * Converts session messages back to provider messages. Messages without `blocks` (written by
 * the Rust original, older stores or by hand) are rebuilt from the seed's fields (see
 * {@link seedMessages} for the Rust original's one-row-per-run layout); `system` messages become
 * user text. Consecutive messages of the same role are merged so the history alternates.
 */
export function fromSessionMessages(messages: readonly SessionMessage[]): Message[] {
  const out: Message[] = [];
  for (const m of messages) {
    const parts: Message[] =
      m.blocks && m.blocks.length > 0
        ? [{ role: m.role === 'assistant' ? 'assistant' : 'user', content: structuredClone(m.blocks) }]
        : seedMessages(m);
    for (const part of parts) {
      const last = out[out.length - 1];
      if (last && last.role === part.role) last.content.push(...part.content);
      else out.push(part);
    }
  }
  return out;
}

/** Text of the synthetic result given to a tool call that never got one. */
export const INTERRUPTED_TOOL_RESULT =
  'Tool call was interrupted before it finished (the run was cancelled or the process stopped). It did not return a result.';

/** Result of {@link repairSessionMessages}. */
export interface SessionRepair {
  /** The repaired history. */
  messages: SessionMessage[];
  /** True when anything changed. */
  repaired: boolean;
  /**
   * When the repair only added messages at the end, these are they (append them);
   * otherwise null and the whole session must be rewritten.
   */
  appended: SessionMessage[] | null;
  /** Ids of tool calls that received a synthetic error result. */
  interruptedToolCalls: string[];
}

/** Results a seed-only assistant row carries itself (the Rust original's layout). */
function ownResultIds(m: SessionMessage): Set<string> {
  return new Set(m.blocks && m.blocks.length ? [] : m.toolResults.map((r) => r.toolUseId));
}

function resultIds(m: SessionMessage): Set<string> {
  const ids = new Set<string>();
  if (m.blocks) {
    for (const b of m.blocks) if (b.type === 'tool_result') ids.add(b.toolUseId);
  } else for (const r of m.toolResults) ids.add(r.toolUseId);
  return ids;
}

function callsOf(m: SessionMessage): { id: string; name: string }[] {
  if (m.blocks)
    return m.blocks.filter((b) => b.type === 'tool_use').map((b) => ({ id: (b as { id: string }).id, name: (b as { name: string }).name }));
  return m.toolCalls.map((c) => ({ id: c.id, name: c.name }));
}

function syntheticResults(missing: { id: string }[], timestamp: Date): SessionMessage {
  return {
    role: 'user',
    content: '',
    toolCalls: [],
    toolResults: missing.map((c) => ({ toolUseId: c.id, success: false, content: INTERRUPTED_TOOL_RESULT })),
    timestamp,
    blocks: missing.map((c) => ({
      type: 'tool_result',
      toolUseId: c.id,
      content: [{ type: 'text', text: INTERRUPTED_TOOL_RESULT }],
      isError: true,
    })),
  };
}

/** Options of {@link repairSessionMessages}. */
export interface RepairOptions {
  /** The messages are the newest ones of a longer session (results at the start answer older calls). */
  partial?: boolean;
}

/**
 * Makes a stored history valid for providers: every assistant tool call gets a result in the
 * next message (a synthetic error result when it had none), and tool results that answer no
 * call are dropped.
 */
export function repairSessionMessages(
  messages: readonly SessionMessage[],
  now: Date = new Date(),
  options: RepairOptions = {},
): SessionRepair {
  const out: SessionMessage[] = [];
  const interrupted: string[] = [];
  let appendOnly = true;
  let changed = false;
  let seenAssistant = false;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const prev = out[out.length - 1];
    // Drop tool results that do not answer the previous assistant's calls (not at the start of
    // a tail: the calls they answer are in older messages that were not loaded).
    const atTailStart = options.partial === true && !seenAssistant;
    if (m.role === 'assistant') seenAssistant = true;
    if (!atTailStart && m.role !== 'assistant' && (m.toolResults.length || m.blocks?.some((b) => b.type === 'tool_result'))) {
      const allowed = new Set(prev && prev.role === 'assistant' ? callsOf(prev).map((c) => c.id) : []);
      const ids = resultIds(m);
      const orphan = [...ids].some((id) => !allowed.has(id));
      if (orphan) {
        changed = true;
        appendOnly = false;
        const blocks = m.blocks?.filter((b) => b.type !== 'tool_result' || allowed.has(b.toolUseId));
        const fixed: SessionMessage = { ...m, toolResults: m.toolResults.filter((r) => allowed.has(r.toolUseId)) };
        if (blocks) fixed.blocks = blocks;
        if (fixed.toolResults.length || fixed.content || (blocks && blocks.length)) out.push(fixed);
        continue;
      }
    }
    out.push(m);
    if (m.role === 'assistant') {
      const calls = callsOf(m);
      if (!calls.length) continue;
      const next = messages[i + 1];
      const answered = next && next.role !== 'assistant' ? resultIds(next) : new Set<string>();
      const own = ownResultIds(m);
      const missing = calls.filter((c) => !answered.has(c.id) && !own.has(c.id));
      if (!missing.length) continue;
      changed = true;
      interrupted.push(...missing.map((c) => c.id));
      if (next && next.role !== 'assistant' && answered.size > 0) {
        // Some results exist: add the missing ones to that message.
        appendOnly = false;
        const synth = syntheticResults(missing, next.timestamp);
        const merged: SessionMessage = {
          ...next,
          toolResults: [...next.toolResults, ...synth.toolResults],
          blocks: [...(next.blocks ?? []), ...synth.blocks!],
        };
        out.push(merged);
        i++;
      } else {
        if (next) appendOnly = false;
        out.push(syntheticResults(missing, now));
      }
    }
  }
  return {
    messages: out,
    repaired: changed,
    appended: changed && appendOnly ? out.slice(messages.length) : changed ? null : [],
    interruptedToolCalls: interrupted,
  };
}
