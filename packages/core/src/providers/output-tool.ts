/**
 * Structured output through a tool, for providers with no native JSON-schema answers (Bedrock
 * Converse): the schema becomes a tool the model is made to call (tool choice "any", so the
 * other tools stay usable), and the call's input is handed back as the answer's text. Schemas
 * that are not objects are wrapped in `{ value }` (tool inputs must be objects) and unwrapped.
 * @module
 */
import type { ContentBlock } from '../messages.js';
import type { ModelStreamEvent, OutputSpec, ToolDefinition } from '../model.js';

/** The wrapper property of a non-object output schema. */
export const OUTPUT_TOOL_VALUE_KEY = 'value';

function isObjectSchema(schema: Record<string, unknown>): boolean {
  return schema.type === 'object';
}

/** The tool that carries the answer of `output`. */
export function outputTool(output: OutputSpec): ToolDefinition {
  const inputSchema = isObjectSchema(output.schema)
    ? output.schema
    : { type: 'object', properties: { [OUTPUT_TOOL_VALUE_KEY]: output.schema }, required: [OUTPUT_TOOL_VALUE_KEY] };
  return {
    name: output.name,
    description:
      output.description ??
      'Give your final answer by calling this tool once, with the answer as its input. Call it only when you have finished using the other tools.',
    inputSchema,
  };
}

/**
 * Turns the output tool's call in a model stream into the answer's text: its input deltas become
 * text deltas, and in the final response its tool_use block becomes a text block holding the JSON
 * (stop reason end_turn when it was the only call). Other events pass through unchanged.
 */
export async function* answerFromOutputTool(events: AsyncIterable<ModelStreamEvent>, output: OutputSpec): AsyncGenerator<ModelStreamEvent> {
  const wrapped = !isObjectSchema(output.schema);
  let outputCallId: string | undefined;
  for await (const event of events) {
    if (event.type === 'tool_use_start' && event.name === output.name) {
      outputCallId = event.id;
      continue;
    }
    if (event.type === 'tool_input_delta' && event.id === outputCallId) {
      // A wrapped answer's deltas include the wrapper; the final text is exact.
      if (!wrapped) yield { type: 'text_delta', text: event.json };
      continue;
    }
    if (event.type === 'response') {
      const content: ContentBlock[] = [];
      let otherCalls = 0;
      let answered = false;
      for (const block of event.response.content) {
        if (block.type === 'tool_use' && block.name === output.name) {
          answered = true;
          const input = block.input as Record<string, unknown> | string;
          const value = wrapped && typeof input === 'object' && input !== null ? input[OUTPUT_TOOL_VALUE_KEY] : input;
          content.push({ type: 'text', text: typeof value === 'string' && !wrapped ? value : JSON.stringify(value) });
        } else {
          if (block.type === 'tool_use') otherCalls++;
          content.push(block);
        }
      }
      yield {
        type: 'response',
        response: {
          ...event.response,
          content,
          ...(answered && otherCalls === 0 && event.response.stopReason === 'tool_use' ? { stopReason: 'end_turn' as const } : {}),
        },
      };
      continue;
    }
    yield event;
  }
}
