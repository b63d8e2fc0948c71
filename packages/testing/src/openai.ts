/**
 * A fake OpenAI-compatible chat completions API: `POST /v1/chat/completions`, streaming
 * (`data: {chat.completion.chunk}` … `data: [DONE]`, usage chunk with
 * `stream_options.include_usage`) and non-streaming. Thinking is sent as `reasoning_content`
 * deltas, as DeepSeek and vLLM do.
 * @module
 */
import type { ServerResponse } from 'node:http';
import {
  defaultUsage,
  splitJson,
  splitText,
  stopReasonOf,
  toolInputJson,
  type FakeStopReason,
  type FakeUsage,
  type ScriptedResponse,
} from './script.js';
import {
  SseWriter,
  messageRoute,
  sse,
  startLoopbackServer,
  startSse,
  writeJson,
  type FakeServer,
  type FakeServerOptions,
  type RecordedRequest,
} from './server.js';

/** OpenAI finish_reason for a scripted stop reason. */
export function openaiFinishReason(stop: FakeStopReason): string {
  switch (stop) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

function openaiErrorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 401) return 'invalid_api_key';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * Starts a fake OpenAI-compatible server on 127.0.0.1; `server.baseURL` ends in `/v1`. Any API
 * key (or none, like Ollama) is accepted unless `options.apiKey` is set.
 */
export async function startFakeOpenAI(options: FakeServerOptions = {}): Promise<FakeServer> {
  let ids = 0;
  return startLoopbackServer({
    ...options,
    basePath: '/v1',
    requireKey: false,
    writeError: (res, status, message, errorType) =>
      writeJson(res, status, { error: { message, type: errorType ?? openaiErrorType(status), param: null, code: null } }),
    route: messageRoute('/v1/chat/completions', 'call_fake_', () => ++ids, { stream: renderStream, json: renderJson }),
  });
}

type MessageResponse = Extract<ScriptedResponse, { type: 'message' }>;

function usageJson(u: FakeUsage) {
  return {
    prompt_tokens: u.inputTokens + (u.cacheReadTokens ?? 0),
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + (u.cacheReadTokens ?? 0) + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cacheReadTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

function renderJson(req: RecordedRequest, res: ServerResponse, m: MessageResponse, id: number): void {
  const usage = defaultUsage(req.body, m.content, m.options?.usage);
  const text = m.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
  const reasoning = m.content.flatMap((b) => (b.type === 'thinking' ? [b.thinking] : [])).join('');
  const calls = m.content.flatMap((b) =>
    b.type === 'tool_use'
      ? [{ id: b.id, type: 'function', function: { name: b.name, arguments: toolInputJson(b.input, m.options?.truncateToolInput) } }]
      : [],
  );
  writeJson(res, 200, {
    id: `chatcmpl-fake-${id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: req.body?.model ?? 'unknown',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || null,
          refusal: null,
          ...(reasoning && { reasoning_content: reasoning }),
          ...(calls.length && { tool_calls: calls }),
        },
        logprobs: null,
        finish_reason: openaiFinishReason(stopReasonOf(m)),
      },
    ],
    usage: usageJson(usage),
  });
}

function renderStream(req: RecordedRequest, res: ServerResponse, m: MessageResponse, id: number): void {
  const o = m.options ?? {};
  const usage = defaultUsage(req.body, m.content, o.usage);
  const includeUsage = req.body?.stream_options?.include_usage === true;
  const created = Math.floor(Date.now() / 1000);
  const model = req.body?.model ?? 'unknown';
  startSse(res, `req_fake_${id}`);
  const w = new SseWriter(res, o.fault, () =>
    sse({
      error: {
        message: o.fault?.kind === 'error_event' ? (o.fault.message ?? 'The server had an error') : 'error',
        type: o.fault?.kind === 'error_event' ? (o.fault.errorType ?? 'server_error') : 'server_error',
        param: null,
        code: null,
      },
    }),
  );
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    w.write(
      sse({
        id: `chatcmpl-fake-${id}`,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_fake',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(includeUsage && { usage: null }),
      }),
    );
  chunk({ role: 'assistant', content: '', refusal: null });
  let toolIndex = 0;
  for (const b of m.content) {
    switch (b.type) {
      case 'text':
        for (const content of splitText(b.text, o.deltaSize)) chunk({ content });
        break;
      case 'thinking':
        for (const reasoning_content of splitText(b.thinking, o.deltaSize)) chunk({ reasoning_content });
        break;
      case 'redacted_thinking':
        break;
      case 'tool_use': {
        const index = toolIndex++;
        chunk({ tool_calls: [{ index, id: b.id, type: 'function', function: { name: b.name, arguments: '' } }] });
        for (const args of splitJson(toolInputJson(b.input, o.truncateToolInput)))
          chunk({ tool_calls: [{ index, function: { arguments: args } }] });
        break;
      }
    }
  }
  chunk({}, openaiFinishReason(stopReasonOf(m)));
  if (includeUsage)
    w.write(
      sse({
        id: `chatcmpl-fake-${id}`,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_fake',
        choices: [],
        usage: usageJson(usage),
      }),
    );
  w.write('data: [DONE]\n\n');
  w.end();
}
