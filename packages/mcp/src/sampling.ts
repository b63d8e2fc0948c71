/**
 * Sampling: a server's `sampling/createMessage` request answered by the agent's model, only
 * after a person or a rule approved it, with its tokens and cost counted.
 * @module
 */
import { addUsage, costOf, emptyUsage, type ContentBlock, type Message, type Model, type Usage } from '@mixtape/core';
import type { CreateMessageResult, SamplingMessage } from '@modelcontextprotocol/sdk/types.js';
import type { McpRequestContext, McpSamplingHandler, McpSamplingRequest } from './client-features.js';

/** Most output tokens a server may ask for in one sampling request (a larger `maxTokens` is lowered to it). */
export const DEFAULT_MCP_SAMPLING_MAX_TOKENS = 4_096;

/** Most messages one sampling request may carry. */
export const DEFAULT_MCP_SAMPLING_MAX_MESSAGES = 100;

/** A decision on a sampling request: run it, or refuse it with a reason the server is told. */
export type McpSamplingDecision = boolean | { approved: boolean; reason?: string };

/** Thrown (and sent to the server as an error) when a sampling request is refused or invalid. */
export class McpSamplingError extends Error {
  override name = 'McpSamplingError';
  constructor(
    readonly kind: 'denied' | 'invalid' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

/** The usage of one answered sampling request. */
export interface McpSamplingUsage {
  server: string;
  usage: Usage;
  /** US dollars at the model's catalogue prices, when known. */
  costUsd?: number;
}

/** Options of {@link modelSamplingHandler}. */
export interface ModelSamplingOptions {
  /** The model that answers (usually the agent's). */
  model: Model;
  /**
   * A person or a rule decides: shown the server, the system prompt and the messages. There is
   * no default: without an approval nothing reaches the model.
   */
  approve(request: McpSamplingRequest, ctx: McpRequestContext): McpSamplingDecision | Promise<McpSamplingDecision>;
  /**
   * Called with the tokens and cost of each answered request. When the request is attributed to
   * an agent tool call (`ctx.call`), they are also added to that run's usage, cost and budget.
   */
  onUsage?(usage: McpSamplingUsage): void;
  /** Output-token cap (default {@link DEFAULT_MCP_SAMPLING_MAX_TOKENS}). */
  maxTokens?: number;
}

/** A sampling handler that also keeps running totals. */
export interface ModelSamplingHandler extends McpSamplingHandler {
  /** Tokens of every answered request so far. */
  readonly usage: Usage;
  /** Their cost in US dollars (0 when the model's prices are unknown). */
  readonly costUsd: number;
  /** How many requests were answered and refused. */
  readonly counts: { answered: number; refused: number };
}

function toBlocks(content: SamplingMessage['content']): ContentBlock[] {
  const items = Array.isArray(content) ? content : [content];
  return items.map((item): ContentBlock => {
    switch (item.type) {
      case 'text':
        return { type: 'text', text: item.text };
      case 'image':
        return { type: 'image', mediaType: item.mimeType, data: item.data };
      default:
        throw new McpSamplingError(
          'unsupported',
          `Sampling content of type '${item.type}' is not supported by Mixtape (text and images are).`,
        );
    }
  });
}

function stopReasonOf(reason: string): CreateMessageResult['stopReason'] {
  if (reason === 'end_turn') return 'endTurn';
  if (reason === 'max_tokens') return 'maxTokens';
  if (reason === 'stop_sequence') return 'stopSequence';
  return reason;
}

/**
 * Answers sampling requests with `model` after `approve` said yes. The server's messages become
 * a model request without tools (capped at `maxTokens`); the answer's text goes back. Refusals
 * and failures reach the server as errors; nothing is sent to the model without approval.
 *
 * @example
 * const sampling = modelSamplingHandler({ model, approve: (req) => askPerson(req), onUsage: ({ costUsd }) => total += costUsd ?? 0 });
 * const client = new McpClient(config, { onSampling: sampling });
 */
export function modelSamplingHandler(options: ModelSamplingOptions): ModelSamplingHandler {
  const totals = { usage: emptyUsage(), costUsd: 0, counts: { answered: 0, refused: 0 } };
  const cap = options.maxTokens ?? DEFAULT_MCP_SAMPLING_MAX_TOKENS;
  const handler = async (request: McpSamplingRequest, ctx: McpRequestContext): Promise<CreateMessageResult> => {
    if (request.messages.length === 0 || request.messages.length > DEFAULT_MCP_SAMPLING_MAX_MESSAGES) {
      totals.counts.refused++;
      throw new McpSamplingError(
        'invalid',
        `A sampling request must carry 1 to ${DEFAULT_MCP_SAMPLING_MAX_MESSAGES} messages (got ${request.messages.length}).`,
      );
    }
    if (request.tools !== undefined && request.tools.length > 0) {
      totals.counts.refused++;
      throw new McpSamplingError('unsupported', 'Sampling with tools is not offered by this client.');
    }
    const decision = await options.approve(request, ctx);
    const approved = typeof decision === 'boolean' ? decision : decision.approved;
    if (!approved) {
      totals.counts.refused++;
      const reason = typeof decision === 'object' && decision.reason ? `: ${decision.reason}` : '';
      throw new McpSamplingError('denied', `The sampling request of MCP server '${ctx.server}' was refused${reason}.`);
    }
    const messages: Message[] = request.messages.map((m) => ({ role: m.role, content: toBlocks(m.content) }));
    let response;
    for await (const event of options.model.stream({
      messages,
      tools: [],
      maxTokens: Math.min(request.maxTokens, cap),
      ...(request.systemPrompt !== undefined ? { system: request.systemPrompt } : {}),
      signal: ctx.signal,
    })) {
      if (event.type === 'response') response = event.response;
    }
    if (!response) throw new McpSamplingError('invalid', `The model ${options.model.modelId} ended without an answer.`);
    const costUsd = costOf(response.usage, options.model.info?.pricing);
    addUsage(totals.usage, response.usage);
    totals.costUsd += costUsd ?? 0;
    totals.counts.answered++;
    options.onUsage?.({ server: ctx.server, usage: response.usage, ...(costUsd !== undefined ? { costUsd } : {}) });
    // The tool call that caused the request pays for it: its run's usage, cost and budget.
    ctx.call?.reportUsage?.(response.usage, costUsd);
    const text = response.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
    return {
      role: 'assistant',
      content: { type: 'text', text },
      model: options.model.modelId,
      stopReason: stopReasonOf(response.stopReason),
    };
  };
  return Object.defineProperties(handler, {
    usage: { get: () => totals.usage, enumerable: true },
    costUsd: { get: () => totals.costUsd, enumerable: true },
    counts: { get: () => totals.counts, enumerable: true },
  }) as ModelSamplingHandler;
}
