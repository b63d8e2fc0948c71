/**
 * The bound on what one tool result may put in the conversation. A larger result is cut, and a
 * note tells the model how to get the rest; the cut form is what the model sees and what is stored.
 * @module
 */
import type { ToolResultContent } from '../messages.js';

/** Default bound on the characters of text and JSON in one tool result (about 25,000 tokens). */
export const DEFAULT_MAX_TOOL_RESULT_CHARS = 100_000;

/** What the model needs to know to page through the tool's output, when its schema has paging inputs. */
function pagingHint(toolName: string, inputSchema: Record<string, unknown> | undefined, shown: number): string {
  const props = (inputSchema?.properties ?? {}) as Record<string, unknown>;
  for (const key of ['offset', 'start', 'cursor', 'page', 'start_line', 'line']) {
    if (key in props) return ` To see the rest, call ${toolName} again with a larger "${key}" (or a smaller range).`;
  }
  if ('limit' in props || 'max_results' in props)
    return ` Call ${toolName} again with a smaller "limit" or a narrower query to see the rest.`;
  return ` Only the first ${shown} characters were kept; call ${toolName} again with a narrower request for the part you need.`;
}

/**
 * Cuts text and JSON content to `maxChars` characters in total (images and documents pass),
 * appending a note. Returns the content unchanged when it fits. Linear in the content's size.
 */
export function limitToolResult(
  content: ToolResultContent[],
  maxChars: number,
  tool?: { name: string; inputSchema?: Record<string, unknown> },
): { content: ToolResultContent[]; truncated: boolean; totalChars: number } {
  let total = 0;
  const texts = content.map((c) => {
    const t = c.type === 'text' ? c.text : c.type === 'json' ? safeJson(c.value) : undefined;
    if (t !== undefined) total += t.length;
    return t;
  });
  if (total <= maxChars) return { content, truncated: false, totalChars: total };
  let budget = maxChars;
  const out: ToolResultContent[] = [];
  content.forEach((c, i) => {
    const t = texts[i];
    if (t === undefined) {
      out.push(c);
      return;
    }
    if (budget <= 0) return;
    const kept = t.length <= budget ? t : t.slice(0, budget);
    budget -= kept.length;
    // JSON that is cut is no longer JSON: it goes on as text.
    out.push(c.type === 'json' && kept.length === t.length ? c : { type: 'text', text: kept });
  });
  const name = tool?.name ?? 'the tool';
  out.push({
    type: 'text',
    text: `\n[Output truncated: showing the first ${maxChars} of ${total} characters (limit maxToolResultChars).${pagingHint(name, tool?.inputSchema, maxChars)}]`,
  });
  return { content: out, truncated: true, totalChars: total };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
