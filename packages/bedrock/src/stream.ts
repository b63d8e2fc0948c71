/**
 * Assembles ConverseStream events into Mixtape stream events and the final response.
 * @module
 */
import type { ConverseStreamOutput, StopReason as BedrockStopReason } from '@aws-sdk/client-bedrock-runtime';
import {
  providerError,
  type ContentBlock,
  type ModelResponse,
  type ModelStreamEvent,
  type StopReason,
  type StreamAssembler,
  type Usage,
} from '@mixtape/core';

/** Maps a Bedrock stop reason to Mixtape's. */
export function mapStopReason(reason: BedrockStopReason | (string & {}) | undefined): StopReason {
  switch (reason) {
    case 'end_turn':
      return 'end_turn';
    case 'tool_use':
      return 'tool_use';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'content_filtered':
    case 'guardrail_intervened':
      return 'content_filtered';
    default:
      return 'unknown';
  }
}

/**
 * Parses a streamed tool input. Empty input is `{}`. Input that is not valid JSON (a cut-off
 * stream) is kept as its text, so the agent's input check tells the model what went wrong.
 */
export function parseToolInput(json: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

type Building =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; json: string };

/**
 * Turns ConverseStream events into {@link ModelStreamEvent}s and assembles the response: the
 * Bedrock {@link StreamAssembler} that core's shared stream loop (`streamModelCall`) drives.
 */
export class ConverseStreamAssembler implements StreamAssembler<ConverseStreamOutput> {
  private readonly blocks = new Map<number, Building>();
  private stopReason: StopReason | undefined;
  private stopSequence: string | undefined;
  private usage: Usage = { inputTokens: 0, outputTokens: 0 };

  constructor(private readonly modelId: string) {}

  /** Applies one raw event; pushes the events worth emitting to `out`. */
  handle(event: ConverseStreamOutput, out: ModelStreamEvent[]): void {
    for (const e of this.accept(event)) out.push(e);
  }

  /** Takes one event; returns the stream events it gives (maybe none). */
  private accept(event: ConverseStreamOutput): ModelStreamEvent[] {
    if (event.contentBlockStart) {
      const { contentBlockIndex = 0, start } = event.contentBlockStart;
      if (start?.toolUse) {
        const id = start.toolUse.toolUseId ?? `tooluse_${contentBlockIndex}`;
        const name = start.toolUse.name ?? '';
        this.blocks.set(contentBlockIndex, { type: 'tool_use', id, name, json: '' });
        return [{ type: 'tool_use_start', id, name }];
      }
      return [];
    }
    if (event.contentBlockDelta) {
      const { contentBlockIndex = 0, delta } = event.contentBlockDelta;
      if (!delta) return [];
      if (delta.text !== undefined) {
        const block = this.block(contentBlockIndex, 'text');
        block.text += delta.text;
        return delta.text ? [{ type: 'text_delta', text: delta.text }] : [];
      }
      if (delta.toolUse) {
        const block = this.blocks.get(contentBlockIndex);
        if (block?.type !== 'tool_use') {
          throw providerError({
            provider: 'bedrock',
            kind: 'stream',
            retryable: false,
            detail: `${this.modelId} sent tool input for block ${contentBlockIndex} without a tool use start`,
          });
        }
        const json = delta.toolUse.input ?? '';
        block.json += json;
        return json ? [{ type: 'tool_input_delta', id: block.id, json }] : [];
      }
      if (delta.reasoningContent) {
        const r = delta.reasoningContent;
        if (r.redactedContent !== undefined) {
          this.blocks.set(contentBlockIndex, { type: 'redacted_thinking', data: Buffer.from(r.redactedContent).toString('base64') });
          return [];
        }
        const block = this.block(contentBlockIndex, 'thinking');
        if (r.signature !== undefined) block.signature = (block.signature ?? '') + r.signature;
        if (r.text) {
          block.thinking += r.text;
          return [{ type: 'thinking_delta', thinking: r.text }];
        }
      }
      return [];
    }
    if (event.messageStop) {
      this.stopReason = mapStopReason(event.messageStop.stopReason);
      const fields = event.messageStop.additionalModelResponseFields as Record<string, unknown> | undefined;
      if (typeof fields?.stop_sequence === 'string') this.stopSequence = fields.stop_sequence;
      return [];
    }
    if (event.metadata?.usage) {
      const u = event.metadata.usage;
      this.usage = {
        inputTokens: u.inputTokens ?? 0,
        outputTokens: u.outputTokens ?? 0,
        ...(u.cacheReadInputTokens ? { cacheReadTokens: u.cacheReadInputTokens } : {}),
        ...(u.cacheWriteInputTokens ? { cacheWriteTokens: u.cacheWriteInputTokens } : {}),
      };
    }
    return [];
  }

  private block<T extends 'text' | 'thinking'>(index: number, type: T): Extract<Building, { type: T }> {
    let block = this.blocks.get(index);
    if (!block || block.type !== type) {
      block = type === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '' };
      this.blocks.set(index, block);
    }
    return block as Extract<Building, { type: T }>;
  }

  /** The assembled response; a typed error when the stream ended before messageStop. */
  finish(): ModelResponse {
    if (this.stopReason === undefined) {
      throw providerError({
        provider: 'bedrock',
        kind: 'stream',
        retryable: false,
        detail: `the response stream of ${this.modelId} ended before messageStop (the connection was cut)`,
      });
    }
    const content: ContentBlock[] = [...this.blocks.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, b]): ContentBlock => {
        switch (b.type) {
          case 'text':
            return { type: 'text', text: b.text };
          case 'thinking':
            return { type: 'thinking', thinking: b.thinking, ...(b.signature !== undefined && { signature: b.signature }) };
          case 'redacted_thinking':
            return { type: 'redacted_thinking', data: b.data };
          case 'tool_use':
            return { type: 'tool_use', id: b.id, name: b.name, input: parseToolInput(b.json) };
        }
      });
    return {
      content,
      stopReason: this.stopReason,
      usage: this.usage,
      ...(this.stopSequence !== undefined && { stopSequence: this.stopSequence }),
    };
  }
}
