/**
 * Where the requests of MCP servers meet the person: a server may ask for input (elicitation) or
 * for the model (sampling) at any time, but only a turn on a terminal has a place to ask (the
 * live region and its keys). The turn lends its asker and its notice line for its duration;
 * without one, requests are declined with a note, and notices go to the REPL's print or stderr.
 * @module
 */
import type { McpElicitationRequest, McpElicitationResult, McpRequestContext, McpSamplingRequest } from '@mixtape/mcp';

/** A decision on a sampling request (the shape `modelSamplingHandler` takes). */
export type SamplingDecision = boolean | { approved: boolean; reason?: string };

/** Asks the person (implemented by the turn's questions in the live region). */
export interface McpAsker {
  /** Form or URL elicitation: the person's answer. */
  elicit(request: McpElicitationRequest, ctx: McpRequestContext): Promise<McpElicitationResult>;
  /** Whether the server's sampling request may run on the agent's model; `'session'`: this one and the server's next ones while mixtape runs. */
  approveSampling(request: McpSamplingRequest, ctx: McpRequestContext): Promise<SamplingDecision | 'session'>;
}

/** How a notice is shown: `info` as is, `dim` for log lines of servers, `warn` in yellow. */
export type NoticeLevel = 'info' | 'dim' | 'warn';

/** Shows one notice line. */
export type NoticeSink = (text: string, level: NoticeLevel) => void;

/**
 * The current asker and notice sink (a stack: the latest lender wins until it gives them back).
 * One question at a time: requests that arrive while one is asked wait for it.
 */
export class McpUi {
  readonly #askers: McpAsker[] = [];
  readonly #sinks: NoticeSink[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly fallback: NoticeSink) {}

  /** The asker of the running turn, if a person can be asked now. */
  get asker(): McpAsker | undefined {
    return this.#askers.at(-1);
  }

  /** Lends an asker until the returned function is called. */
  lendAsker(asker: McpAsker): () => void {
    this.#askers.push(asker);
    return () => remove(this.#askers, asker);
  }

  /** Lends a notice sink until the returned function is called. */
  lendNotices(sink: NoticeSink): () => void {
    this.#sinks.push(sink);
    return () => remove(this.#sinks, sink);
  }

  /** Shows a notice where the person looks now. */
  notice(text: string, level: NoticeLevel = 'info'): void {
    (this.#sinks.at(-1) ?? this.fallback)(text, level);
  }

  /** Runs `ask` after the questions before it have been answered. */
  one<T>(ask: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(ask, ask);
    // The queue only orders questions; each caller handles its own outcome.
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.lastIndexOf(item);
  if (i >= 0) list.splice(i, 1);
}
