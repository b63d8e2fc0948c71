/**
 * A fake AWS Bedrock runtime: `POST /model/{modelId}/converse-stream` answers with the binary
 * event stream (messageStart, contentBlockStart/Delta/Stop, messageStop, metadata, exception
 * frames) and `POST /model/{modelId}/converse` with JSON, scripted like the other fake servers.
 *
 * It speaks HTTP/1.1: point the SDK at `server.url` with `requestHandler: new NodeHttpHandler()`
 * (the SDK's default handler is HTTP/2; `bedrock()` of @mixtape/bedrock picks HTTP/1.1 by itself
 * for `http://` endpoints), explicit dummy credentials, and `AWS_EC2_METADATA_DISABLED=true`.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  defaultUsage,
  splitJson,
  splitText,
  stopReasonOf,
  toolInputJson,
  type FakeBlock,
  type FakeUsage,
  type ScriptedResponse,
  type StreamFault,
} from '../script.js';
import { startLoopbackServer, writeJson, type FakeServer, type FakeServerOptions, type RecordedRequest } from '../server.js';
import { corruptFrame, eventFrame, exceptionFrame, type ConverseStreamEventType } from './event-stream.js';

/** A request the fake Bedrock server received. */
export interface BedrockRecordedRequest extends RecordedRequest {
  /** Model id from the path, decoded (e.g. `global.anthropic.claude-sonnet-4-6`). */
  modelId?: string;
  /** Which operation was called: 'converse-stream' or 'converse'. */
  operation?: 'converse-stream' | 'converse';
  /** Access key id from the SigV4 `authorization` header. */
  accessKeyId?: string;
  /** Region from the SigV4 credential scope. */
  region?: string;
}

/** A running fake Bedrock runtime. `url` and `baseURL` are both the endpoint to pass to the SDK. */
export interface FakeBedrockServer extends FakeServer {
  requests: BedrockRecordedRequest[];
}

/** The Bedrock error type (`x-amzn-errortype`) for an HTTP status. */
export function bedrockErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'ValidationException';
    case 401:
      return 'UnrecognizedClientException';
    case 403:
      return 'AccessDeniedException';
    case 404:
      return 'ResourceNotFoundException';
    case 408:
      return 'ModelTimeoutException';
    case 424:
      return 'ModelErrorException';
    case 429:
      return 'ThrottlingException';
    case 503:
    case 529:
      return 'ServiceUnavailableException';
    default:
      return status >= 500 ? 'InternalServerException' : 'ValidationException';
  }
}

/**
 * The Bedrock stop reason of a scripted answer: Anthropic's `refusal` becomes `content_filtered`;
 * other values pass through, so a script may use Bedrock's own (`guardrail_intervened`, ...).
 */
export function bedrockStopReason(response: Extract<ScriptedResponse, { type: 'message' }>): string {
  const reason = stopReasonOf(response) as string;
  return reason === 'refusal' ? 'content_filtered' : reason;
}

const PATH = /^\/model\/([^/]+)\/(converse-stream|converse)$/;

/**
 * Starts a fake Bedrock runtime on 127.0.0.1 (a free port). Script it with `server.script`
 * (`.text()`, `.toolUse()`, `.toolUses()`, `.thinking()`, `.error(status)`, `.reset()`; stream
 * faults through `options.fault`, e.g. `{ kind: 'error_event', afterEvents: 2, errorType:
 * 'throttlingException' }`). A `toolUse` whose input is `{}` streams an empty input string,
 * as Bedrock does for tools without arguments.
 */
export async function startFakeBedrock(options: Omit<FakeServerOptions, 'apiKey'> = {}): Promise<FakeBedrockServer> {
  let toolIds = 0;
  // Assigned once the server exists; the error writer reads it later (a closure, hence let).
  // eslint-disable-next-line prefer-const
  let fake: FakeServer | undefined;
  const server = await startLoopbackServer({
    ...options,
    basePath: '',
    requireKey: false,
    writeError: (res, status, message, errorType) => {
      const type = errorType && /Exception$/.test(errorType) ? errorType : bedrockErrorType(status);
      writeJson(
        res,
        status,
        { message },
        {
          'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
          'x-amzn-requestid': randomUUID(),
        },
      );
    },
    route: (method, path) => {
      const match = method === 'POST' ? PATH.exec(path) : null;
      const recorded = fake?.requests.at(-1);
      if (recorded) describeRequest(recorded, match);
      if (!match) return undefined;
      return (req, res, next) => {
        if (next?.type !== 'message') return;
        const content = next.content.map((b) =>
          b.type === 'tool_use' && b.id === undefined ? { ...b, id: `tooluse_fake_${++toolIds}` } : b,
        );
        const message = { ...next, content };
        if (match[2] === 'converse-stream') renderStream(req, res, message);
        else renderJson(req, res, message);
      };
    },
  });
  fake = server;
  return server;
}

function describeRequest(req: BedrockRecordedRequest, match: RegExpExecArray | null): void {
  if (match?.[1]) {
    req.modelId = decodeURIComponent(match[1]);
    req.operation = match[2] as 'converse-stream' | 'converse';
  }
  const auth = req.headers.authorization;
  const scope = typeof auth === 'string' ? /Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(auth) : null;
  if (scope?.[1]) req.accessKeyId = scope[1];
  if (scope?.[2]) req.region = scope[2];
}

