/**
 * What a RunAgentInput asks for, read once and bounded: a new user message (text, images,
 * documents), or the continuation of a paused run (`resume[]` answers and trailing `tool`
 * messages for client-side tools), plus the client's tools, context and state.
 * @module
 */
import type { Message as AguiMessage, ResumeEntry, RunAgentInput } from '@ag-ui/core';
import type { ContentBlock, ToolResultContent } from '@mixtape/core';
import { DEFAULT_MAX_CLIENT_TOOLS, DEFAULT_MAX_MESSAGE_CHARS, DEFAULT_MAX_RUN_MESSAGES, type RunInputLimits } from './options.js';

/** Raised for a RunAgentInput the server cannot run; `status` is the HTTP status to answer (400 or 413). */
export class RunInputError extends Error {
  override name = 'RunInputError';
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
    readonly code = status === 413 ? 'input_too_large' : 'invalid_run_input',
  ) {
    super(message);
  }
}

/** A tool the client runs (declared in RunAgentInput.tools). */
export interface ClientTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** The result of a client-side tool, from a `tool` message. */
export interface ClientToolResult {
  toolCallId: string;
  content: string | ToolResultContent[];
  isError: boolean;
}

/** What a run is asked to do. */
export type RunRequest =
  | { kind: 'prompt'; prompt: string; attachments: ContentBlock[] }
  | { kind: 'continue'; resume: ResumeEntry[]; toolResults: ClientToolResult[] };

/** A RunAgentInput, read. */
export interface ParsedRunInput {
  request: RunRequest;
  clientTools: ClientTool[];
  context: { description: string; value: string }[];
  /** The client's state, when it sent one (an object); undefined otherwise. */
  state: Record<string, unknown> | undefined;
}

/** Tool names providers accept. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Prompt sent with attachments that carry no text. */
export const ATTACHMENTS_ONLY_PROMPT = 'See the attached file(s).';

function limitsOf(l: RunInputLimits = {}) {
  return {
    maxMessages: l.maxMessages ?? DEFAULT_MAX_RUN_MESSAGES,
    maxMessageChars: l.maxMessageChars ?? DEFAULT_MAX_MESSAGE_CHARS,
    maxClientTools: l.maxClientTools ?? DEFAULT_MAX_CLIENT_TOOLS,
  };
}

/** Content parts of a user message → prompt text and attachment blocks. */
function userContent(content: AguiMessage['content'], maxChars: number): { text: string; attachments: ContentBlock[] } {
  if (typeof content === 'string') {
    if (content.length > maxChars)
      throw new RunInputError(`The user message has ${content.length} characters; the limit is ${maxChars} (limits.maxMessageChars).`, 413);
    return { text: content, attachments: [] };
  }
  if (!Array.isArray(content)) return { text: '', attachments: [] };
  const texts: string[] = [];
  let chars = 0;
  const attachments: ContentBlock[] = [];
  for (const part of content as Array<{
    type: string;
    text?: string;
    source?: { type: string; value: string; mimeType?: string };
    metadata?: { name?: unknown; filename?: unknown };
  }>) {
    if (part.type === 'text') {
      chars += part.text!.length;
      if (chars > maxChars)
        throw new RunInputError(`The user message has more than ${maxChars} characters of text (limits.maxMessageChars).`, 413);
      texts.push(part.text!);
      continue;
    }
    if (part.type !== 'image' && part.type !== 'document')
      throw new RunInputError(`The user message has a ${part.type} part; this server accepts text, image and document parts.`);
    const source = part.source!;
    if (source.type !== 'data')
      throw new RunInputError(
        `The ${part.type} part has a "${source.type}" source; this server needs the content inline ({ source: { type: "data", value: <base64>, mimeType } }) and does not fetch URLs or files.`,
      );
    if (!source.mimeType) throw new RunInputError(`The ${part.type} part needs source.mimeType.`);
    if (part.type === 'image') {
      if (!source.mimeType.startsWith('image/'))
        throw new RunInputError(`An image part has mimeType "${source.mimeType}"; expected image/*.`);
      attachments.push({ type: 'image', mediaType: source.mimeType, data: source.value });
    } else {
      const name =
        typeof part.metadata?.name === 'string'
          ? part.metadata.name
          : typeof part.metadata?.filename === 'string'
            ? part.metadata.filename
            : undefined;
      attachments.push({ type: 'document', mediaType: source.mimeType, data: source.value, ...(name !== undefined ? { name } : {}) });
    }
  }
  return { text: texts.join('\n'), attachments };
}

