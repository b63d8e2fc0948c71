/**
 * One turn: runs the agent on a prompt, shows its events, asks for approvals, and cancels on
 * Ctrl+C (the session stays valid: the agent saves what happened and closes open tool calls).
 * @module
 */
import type { AgentEvent, AgentResult } from '@mixtape/core';
import type { CliAgent } from './setup.js';
import { ApprovalPrompter } from './repl/approval.js';
import { RegionQuestions } from './mcp/questions.js';
import { isCtrlC, type TurnKeys } from './repl/keys.js';
import type { Theme } from './render/theme.js';
import type { TurnView } from './render/turn-view.js';

/** How a turn ended. */
export type TurnOutcome = { status: 'completed'; result: AgentResult } | { status: 'cancelled' } | { status: 'failed'; error: Error };

/** Options of {@link runTurn}. */
export interface TurnOptions {
  view: TurnView;
  theme: Theme;
  /** Keys (TTY only): Ctrl+C cancels, approvals are answered with single keys. */
  keys?: TurnKeys;
  /** Called with every event (e.g. `--json` output). */
  onEvent?: (event: AgentEvent) => void;
  /** Aborted from outside (e.g. SIGINT without a TTY, or the reader of stdout went away). */
  signal?: AbortSignal;
  /** The last thinking block, shown in full by Ctrl+O while the turn runs. */
  lastThinking?: () => string | undefined;
  /** Context for this run only (e.g. MCP resources attached to the prompt). */
  context?: { description: string; value: string }[];
}

/** A tool's own rendering of its input, looked up by tool name. */
export function toolInputFormatter(cli: CliAgent): (name: string, input: unknown) => string | undefined {
  return (name, input) => {
    const t = cli.agent.tools.find((x) => x.name === name);
    if (!t?.formatInput) return undefined;
    try {
      // formatInput expects validated input (defaults filled in).
      const valid = t.validate(input);
      return valid.ok ? t.formatInput(valid.value) : undefined;
    } catch {
      return undefined;
    }
  };
}

/** Runs one turn to its end. Never throws: failures are returned (and shown by the view). */
export async function runTurn(cli: CliAgent, prompt: string, options: TurnOptions): Promise<TurnOutcome> {
  const { view, keys } = options;
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(new Error('Cancelled'));
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let cancelPresses = 0;
  const removeCancelKey = keys?.push((text, key) => {
    if (key.ctrl && key.name === 'o') {
      view.expandThinking(options.lastThinking?.());
      return true;
    }
    if (!isCtrlC(text, key)) return false;
    cancelPresses++;
    // A second Ctrl+C while the run is still winding down leaves at once.
    if (cancelPresses > 1) process.exit(130);
    controller.abort(new Error('Cancelled with Ctrl+C'));
    return true;
  });
  keys?.start();

  // Requests denied by timeout or cancellation close their question.
  const closed = new Map<string, AbortController>();
  const removeHook = cli.agent.addHook((event) => {
    if (event.type === 'permission_denied' || event.type === 'run_failed') {
      for (const [id, c] of closed) if (event.type === 'run_failed' || id === event.toolUseId) c.abort();
    }
  });
  const prompter = keys && view.region ? new ApprovalPrompter(view.region, keys, options.theme, toolInputFormatter(cli)) : undefined;
  // MCP servers ask here while the turn runs: questions in the live region, notices as lines.
  const { ui } = cli.mcp;
  const { theme } = options;
  const giveNotices = ui.lendNotices((text, level) =>
    view.line(level === 'warn' ? theme.yellow(`${theme.sym.warning} ${text}`) : level === 'dim' ? theme.dim(text) : text),
  );
  const questions =
    keys && view.region
      ? new RegionQuestions({
          region: view.region,
          keys,
          theme,
          model: cli.model.info?.name ?? cli.model.modelId,
          openUrl: (url) => {
            if (!cli.mcp.openUrl(url)) view.line(theme.yellow(`${theme.sym.warning} No browser found: open ${url} yourself.`));
          },
        })
      : undefined;
  const giveAsker = questions && ui.lendAsker(questions);

  view.region?.spin('thinking');
  try {
    await cli.ready;
    const stream = cli.agent.stream(prompt, {
      signal: controller.signal,
      ...(options.context?.length && { context: options.context }),
    });
    try {
      for await (const event of stream) {
        options.onEvent?.(event);
        view.handle(event);
        if (event.type === 'permission_required') {
          if (!prompter) {
            cli.agent.respondToPermission(event.proposalId, { action: 'deny', reason: 'Nobody can answer approval questions here.' });
            continue;
          }
          const cancel = new AbortController();
          closed.set(event.toolUseId, cancel);
          const onAbort = () => cancel.abort();
          controller.signal.addEventListener('abort', onAbort, { once: true });
          // One question at a time: an MCP server's question may be on screen.
          const response = await ui.one(() => prompter.ask(event, cancel.signal));
          controller.signal.removeEventListener('abort', onAbort);
          closed.delete(event.toolUseId);
          if (response) cli.agent.respondToPermission(event.proposalId, response);
          view.region?.spin('running ' + event.toolName);
        }
      }
    } catch {
      // The iterator rethrows the run's error after run_failed; the result says it again.
    }
    try {
      return { status: 'completed', result: await stream.result };
    } catch (error) {
      if (controller.signal.aborted) return { status: 'cancelled' };
      return { status: 'failed', error: error as Error };
    }
  } finally {
    // A question still open (a server that kept waiting after the run ended) is withdrawn.
    questions?.close();
    view.stop();
    giveAsker?.();
    giveNotices();
    removeHook();
    removeCancelKey?.();
    keys?.stop();
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}