type MessageResponse = Extract<ScriptedResponse, { type: 'message' }>;

function usageJson(u: FakeUsage) {
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    totalTokens: u.inputTokens + u.outputTokens + (u.cacheReadTokens ?? 0) + (u.cacheWriteTokens ?? 0),
    ...(u.cacheReadTokens !== undefined && { cacheReadInputTokens: u.cacheReadTokens }),
    ...(u.cacheWriteTokens !== undefined && { cacheWriteInputTokens: u.cacheWriteTokens }),
  };
}

function messageStopJson(m: MessageResponse) {
  return {
    stopReason: bedrockStopReason(m),
    ...(m.options?.stopSequence !== undefined && {
      additionalModelResponseFields: { stop_sequence: m.options.stopSequence },
    }),
  };
}

/** Writes event frames, injecting the scripted fault once `afterEvents` frames are out. */
class FrameWriter {
  private count = 0;
  private stopped = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly fault: StreamFault | undefined,
  ) {}

  event(type: ConverseStreamEventType, payload: unknown): void {
    if (this.stopped) return;
    if (this.fault && this.count >= this.fault.afterEvents) return this.fire(this.fault);
    this.res.write(eventFrame(type, payload));
    this.count++;
  }

  end(): void {
    if (this.stopped) return;
    if (this.fault) return this.fire(this.fault);
    this.res.end();
  }

  private fire(fault: StreamFault): void {
    this.stopped = true;
    switch (fault.kind) {
      case 'reset':
        this.res.socket?.destroy();
        return;
      case 'malformed':
        this.res.end(corruptFrame());
        return;
      case 'stall':
        return;
      case 'error_event': {
        const type = fault.errorType ?? 'modelStreamErrorException';
        const message = fault.message ?? `scripted ${type}`;
        const extra = type === 'modelStreamErrorException' ? { originalStatusCode: 500, originalMessage: message } : {};
        this.res.end(exceptionFrame(type, message, extra));
        return;
      }
    }
  }
}

function renderStream(req: RecordedRequest, res: ServerResponse, m: MessageResponse): void {
  const o = m.options ?? {};
  const usage = defaultUsage(req.body, m.content, o.usage);
  const requestId = randomUUID();
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': requestId });
  res.flushHeaders();
  const w = new FrameWriter(res, o.fault);
  w.event('messageStart', { role: 'assistant' });
  m.content.forEach((block, contentBlockIndex) => {
    for (const delta of blockDeltas(block, o.deltaSize, o.truncateToolInput)) {
      if ('start' in delta) w.event('contentBlockStart', { contentBlockIndex, start: delta.start });
      else w.event('contentBlockDelta', { contentBlockIndex, delta: delta.delta });
    }
    w.event('contentBlockStop', { contentBlockIndex });
  });
  w.event('messageStop', messageStopJson(m));
  w.event('metadata', { usage: usageJson(usage), metrics: { latencyMs: 1 } });
  w.end();
}

type WireStep = { start: unknown } | { delta: unknown };

function blockDeltas(block: FakeBlock, deltaSize?: number, truncate?: boolean): WireStep[] {
  switch (block.type) {
    case 'text':
      return splitText(block.text, deltaSize).map((text) => ({ delta: { text } }));
    case 'thinking':
      return [
        ...splitText(block.thinking, deltaSize).map((text) => ({ delta: { reasoningContent: { text } } })),
        { delta: { reasoningContent: { signature: block.signature } } },
      ];
    case 'redacted_thinking':
      return [{ delta: { reasoningContent: { redactedContent: block.data } } }];
    case 'tool_use': {
      const start = { start: { toolUse: { toolUseId: block.id, name: block.name } } };
      // Bedrock streams an empty input for a call without arguments.
      if (isEmptyInput(block.input)) return [start, { delta: { toolUse: { input: '' } } }];
      return [start, ...splitJson(toolInputJson(block.input, truncate)).map((input) => ({ delta: { toolUse: { input } } }))];
    }
  }
}

function isEmptyInput(input: unknown): boolean {
  return input === undefined || input === null || (typeof input === 'object' && !Array.isArray(input) && Object.keys(input).length === 0);
}

function renderJson(req: RecordedRequest, res: ServerResponse, m: MessageResponse): void {
  const usage = defaultUsage(req.body, m.content, m.options?.usage);
  const content = m.content.map((b) => {
    switch (b.type) {
      case 'text':
        return { text: b.text };
      case 'thinking':
        return { reasoningContent: { reasoningText: { text: b.thinking, signature: b.signature } } };
      case 'redacted_thinking':
        return { reasoningContent: { redactedContent: b.data } };
      case 'tool_use':
        return { toolUse: { toolUseId: b.id, name: b.name, input: b.input ?? {} } };
    }
  });
  writeJson(
    res,
    200,
    { output: { message: { role: 'assistant', content } }, ...messageStopJson(m), usage: usageJson(usage), metrics: { latencyMs: 1 } },
    { 'x-amzn-requestid': randomUUID() },
  );
}
