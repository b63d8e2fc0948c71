// Every test talks to a fake Bedrock runtime on 127.0.0.1 through the official AWS SDK, with
// explicit dummy credentials and instance metadata disabled: nothing leaves the machine.
process.env.AWS_EC2_METADATA_DISABLED = 'true';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  ClaudeHaiku4_5,
  ClaudeOpus4_7,
  ClaudeSonnet4_6,
  costOf,
  Gemma3_4B,
  Llama3_3_70B,
  NovaPro,
  ProviderError,
  type Message,
  type ModelRequest,
  type ModelResponse,
  type ModelStreamEvent,
  type RetryInfo,
} from '@mixtape/core';
import { corruptFrame, decodeFrame, eventFrame, exceptionFrame, startFakeBedrock, type FakeBedrockServer } from '@mixtape/testing';
import { bedrock, type BedrockModel, type BedrockOptions } from '@mixtape/bedrock';

const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' };
const fastRetry = { baseDelayMs: 1, maxDelayMs: 5 };

let server: FakeBedrockServer;
beforeEach(async () => {
  server = await startFakeBedrock();
});
afterEach(async () => {
  await server.close();
});

function model(m: Parameters<typeof bedrock>[0] = ClaudeSonnet4_6, opts: BedrockOptions = {}): BedrockModel {
  return bedrock(m, { endpoint: server.url, region: 'us-east-1', credentials, retry: fastRetry, ...opts });
}

const hello: Message[] = [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }];

function request(over: Partial<ModelRequest> = {}): ModelRequest {
  return { messages: hello, tools: [], ...over };
}

async function collect(m: BedrockModel, req: ModelRequest = request()): Promise<{ events: ModelStreamEvent[]; response: ModelResponse }> {
  const events: ModelStreamEvent[] = [];
  for await (const e of m.stream(req)) events.push(e);
  const last = events.at(-1);
  if (last?.type !== 'response') throw new Error('stream did not end with a response');
  return { events, response: last.response };
}

async function failure(m: BedrockModel, req: ModelRequest = request()): Promise<ProviderError> {
  try {
    await collect(m, req);
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected the call to fail');
}

const addTool = {
  name: 'add',
  description: 'Adds two numbers',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
};

describe('bedrock provider: streaming', () => {
  it('streams text deltas in order and assembles the answer', async () => {
    server.script.text('The answer is four.', { usage: { inputTokens: 12, outputTokens: 5 } });
    const { events, response } = await collect(model(), request({ system: 'Be brief.' }));
    const deltas = events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('The answer is four.');
    expect(response).toEqual({
      content: [{ type: 'text', text: 'The answer is four.' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 5 },
    });
    const req = server.requests[0]!;
    expect(req.modelId).toBe('global.anthropic.claude-sonnet-4-6');
    expect(req.operation).toBe('converse-stream');
    expect(req.region).toBe('us-east-1');
    expect(req.accessKeyId).toBe('AKIDFAKE');
    expect(req.body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Hello' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 4096 },
    });
  });

  it('hands deltas over while the stream is still open', async () => {
    server.script.text('one two three four five six', { fault: { kind: 'stall', afterEvents: 4 } });
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      try {
        for await (const e of model().stream(request({ signal: controller.signal }))) {
          if (e.type === 'text_delta') seen.push(e.text);
          // The server has stalled after 3 deltas: they reached us before the stream ended.
          if (seen.length === 3) controller.abort();
        }
      } catch (e) {
        return e;
      }
    })();
    expect(seen).toEqual(['one', ' two', ' three']);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('aborted');
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });

  it('maps stop reasons, including guardrails and refusals to content_filtered', async () => {
    server.script
      .text('cut', { stopReason: 'max_tokens' })
      .text('halt', { stopReason: 'stop_sequence', stopSequence: 'END' })
      .text('no', { stopReason: 'refusal' })
      .push({ type: 'message', content: [{ type: 'text', text: 'blocked' }], options: { stopReason: 'guardrail_intervened' as never } })
      .push({ type: 'message', content: [{ type: 'text', text: '?' }], options: { stopReason: 'malformed_model_output' as never } });
    const m = model();
    expect((await collect(m)).response.stopReason).toBe('max_tokens');
    const stop = (await collect(m)).response;
    expect(stop.stopReason).toBe('stop_sequence');
    expect(stop.stopSequence).toBe('END');
    expect((await collect(m)).response.stopReason).toBe('content_filtered');
    expect((await collect(m)).response.stopReason).toBe('content_filtered');
    expect((await collect(m)).response.stopReason).toBe('unknown');
  });
});