/** The content of a `tool` message (a client tool's result). */
function toolContent(message: Extract<AguiMessage, { role: 'tool' }>, maxChars: number): ClientToolResult {
  const c = message.content as unknown;
  let content: string | ToolResultContent[];
  if (typeof c === 'string') {
    if (c.length > maxChars)
      throw new RunInputError(
        `The result of tool call ${message.toolCallId} has ${c.length} characters; the limit is ${maxChars} (limits.maxMessageChars).`,
        413,
      );
    content = c;
  } else {
    const { text, attachments } = userContent(c as AguiMessage['content'], maxChars);
    content = [...(text ? [{ type: 'text' as const, text }] : []), ...(attachments as ToolResultContent[])];
  }
  return { toolCallId: message.toolCallId, content, isError: typeof message.error === 'string' && message.error !== '' };
}

/**
 * Reads a (schema-valid) RunAgentInput. The thread's history lives in the session store
 * (threadId = session id), so of `messages` only the tail is read: the new user message, or the
 * `tool` messages that answer client-side tool calls. Throws {@link RunInputError}.
 */
export function parseRunInput(input: RunAgentInput, limits?: RunInputLimits): ParsedRunInput {
  const l = limitsOf(limits);
  if (input.messages.length > l.maxMessages)
    throw new RunInputError(
      `RunAgentInput.messages has ${input.messages.length} messages; the limit is ${l.maxMessages} (limits.maxMessages).`,
      413,
    );
  const tools = input.tools ?? [];
  if (tools.length > l.maxClientTools)
    throw new RunInputError(
      `RunAgentInput.tools has ${tools.length} tools; the limit is ${l.maxClientTools} (limits.maxClientTools).`,
      413,
    );
  if ((input.context ?? []).length > l.maxClientTools)
    throw new RunInputError(
      `RunAgentInput.context has ${input.context.length} entries; the limit is ${l.maxClientTools} (limits.maxClientTools).`,
      413,
    );
  const seen = new Set<string>();
  const clientTools = tools.map((t): ClientTool => {
    if (!TOOL_NAME.test(t.name))
      throw new RunInputError(`Client tool name "${t.name.slice(0, 80)}" is not accepted: use 1 to 64 letters, digits, "_" or "-".`);
    if (seen.has(t.name)) throw new RunInputError(`Two client tools are named "${t.name}".`);
    seen.add(t.name);
    const schema =
      t.parameters && typeof t.parameters === 'object' && !Array.isArray(t.parameters)
        ? (t.parameters as Record<string, unknown>)
        : { type: 'object', properties: {} };
    return { name: t.name, description: t.description, inputSchema: schema };
  });
  const context = (input.context ?? []).map((c) => ({ description: c.description, value: c.value }));
  const state =
    input.state !== null && typeof input.state === 'object' && !Array.isArray(input.state)
      ? (input.state as Record<string, unknown>)
      : undefined;

  const messages = input.messages;
  let tail = messages.length;
  while (tail > 0 && messages[tail - 1]!.role === 'tool') tail--;
  const toolMessages = messages.slice(tail) as Array<Extract<AguiMessage, { role: 'tool' }>>;
  const resume = input.resume ?? [];
  if (resume.length > 0 || toolMessages.length > 0) {
    return {
      request: { kind: 'continue', resume, toolResults: toolMessages.map((m) => toolContent(m, l.maxMessageChars)) },
      clientTools,
      context,
      state,
    };
  }
  const last = messages[messages.length - 1];
  if (!last)
    throw new RunInputError(
      'RunAgentInput.messages is empty: send the new user message as its last element (or `resume` answers, or the `tool` messages of client-side tools).',
    );
  if (last.role !== 'user')
    throw new RunInputError(
      `The last message of RunAgentInput.messages has role "${last.role}"; a run starts from a new user message, \`resume\` answers, or \`tool\` messages answering client-side tool calls.`,
    );
  const { text, attachments } = userContent(last.content, l.maxMessageChars);
  if (text.trim() === '' && attachments.length === 0) throw new RunInputError('The last user message has no text content.');
  return {
    request: { kind: 'prompt', prompt: text.trim() === '' ? ATTACHMENTS_ONLY_PROMPT : text, attachments },
    clientTools,
    context,
    state,
  };
}
