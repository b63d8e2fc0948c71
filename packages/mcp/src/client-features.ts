/**
 * What an MCP client offers a server beyond calling its tools: roots, sampling, elicitation,
 * logging, progress and change notifications. The types of the callbacks a user (the CLI, the
 * HTTP server, a program) gives {@link McpClient}, and how they become SDK request handlers.
 * @module
 */
import { pathToFileURL } from 'node:url';
import type { ToolContext } from '@mixtape/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ElicitationCompleteNotificationSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ErrorCode,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type LoggingLevel,
} from '@modelcontextprotocol/sdk/types.js';

/** A root the server may work in: a `file://` URI (a plain absolute path is converted) and a name. */
export interface McpRoot {
  uri: string;
  name?: string;
}

/** Roots as a fixed list, or a function asked each time the server lists them (e.g. the tools' current root). */
export type McpRootsSource = readonly McpRoot[] | (() => readonly McpRoot[] | Promise<readonly McpRoot[]>);

/** Who is asking, given to every callback. */
export interface McpRequestContext {
  /** The configured name of the server that sent the request. */
  server: string;
  /** Aborted when the server cancels the request or the connection closes. */
  signal: AbortSignal;
  /**
   * The agent tool call during which the server sent this request: known from the transport
   * (over Streamable HTTP a server sends a call's requests on that call's response stream; a
   * task-based call's requests name its task), else the only call in flight on the connection.
   * Absent when it cannot be told (several calls in flight over stdio, a request outside any
   * call): then nothing is attributed to a run.
   */
  call?: ToolContext;
  /** When that call times out (epoch ms), when known: a person asked during it must answer before. */
  deadline?: number;
}

/** What the SDK tells a request handler that attribution uses: its signal and its related task. */
export interface McpHandlerExtra {
  signal: AbortSignal;
  /** The task the request belongs to (`io.modelcontextprotocol/related-task`), for task-based calls. */
  taskId?: string;
}

/** The parameters of an `elicitation/create` request: a form (`mode: 'form'` or absent) or a URL (`mode: 'url'`). */
export type McpElicitationRequest = ElicitRequest['params'];

/** The answer to an elicitation: `accept` (with `content` for a form), `decline` or `cancel`. */
export type McpElicitationResult = ElicitResult;

/**
 * Asks a person for what a server requests. Route it where a person is: a prompt in a terminal,
 * an interrupt of the run through the HTTP server, a dialog. Never answer it from the model.
 */
export type McpElicitationHandler = (request: McpElicitationRequest, ctx: McpRequestContext) => Promise<McpElicitationResult>;

/** The parameters of a `sampling/createMessage` request. */
export type McpSamplingRequest = CreateMessageRequest['params'];

/** Answers a server's sampling request (see {@link modelSamplingHandler} for one that asks a person first). */
export type McpSamplingHandler = (request: McpSamplingRequest, ctx: McpRequestContext) => Promise<CreateMessageResult>;

/** A log message a server sent (`notifications/message`). */
export interface McpLogMessage {
  server: string;
  level: LoggingLevel;
  logger?: string;
  data: unknown;
}

/** A progress notification of a running tool call. */
export interface McpProgress {
  server: string;
  /** The tool's name on the server. */
  tool: string;
  /** The agent's tool-call id, when the call came from an agent run. */
  toolUseId?: string;
  progress: number;
  total?: number;
  message?: string;
}

/** Which list of the server changed. */
export type McpListKind = 'tools' | 'prompts' | 'resources';

/** Callbacks and client features of {@link McpClient} (all optional; each one declares its capability). */
export interface McpClientFeatures {
  /** Roots the server may work in (declares the `roots` capability with `listChanged`). */
  roots?: McpRootsSource;
  /** Asks a person (declares `elicitation` in the modes of {@link McpClientFeatures.elicitationModes}). */
  onElicitation?: McpElicitationHandler;
  /** Elicitation modes offered when `onElicitation` is given (default both `form` and `url`). */
  elicitationModes?: ReadonlyArray<'form' | 'url'>;
  /** Answers sampling requests (declares `sampling`). Use {@link modelSamplingHandler} to route them to a model after approval. */
  onSampling?: McpSamplingHandler;
  /** Receives the server's log messages. */
  onLog?: (message: McpLogMessage) => void;
  /** Level asked of servers that support logging (`logging/setLevel`) once connected. */
  logLevel?: LoggingLevel;
  /** Receives progress of tool calls (the client asks for it on every call when given). */
  onProgress?: (progress: McpProgress) => void;
  /** A subscribed resource changed (`notifications/resources/updated`). */
  onResourceUpdated?: (uri: string, server: string) => void;
  /** The server's list of tools, prompts or resources changed. */
  onListChanged?: (kind: McpListKind, server: string) => void;
  /** A URL-mode elicitation finished out of band (`notifications/elicitation/complete`). */
  onElicitationComplete?: (elicitationId: string, server: string) => void;
  /**
   * Where notices about the client's own decisions go (a tool hidden from the model, a failed
   * notification handler). Default: a process warning.
   */
  onNotice?: (message: string) => void;
}