describe('bedrock provider: tools', () => {
  it('streams parallel tool calls with input deltas; empty input becomes {}', async () => {
    server.script.toolUses([
      { name: 'add', input: { a: 2, b: 2 }, id: 'tu_1' },
      { name: 'add', input: { a: 30, b: 12 }, id: 'tu_2' },
      { name: 'now', input: {}, id: 'tu_3' },
    ]);
    const { events, response } = await collect(
      model(),
      request({ tools: [addTool, { name: 'now', description: 'Time', inputSchema: { type: 'object' } }] }),
    );
    expect(events.filter((e) => e.type === 'tool_use_start')).toEqual([
      { type: 'tool_use_start', id: 'tu_1', name: 'add' },
      { type: 'tool_use_start', id: 'tu_2', name: 'add' },
      { type: 'tool_use_start', id: 'tu_3', name: 'now' },
    ]);
    const json1 = events.filter((e) => e.type === 'tool_input_delta' && e.id === 'tu_1').map((e) => (e as { json: string }).json);
    expect(json1.join('')).toBe('{"a":2,"b":2}');
    expect(response.stopReason).toBe('tool_use');
    expect(response.content).toEqual([
      { type: 'tool_use', id: 'tu_1', name: 'add', input: { a: 2, b: 2 } },
      { type: 'tool_use', id: 'tu_2', name: 'add', input: { a: 30, b: 12 } },
      { type: 'tool_use', id: 'tu_3', name: 'now', input: {} },
    ]);
    expect(server.requests[0]!.body.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: 'add', description: 'Adds two numbers', inputSchema: { json: addTool.inputSchema } } },
        { toolSpec: { name: 'now', description: 'Time', inputSchema: { json: { type: 'object' } } } },
      ],
    });
  });

  it('keeps cut-off tool input JSON as text so the agent can report it to the model', async () => {
    server.script.toolUse('add', { a: 1, b: 2 }, { id: 'tu_cut', truncateToolInput: true });
    const { response } = await collect(model(), request({ tools: [addTool] }));
    const call = response.content[0] as { input: unknown };
    expect(typeof call.input).toBe('string');
    expect(() => JSON.parse(call.input as string)).toThrow();
  });

  it('sends tool results with status and text, json, image and document content', async () => {
    server.script.text('done');
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const messages: Message[] = [
      ...hello,
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Calling tools.' },
          { type: 'tool_use', id: 'tu_1', name: 'add', input: { a: 1, b: 2 } },
          { type: 'tool_use', id: 'tu_2', name: 'read', input: { path: 'x' } },
          { type: 'tool_use', id: 'tu_3', name: 'broken', input: '{"a":' },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            toolUseId: 'tu_1',
            isError: false,
            content: [
              { type: 'json', value: { sum: 3 } },
              { type: 'json', value: [1, 2] },
            ],
          },
          {
            type: 'tool_result',
            toolUseId: 'tu_2',
            isError: false,
            content: [
              { type: 'image', mediaType: 'image/png', data: png },
              { type: 'document', mediaType: 'application/pdf', data: 'JVBERi0=', name: 'report.v2.pdf' },
            ],
          },
          { type: 'tool_result', toolUseId: 'tu_3', isError: true, content: [{ type: 'text', text: 'Error: input must be an object' }] },
        ],
      },
    ];
    await collect(model(), request({ messages, tools: [addTool] }));
    const sent = server.requests[0]!.body.messages;
    expect(sent[1].content).toEqual([
      { text: 'Calling tools.' },
      { toolUse: { toolUseId: 'tu_1', name: 'add', input: { a: 1, b: 2 } } },
      { toolUse: { toolUseId: 'tu_2', name: 'read', input: { path: 'x' } } },
      { toolUse: { toolUseId: 'tu_3', name: 'broken', input: {} } },
    ]);
    expect(sent[2].content).toEqual([
      { toolResult: { toolUseId: 'tu_1', status: 'success', content: [{ json: { sum: 3 } }, { text: '[1,2]' }] } },
      {
        toolResult: {
          toolUseId: 'tu_2',
          status: 'success',
          content: [
            { image: { format: 'png', source: { bytes: Buffer.from(png).toString('base64') } } },
            { document: { format: 'pdf', name: 'report-v2-pdf', source: { bytes: 'JVBERi0=' } } },
          ],
        },
      },
      { toolResult: { toolUseId: 'tu_3', status: 'error', content: [{ text: 'Error: input must be an object' }] } },
    ]);
  });

  it('leaves out tool-result status for models that do not take it', async () => {
    server.script.text('ok');
    const messages: Message[] = [
      ...hello,
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'add', input: { a: 1, b: 1 } }] },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: 't', isError: true, content: [{ type: 'text', text: 'Error: nope' }] }] },
    ];
    await collect(model(Llama3_3_70B), request({ messages, tools: [addTool] }));
    expect(server.requests[0]!.body.messages[2].content).toEqual([{ toolResult: { toolUseId: 't', content: [{ text: 'Error: nope' }] } }]);
    expect(server.requests[0]!.modelId).toBe('meta.llama3-3-70b-instruct-v1:0');
  });

  it('refuses tools for a model without tool use, before any request', async () => {
    const error = await failure(model(Gemma3_4B), request({ tools: [addTool] }));
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toMatch(/Gemma 3 4B.*does not support tool use/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('bedrock provider: thinking, images, documents', () => {
  it('streams thinking with its signature and sends it back as reasoningContent', async () => {
    server.script.thinking('2 plus 2 is 4.', 'sig-abc').text('4').text('You are welcome.');
    const m = model(ClaudeSonnet4_6, { thinking: 2048 });
    const first = await collect(m, request());
    expect(
      first.events
        .filter((e) => e.type === 'thinking_delta')
        .map((e) => (e as { thinking: string }).thinking)
        .join(''),
    ).toBe('2 plus 2 is 4.');
    expect(first.response.content).toEqual([
      { type: 'thinking', thinking: '2 plus 2 is 4.', signature: 'sig-abc' },
      { type: 'text', text: '4' },
    ]);
    const body = server.requests[0]!.body;
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(body.inferenceConfig.maxTokens).toBeGreaterThan(2048);

    const history: Message[] = [
      ...hello,
      { role: 'assistant', content: first.response.content },
      { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
    ];
    await collect(m, request({ messages: history }));
    expect(server.requests[1]!.body.messages[1].content).toEqual([
      { reasoningContent: { reasoningText: { text: '2 plus 2 is 4.', signature: 'sig-abc' } } },
      { text: '4' },
    ]);
  });

  it('keeps redacted thinking and sends its bytes back unchanged', async () => {
    const data = Buffer.from('opaque-redacted-bytes').toString('base64');
    server.script.redactedThinking(data).text('ok').text('again');
    const m = model(ClaudeHaiku4_5);
    const { response } = await collect(m);
    expect(response.content[0]).toEqual({ type: 'redacted_thinking', data });
    await collect(m, request({ messages: [...hello, { role: 'assistant', content: response.content }, ...hello] }));
    expect(server.requests[1]!.body.messages[1].content[0]).toEqual({ reasoningContent: { redactedContent: data } });
  });

  it('sends images and documents in Bedrock formats with names Bedrock accepts', async () => {
    server.script.text('A cat.');
    const messages: Message[] = [
      {
        role: 'user',
        content: [
          { type: 'image', mediaType: 'image/jpeg', data: '/9j/4AAQ' },
          { type: 'document', mediaType: 'text/markdown', data: new TextEncoder().encode('# Notes'), name: 'notes_2026.md' },
          { type: 'document', mediaType: 'text/markdown', data: 'IyBB', name: 'notes_2026.md' },
          { type: 'text', text: 'What is this?' },
        ],
      },
    ];
    await collect(model(NovaPro), request({ messages }));
    expect(server.requests[0]!.body.messages[0].content).toEqual([
      { image: { format: 'jpeg', source: { bytes: '/9j/4AAQ' } } },
      { document: { format: 'md', name: 'notes-2026-md', source: { bytes: Buffer.from('# Notes').toString('base64') } } },
      { document: { format: 'md', name: 'notes-2026-md (2)', source: { bytes: 'IyBB' } } },
      { text: 'What is this?' },
    ]);
  });

  it('rejects an unsupported media type with a typed error before any request', async () => {
    const messages: Message[] = [{ role: 'user', content: [{ type: 'image', mediaType: 'image/bmp', data: 'AAAA' }] }];
    const error = await failure(model(), request({ messages }));
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toContain("image media type 'image/bmp' is not supported");
    expect(server.requests).toHaveLength(0);
  });
});

describe('bedrock provider: prompt caching and model fields', () => {
  it('puts cache points after system, tools and the conversation for Claude, and reports cache usage', async () => {
    server.script.text('cached', { usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 3000, cacheWriteTokens: 500 } });
    const m = model(ClaudeSonnet4_6, { promptCaching: true });
    const { response } = await collect(m, request({ system: 'You are helpful.', tools: [addTool] }));
    const body = server.requests[0]!.body;
    expect(body.system).toEqual([{ text: 'You are helpful.' }, { cachePoint: { type: 'default' } }]);
    expect(body.toolConfig.tools.at(-1)).toEqual({ cachePoint: { type: 'default' } });
    expect(body.messages.at(-1).content.at(-1)).toEqual({ cachePoint: { type: 'default' } });
    expect(response.usage).toEqual({ inputTokens: 10, outputTokens: 2, cacheReadTokens: 3000, cacheWriteTokens: 500 });
    // $3 in, $15 out, reads at 10%, writes at 125% of input.
    expect(costOf(response.usage, m.info?.pricing)).toBeCloseTo((10 * 3 + 2 * 15 + 3000 * 0.3 + 500 * 3.75) / 1e6, 12);
  });

  it('caches system and messages but not tools on Nova, and nothing on other models or when off', async () => {
    server.script.text('a').text('b').text('c');
    await collect(model(NovaPro, { promptCaching: true }), request({ system: 'S', tools: [addTool] }));
    await collect(model(Llama3_3_70B, { promptCaching: true }), request({ system: 'S', tools: [addTool] }));
    await collect(model(ClaudeSonnet4_6), request({ system: 'S', tools: [addTool] }));
    const [nova, llama, off] = server.requests.map((r) => JSON.stringify(r.body));
    expect(server.requests[0]!.body.system).toEqual([{ text: 'S' }, { cachePoint: { type: 'default' } }]);
    expect(server.requests[0]!.body.toolConfig.tools).toHaveLength(1);
    expect(nova!.match(/cachePoint/g)).toHaveLength(2);
    expect(llama).not.toContain('cachePoint');
    expect(off).not.toContain('cachePoint');
  });

  it('sends top_k and extra fields in additionalModelRequestFields, in each vendor format', async () => {
    server.script.text('a').text('b');
    await collect(
      model(ClaudeSonnet4_6, {
        topK: 40,
        additionalFields: { anthropic_beta: ['context-1m-2025-08-07'] },
        temperature: 0.2,
        maxTokens: 100,
      }),
    );
    await collect(model(NovaPro, { topK: 20 }));
    expect(server.requests[0]!.body.additionalModelRequestFields).toEqual({ top_k: 40, anthropic_beta: ['context-1m-2025-08-07'] });
    expect(server.requests[0]!.body.inferenceConfig).toEqual({ maxTokens: 100, temperature: 0.2 });
    expect(server.requests[1]!.body.additionalModelRequestFields).toEqual({ inferenceConfig: { topK: 20 } });
  });

  it("turns on Claude's 1M context window once, and reports it in info", async () => {
    server.script.text('long').text('nova');
    const m = model(ClaudeSonnet4_6, { context1m: true, additionalFields: { anthropic_beta: ['context-1m-2025-08-07', 'other-beta'] } });
    expect(m.info?.contextWindow).toBe(1_000_000);
    expect(ClaudeSonnet4_6.contextWindow).toBe(200_000);
    await collect(m);
    expect(server.requests[0]!.body.additionalModelRequestFields).toEqual({ anthropic_beta: ['context-1m-2025-08-07', 'other-beta'] });
    const nova = model(NovaPro, { context1m: true });
    expect(nova.info).toBe(NovaPro);
    await collect(nova);
    expect(server.requests[1]!.body.additionalModelRequestFields).toBeUndefined();
  });

  it('resolves model ids: catalogue profile, explicit profile, none, plain strings, ARNs', () => {
    const opts = { region: 'us-east-1', credentials, endpoint: server.url };
    expect(bedrock(ClaudeSonnet4_6, opts).modelId).toBe('global.anthropic.claude-sonnet-4-6');
    expect(bedrock(ClaudeSonnet4_6, { ...opts, inferenceProfile: 'eu' }).modelId).toBe('eu.anthropic.claude-sonnet-4-6');
    expect(bedrock(ClaudeSonnet4_6, { ...opts, inferenceProfile: null }).modelId).toBe('anthropic.claude-sonnet-4-6');
    expect(bedrock(NovaPro, opts).modelId).toBe('amazon.nova-pro-v1:0');
    const byId = bedrock('us.amazon.nova-pro-v1:0', opts);
    expect(byId.modelId).toBe('us.amazon.nova-pro-v1:0');
    expect(byId.info).toBe(NovaPro);
    expect(bedrock('amazon.nova-pro-v1:0', { ...opts, inferenceProfile: 'apac' }).modelId).toBe('apac.amazon.nova-pro-v1:0');
    const unknown = bedrock('acme.brand-new-model-v1:0', opts);
    expect(unknown.info).toBeUndefined();
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123';
    expect(bedrock(arn, opts).modelId).toBe(arn);
    expect(() => bedrock(ClaudeOpus4_7, opts)).toThrow(/Claude Opus 4.7 has no Bedrock model id/);
    expect(() => bedrock('  ', opts)).toThrow(ProviderError);
    expect(() => bedrock('amazon.nova-pro-v1:0', { ...opts, inferenceProfile: 'mars' as never })).toThrow(
      /unknown inference profile 'mars'/,
    );
  });

  it('sends an ARN model id URL-encoded in the path', async () => {
    server.script.text('ok');
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0';
    const m = model(arn);
    expect(m.info).toBe(ClaudeHaiku4_5);
    await collect(m);
    expect(server.requests[0]!.modelId).toBe(arn);
  });
});

describe('bedrock provider: errors and retries', () => {
  it('retries throttling (429) and server errors (500), honouring retry-after', async () => {
    server.script.error(429, { message: 'Too many requests', retryAfterMs: 7 }).error(500).text('finally');
    const retries: RetryInfo[] = [];
    const { response } = await collect(model(ClaudeSonnet4_6, { onRetry: (i) => retries.push(i) }));
    expect(response.content).toEqual([{ type: 'text', text: 'finally' }]);
    expect(server.requests).toHaveLength(3);
    expect(retries.map((r) => [r.attempt, r.error.kind, r.error.status])).toEqual([
      [1, 'rate_limited', 429],
      [2, 'server', 500],
    ]);
    expect(retries[0]!.delayMs).toBe(7);
    expect(retries[0]!.error.message).toContain('ThrottlingException');
    // Each attempt is a fresh request: the SDK's own retries are off.
    expect(server.requests.map((r) => r.headers['amz-sdk-request'])).toEqual(['attempt=1; max=1', 'attempt=1; max=1', 'attempt=1; max=1']);
  });

  it('retries a throttlingException frame that arrives before any output', async () => {
    server.script
      .text('x', { fault: { kind: 'error_event', afterEvents: 1, errorType: 'throttlingException', message: 'slow down' } })
      .text('recovered');
    const { response } = await collect(model());
    expect(response.content).toEqual([{ type: 'text', text: 'recovered' }]);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a connection reset before the response', async () => {
    server.script.reset().text('after reset');
    const { response } = await collect(model());
    expect(response.content).toEqual([{ type: 'text', text: 'after reset' }]);
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a validation error (400) and says what to check', async () => {
    server.script.error(400, { message: 'The model returned the following errors: messages: too long' }).text('never');
    const error = await failure(model());
    expect(error.kind).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.attempts).toBe(1);
    expect(error.message).toMatch(
      /^bedrock: ValidationException from global\.anthropic\.claude-sonnet-4-6: The model returned .*\(HTTP 400\) — /,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('maps access denied (403) to an authentication error that says what to set', async () => {
    server.script.error(403, { message: 'You do not have access to the model' });
    const error = await failure(model());
    expect(error.kind).toBe('authentication');
    expect(error.message).toContain('AccessDeniedException');
    expect(error.message).toContain('AWS_ACCESS_KEY_ID');
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after the policy attempts with a retryable typed error', async () => {
    server.script.error(503).error(503).error(503).text('too late');
    const error = await failure(model(ClaudeSonnet4_6, { retry: { ...fastRetry, maxAttempts: 3 } }));
    expect(error.kind).toBe('overloaded');
    expect(error.attempts).toBe(3);
    expect(error.message).toContain('ServiceUnavailableException');
    expect(error.message).toContain('gave up after 3 attempts');
    expect(server.requests).toHaveLength(3);
  });

  it('reports a modelStreamErrorException after output as a broken stream, without retrying', async () => {
    server.script
      .text('one two three', {
        fault: { kind: 'error_event', afterEvents: 3, errorType: 'modelStreamErrorException', message: 'model crashed' },
      })
      .text('never');
    const seen: string[] = [];
    let error: unknown;
    try {
      for await (const e of model().stream(request())) if (e.type === 'text_delta') seen.push(e.text);
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual(['one', ' two']);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('stream');
    expect((error as ProviderError).message).toContain('ModelStreamErrorException');
    expect((error as ProviderError).message).toContain('model crashed');
    expect(server.requests).toHaveLength(1);
  });

  it('reports a connection cut mid-stream as a broken stream, without retrying', async () => {
    // The server stalls after two deltas; once they have arrived, closing the server cuts the connection.
    server.script.text('one two three', { fault: { kind: 'stall', afterEvents: 3 } }).text('never');
    const seen: string[] = [];
    let error: unknown;
    try {
      for await (const e of model().stream(request())) {
        if (e.type === 'text_delta') seen.push(e.text);
        if (seen.length === 2) void server.close();
      }
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual(['one', ' two']);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('stream');
    expect((error as ProviderError).message).toMatch(/broke off after output had started|ended before messageStop/);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a corrupt frame (bad checksum) as an error', async () => {
    server.script.text('one two three', { fault: { kind: 'malformed', afterEvents: 3 } });
    const error = await failure(model());
    expect(error.kind).toBe('stream');
  });

  it('waits out a slow first byte', async () => {
    server.script.text('slow but fine', { firstByteDelayMs: 30 });
    expect((await collect(model())).response.content).toEqual([{ type: 'text', text: 'slow but fine' }]);
  });

  it('cancels at once when aborted while waiting for the first byte', async () => {
    server.script.text('never sent', { firstByteDelayMs: 60_000 });
    const controller = new AbortController();
    const pending = collect(model(), request({ signal: controller.signal })).catch((e: unknown) => e);
    await new Promise<void>((resolve) => {
      const poll = () => (server.requests.length > 0 ? resolve() : setImmediate(poll));
      poll();
    });
    controller.abort();
    const error = (await pending) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.kind).toBe('aborted');
    expect(await server.requests[0]!.ended).toBe('client_closed');
    expect(server.requests).toHaveLength(1);
  });

  it('does not start a call when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failure(model(), request({ signal: controller.signal }));
    expect(error.kind).toBe('aborted');
    expect(server.requests).toHaveLength(0);
  });
});

describe('fake Bedrock runtime', () => {
  it('answers the non-streaming Converse API too, through the bare SDK', async () => {
    server.script.thinking('hmm', 'sig').toolUse('add', { a: 1, b: 2 }, { id: 'tu_9' });
    const client = model().client;
    const out = await client.send(
      new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    );
    expect(out.stopReason).toBe('tool_use');
    expect(out.output?.message?.content).toEqual([
      { reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig' } } },
      { toolUse: { toolUseId: 'tu_9', name: 'add', input: { a: 1, b: 2 } } },
    ]);
    expect(server.requests[0]!.operation).toBe('converse');
  });

  it('encodes frames the way the event-stream codec reads them, and corrupts on request', () => {
    expect(decodeFrame(eventFrame('messageStart', { role: 'assistant' }))).toEqual({
      headers: { ':message-type': 'event', ':event-type': 'messageStart', ':content-type': 'application/json' },
      body: { role: 'assistant' },
    });
    expect(decodeFrame(exceptionFrame('throttlingException', 'slow down')).headers).toMatchObject({
      ':message-type': 'exception',
      ':exception-type': 'throttlingException',
    });
    expect(() => decodeFrame(corruptFrame())).toThrow(/checksum/i);
  });

  it('tells the client when the script is used up', async () => {
    const error = await failure(model());
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toContain('the script has no response left');
  });

  it('works with an explicit NodeHttpHandler too', async () => {
    server.script.text('hi');
    const m = model(ClaudeSonnet4_6, { requestHandler: new NodeHttpHandler() });
    expect((await collect(m)).response.content).toEqual([{ type: 'text', text: 'hi' }]);
  });
});

describe('bedrock provider: AWS credential and region chain', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_PROFILE',
      'AWS_CONFIG_FILE',
      'AWS_SHARED_CREDENTIALS_FILE',
    ]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('takes credentials and region from the environment when no option gives them', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    process.env.AWS_REGION = 'eu-west-3';
    server.script.text('hi');
    await collect(bedrock(NovaPro, { endpoint: server.url }));
    expect(server.requests[0]!.accessKeyId).toBe('AKIDFROMENV');
    expect(server.requests[0]!.region).toBe('eu-west-3');
  });

  it('says what to set when no region is configured anywhere', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = '/nonexistent/mixtape-test/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/mixtape-test/credentials';
    const error = await failure(bedrock(NovaPro, { endpoint: server.url, credentials }));
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toContain('set AWS_REGION');
    expect(server.requests).toHaveLength(0);
  });

  it('gives a typed authentication error that says what to set when no credentials are found', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = '/nonexistent/mixtape-test/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/mixtape-test/credentials';
    // AWS_EC2_METADATA_DISABLED (set at the top) keeps the chain off the instance-metadata address.
    const error = await failure(bedrock(NovaPro, { endpoint: server.url, region: 'us-east-1' }));
    expect(error.kind).toBe('authentication');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('AWS_ACCESS_KEY_ID');
    expect(server.requests).toHaveLength(0);
  });
});

describe('bedrock provider: early exit', () => {
  it('closes the HTTP stream when the caller stops iterating early', async () => {
    server.script.text('one two three four', { fault: { kind: 'stall', afterEvents: 3 } });
    for await (const e of model().stream(request())) if (e.type === 'text_delta') break;
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });
});

describe("bedrock provider: idle timeout (core's shared stream loop)", () => {
  it('retries a stream that stalls before any output, once the idle timeout passes', async () => {
    server.script.text('never', { fault: { kind: 'stall', afterEvents: 1 } }).text('second try');
    const { response } = await collect(model(ClaudeSonnet4_6, { idleTimeoutMs: 200 }));
    expect(response.content).toEqual([{ type: 'text', text: 'second try' }]);
    expect(server.requests).toHaveLength(2);
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });

  it('fails with a stream error when the stream stalls after output, and closes the connection', async () => {
    server.script.text('one two three', { fault: { kind: 'stall', afterEvents: 3 } }).text('never sent');
    const seen: ModelStreamEvent[] = [];
    const error = await (async () => {
      try {
        for await (const e of model(ClaudeSonnet4_6, { idleTimeoutMs: 200 }).stream(request())) seen.push(e);
      } catch (e) {
        return e;
      }
    })();
    expect(seen.some((e) => e.type === 'text_delta')).toBe(true);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('stream');
    expect((error as ProviderError).message).toMatch(/stalled/);
    expect(server.requests).toHaveLength(1);
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });
});

describe('bedrock provider: the whole catalogue', () => {
  it('builds a valid request for every catalogue model that Bedrock serves', async () => {
    const { ALL_MODELS, applyInferenceProfile } = await import('@mixtape/core');
    const served = ALL_MODELS.filter((m) => m.bedrockId);
    expect(served.length).toBeGreaterThanOrEqual(52);
    for (const info of served) {
      const m = bedrock(info, { region: 'us-east-1', credentials, endpoint: server.url });
      expect(m.modelId).toBe(applyInferenceProfile(info.bedrockId!, info.bedrockProfile));
      expect(m.info).toBe(info);
      expect(m.vendor, info.name).toBe(info.vendor);
      const input = m.buildInput(request({ system: 'S', tools: info.supportsTools === false ? [] : [addTool] }));
      expect(input.modelId).toBe(m.modelId);
      expect(input.inferenceConfig?.maxTokens).toBeLessThanOrEqual(info.maxOutputTokens);
    }
  });
});
