/**
 * Cassettes: a JSON file of scripted responses that a fake server serves in order. Record the
 * answers of a real model once (wrap it with {@link recordingModel}), save them with
 * {@link recordCassette}, and replay them offline: `startFakeAnthropic({ responses: await loadCassette(path) })`.
 *
 * File format (version 1):
 * ```json
 * { "version": 1, "responses": [ { "type": "message", "content": [{ "type": "text", "text": "Hi" }] },
 *                                { "type": "http_error", "status": 429, "retryAfter": 1 } ] }
 * ```
 * Each entry is a {@link ScriptedResponse}.
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Model, ModelRequest, ModelResponse, ModelStreamEvent } from '@mixtape/core';
import type { FakeBlock, FakeScript, FakeStopReason, ScriptedResponse } from './script.js';

/** Version written into cassette files. */
export const CASSETTE_VERSION = 1;

/** A cassette file's content. */
export interface Cassette {
  version: typeof CASSETTE_VERSION;
  /** Free text: where the responses came from. */
  description?: string;
  responses: ScriptedResponse[];
}

/** A cassette file that cannot be read. */
export class CassetteError extends Error {
  override readonly name = 'CassetteError';
}

/** Writes responses (or what a script still holds) to a cassette file, creating parent folders. */
export async function recordCassette(
  path: string,
  responses: readonly ScriptedResponse[] | FakeScript,
  description?: string,
): Promise<void> {
  const list = Array.isArray(responses) ? [...responses] : [...(responses as FakeScript).remaining];
  const cassette: Cassette = { version: CASSETTE_VERSION, ...(description && { description }), responses: list };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(cassette, null, 2) + '\n');
}

/** Reads a cassette file's responses; throws {@link CassetteError} saying what is wrong. */
export async function loadCassette(path: string): Promise<ScriptedResponse[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CassetteError(`cannot read cassette ${path}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CassetteError(`cassette ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const c = data as Partial<Cassette>;
  if (!c || c.version !== CASSETTE_VERSION || !Array.isArray(c.responses)) {
    throw new CassetteError(`cassette ${path} is not a version ${CASSETTE_VERSION} cassette: expected {"version": 1, "responses": [...]}`);
  }
  c.responses.forEach((r, i) => {
    if (!r || !['message', 'http_error', 'reset'].includes((r as { type?: string }).type ?? '')) {
      throw new CassetteError(`cassette ${path}: response ${i} has no valid type (message, http_error or reset)`);
    }
  });
  return c.responses;
}

/** A scripted response that reproduces a model's answer (binary blocks are not replayable and are dropped). */
export function scriptedFromModelResponse(response: ModelResponse): ScriptedResponse {
  const content: FakeBlock[] = [];
  for (const b of response.content) {
    if (b.type === 'text') content.push({ type: 'text', text: b.text });
    else if (b.type === 'thinking') content.push({ type: 'thinking', thinking: b.thinking, signature: b.signature ?? '' });
    else if (b.type === 'redacted_thinking') content.push({ type: 'redacted_thinking', data: b.data });
    else if (b.type === 'tool_use') content.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input });
  }
  const stopMap: Partial<Record<string, FakeStopReason>> = {
    end_turn: 'end_turn',
    tool_use: 'tool_use',
    max_tokens: 'max_tokens',
    stop_sequence: 'stop_sequence',
    content_filtered: 'refusal',
    pause_turn: 'pause_turn',
  };
  const stopReason = stopMap[response.stopReason];
  return {
    type: 'message',
    content,
    options: {
      ...(stopReason && { stopReason }),
      ...(response.stopSequence !== undefined && { stopSequence: response.stopSequence }),
      usage: { ...response.usage },
    },
  };
}

/**
 * Wraps a model so that every answer it gives is also kept as a scripted response:
 * `const { model, responses } = recordingModel(anthropic(...))`, run the agent, then
 * `await recordCassette('run.cassette.json', responses)`.
 */
export function recordingModel(model: Model): { model: Model; responses: ScriptedResponse[] } {
  const responses: ScriptedResponse[] = [];
  const wrapped: Model = {
    provider: model.provider,
    modelId: model.modelId,
    ...(model.info && { info: model.info }),
    async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
      for await (const event of model.stream(request)) {
        if (event.type === 'response') responses.push(scriptedFromModelResponse(event.response));
        yield event;
      }
    },
  };
  return { model: wrapped, responses };
}
