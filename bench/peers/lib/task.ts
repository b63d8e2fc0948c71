/**
 * The benchmark task shared by every framework: 5 model steps with 2 parallel `echo` tool calls
 * each, then a final text answer; and a one-step text answer for time to first text delta.
 *
 * The fake servers of @mixtape/testing serve one global queue of scripted responses. With many
 * conversations in flight the order of requests is not known in advance, so each response is
 * queued in `onRequest` (called synchronously right before the server takes the next response),
 * chosen from the request itself: the number of tool results already in the conversation.
 * @module
 */
import type { FakeScript, RecordedRequest } from '@mixtape/testing';

/** Model steps that call tools before the final answer. */
export const TOOL_STEPS = 5;
/** Parallel tool calls per tool step. */
export const CALLS_PER_STEP = 2;
/** Model calls per task conversation (tool steps + the final answer). */
export const MODEL_CALLS_PER_TASK = TOOL_STEPS + 1;
/** Step limit given to every framework (above the task's need, so none stops early). */
export const MAX_STEPS = 10;
/** A prompt containing this marker gets a text answer at once (time to first text delta). */
export const TTFT_MARKER = '[ttft]';
/** The final answer (streamed one word per delta). */
export const FINAL_TEXT = 'All five steps are done: the echoes came back as expected and the task is complete.';
/** The task prompt. */
export const TASK_PROMPT = 'Call the echo tool twice per step, five times, then answer.';
/** The time-to-first-delta prompt. */
export const TTFT_PROMPT = `${TTFT_MARKER} Say something.`;
/** System prompt / instructions given to every framework. */
export const INSTRUCTIONS = 'You are a benchmark agent. Use the echo tool when asked.';

/** Text of a request's messages, any wire format (Anthropic or OpenAI chat). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((b: any) => (typeof b?.text === 'string' ? b.text : '')).join(' ');
  return '';
}

/** Queues the response this request should get, from the conversation state it carries. */
export function respond(request: RecordedRequest, script: FakeScript): void {
  const messages: any[] = Array.isArray(request.body?.messages) ? request.body.messages : [];
  const firstUser = messages.find((m) => m?.role === 'user');
  if (textOf(firstUser?.content).includes(TTFT_MARKER)) {
    script.text(FINAL_TEXT);
    return;
  }
  // Steps done = tool results sent / calls per step. (Not the number of assistant messages:
  // Mastra merges the assistant turns of one run into a single message.)
  let results = 0;
  for (const m of messages) {
    if (m?.role === 'tool') results++;
    else if (m?.role === 'user' && Array.isArray(m.content)) results += m.content.filter((b: any) => b?.type === 'tool_result').length;
  }
  const step = Math.floor(results / CALLS_PER_STEP);
  if (step < TOOL_STEPS) {
    script.toolUses(Array.from({ length: CALLS_PER_STEP }, (_, i) => ({ name: 'echo', input: { n: step * 100 + i } })));
  } else {
    script.text(FINAL_TEXT);
  }
}