/** A root's URI: absolute paths become `file://` URIs. */
export function rootUri(uri: string): string {
  return uri.startsWith('/') ? pathToFileURL(uri).href : uri;
}

/** The capabilities this client declares for the given features. */
export function clientCapabilities(features: McpClientFeatures): ClientCapabilities {
  const capabilities: ClientCapabilities = {};
  if (features.roots !== undefined) capabilities.roots = { listChanged: true };
  if (features.onSampling) capabilities.sampling = {};
  if (features.onElicitation) {
    const modes = features.elicitationModes ?? ['form', 'url'];
    capabilities.elicitation = {
      ...(modes.includes('form') ? { form: {} } : {}),
      ...(modes.includes('url') ? { url: {} } : {}),
    };
  }
  return capabilities;
}

async function currentRoots(source: McpRootsSource): Promise<McpRoot[]> {
  const list = typeof source === 'function' ? await source() : source;
  return list.map((r) => ({ uri: rootUri(r.uri), ...(r.name !== undefined ? { name: r.name } : {}) }));
}

/**
 * Registers the SDK request and notification handlers for the given features on one client.
 * `roots` is read through `getRoots` so that {@link McpClient.setRoots} changes what later
 * `roots/list` requests see.
 */
export function registerClientFeatures(
  client: Client,
  server: string,
  features: McpClientFeatures,
  getRoots: () => McpRootsSource | undefined,
  callOf: (extra: McpHandlerExtra) => { call?: ToolContext; deadline?: number } | undefined = () => undefined,
): void {
  const context = (extra: McpHandlerExtra): McpRequestContext => {
    const scope = callOf(extra);
    return {
      server,
      signal: extra.signal,
      ...(scope?.call ? { call: scope.call } : {}),
      ...(scope?.deadline !== undefined ? { deadline: scope.deadline } : {}),
    };
  };
  const notice = features.onNotice ?? ((message: string) => process.emitWarning(message, { code: 'MIXTAPE_MCP' }));
  if (features.roots !== undefined) {
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      const source = getRoots();
      return { roots: source ? await currentRoots(source) : [] };
    });
  }
  const onSampling = features.onSampling;
  if (onSampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
      try {
        return await onSampling(request.params, context(extra));
      } catch (error) {
        if (error instanceof McpError) throw error;
        // The server learns the request was refused (a person said no, or the model failed). A
        // plain error with a code, not an McpError: the SDK sends a thrown error's message as is,
        // and McpError's message already starts "MCP error -32600:", which the server would repeat.
        throw Object.assign(new Error(error instanceof Error ? error.message : String(error)), { code: ErrorCode.InvalidRequest });
      }
    });
  }
  const onElicitation = features.onElicitation;
  if (onElicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (request, extra) => onElicitation(request.params, context(extra)));
    client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => {
      features.onElicitationComplete?.(n.params.elicitationId, server);
    });
  }
  const onLog = features.onLog;
  if (onLog) {
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      try {
        onLog({
          server,
          level: n.params.level,
          ...(n.params.logger !== undefined ? { logger: n.params.logger } : {}),
          data: n.params.data,
        });
      } catch (error) {
        notice(`The onLog callback of MCP server '${server}' threw: ${(error as Error).message}`);
      }
    });
  }
  const onUpdated = features.onResourceUpdated;
  if (onUpdated) client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => onUpdated(n.params.uri, server));
  const onList = features.onListChanged;
  if (onList) {
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => onList('tools', server));
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => onList('prompts', server));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => onList('resources', server));
  }
}
