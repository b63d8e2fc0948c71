/**
 * A fake Anthropic Messages API: `POST /v1/messages`, streaming (SSE events message_start,
 * content_block_start/delta/stop, ping, message_delta, message_stop, error) and non-streaming.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { defaultUsage, splitJson, splitText, stopReasonOf, toolInputJson, type FakeUsage, type ScriptedResponse } from './script.js';
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

/** Anthropic error type for an HTTP status. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/**
 * Starts a fake Anthropic server on 127.0.0.1. Point the SDK (or `anthropic(..., { baseURL })`)
 * at `server.baseURL`. Requests need an API key (x-api-key or Authorization: Bearer); with
 * `options.apiKey` it must match.
 */
export async function startFakeAnthropic(options: FakeServerOptions = {}): Promise<FakeServer> {
  let ids = 0;
  return startLoopbackServer({
    ...options,
    basePath: '',
    requireKey: true,
    writeError: (res, status, message, errorType) =>
      writeJson(
        res,
        status,
        { type: 'error', error: { type: errorType ?? anthropicErrorType(status), message }, request_id: `req_fake_err_${++ids}` },
        { 'request-id': `req_fake_err_${ids}` },
      ),
    route: messageRoute('/v1/messages', 'toolu_fake_', () => ++ids, { stream: renderStream, json: renderJson }),
  });
}

type MessageResponse = Extract<ScriptedResponse, { type: 'message' }>;

function usageJson(u: FakeUsage) {
  return {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWriteTokens ?? 0,
    cache_read_input_tokens: u.cacheReadTokens ?? 0,
    output_tokens: u.outputTokens,
  };
}

function renderJson(req: RecordedRequest, res: ServerResponse, m: MessageResponse, id: number): void {
  const usage = defaultUsage(req.body, m.content, m.options?.usage);
  const content = m.content.map((b) => {
    switch (b.type) {
      case 'text':
        return { type: 'text', text: b.text };
      case 'thinking':
        return { type: 'thinking', thinking: b.thinking, signature: b.signature };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: b.data };
      case 'tool_use':
        return { type: 'tool_use', id: b.id, name: b.name, input: b.input ?? {} };
    }
  });
  writeJson(
    res,
    200,
    {
      id: `msg_fake_${id}`,
      type: 'message',
      role: 'assistant',
      model: req.body?.model ?? 'unknown',
      content,
      stop_reason: stopReasonOf(m),
      stop_sequence: m.options?.stopSequence ?? null,
      usage: usageJson(usage),
    },
    { 'request-id': `req_fake_${id}` },
  );
}

function renderStream(req: RecordedRequest, res: ServerResponse, m: MessageResponse, id: number): void {
  const o = m.options ?? {};
  const usage = defaultUsage(req.body, m.content, o.usage);
  startSse(res, `req_fake_${id}`);
  const w = new SseWriter(res, o.fault, () =>
    sse(
      {
        type: 'error',
        error: {
          type: o.fault?.kind === 'error_event' ? (o.fault.errorType ?? 'overloaded_error') : 'api_error',
          message: o.fault?.kind === 'error_event' ? (o.fault.message ?? 'Overloaded') : 'error',
        },
      },
      'error',
    ),
  );
  const ev = (type: string, data: Record<string, unknown>) => w.write(sse({ type, ...data }, type));
  ev('message_start', {
    message: {
      id: `msg_fake_${id}`,
      type: 'message',
      role: 'assistant',
      model: req.body?.model ?? 'unknown',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usageJson(usage), output_tokens: 1 },
    },
  });
  m.content.forEach((b, index) => {
    switch (b.type) {
      case 'text':
        ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
        if (index === 0) w.write(sse({ type: 'ping' }, 'ping'));
        for (const text of splitText(b.text, o.deltaSize)) ev('content_block_delta', { index, delta: { type: 'text_delta', text } });
        break;
      case 'thinking':
        ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
        for (const thinking of splitText(b.thinking, o.deltaSize))
          ev('content_block_delta', { index, delta: { type: 'thinking_delta', thinking } });
        ev('content_block_delta', { index, delta: { type: 'signature_delta', signature: b.signature } });
        break;
      case 'redacted_thinking':
        ev('content_block_start', { index, content_block: { type: 'redacted_thinking', data: b.data } });
        break;
      case 'tool_use': {
        ev('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
        const json = toolInputJson(b.input, o.truncateToolInput);
        // The API sends an empty first delta, and only that for an empty input.
        ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
        if (json !== '{}')
          for (const partial_json of splitJson(json))
            ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
        break;
      }
    }
    ev('content_block_stop', { index });
  });
  ev('message_delta', {
    delta: { stop_reason: stopReasonOf(m), stop_sequence: o.stopSequence ?? null },
    usage: usageJson(usage),
  });
  ev('message_stop', {});
  w.end();
}
