/**
 * The approval question for a tool call without a grant: y (once), e (this exact call for the
 * session), t (the whole tool for the session), a (always: the whole tool, saved for this
 * project), n (deny, with an optional reason sent to the model). Shown once in the live region
 * and replaced in place by the answer.
 * @module
 */
import type { AgentEventOf, PermissionResponse } from '@mixtape/core';
import { formatToolInput } from '../render/format.js';
import type { Region } from '../render/live.js';
import type { Theme } from '../render/theme.js';
import { isCtrlC, type TurnKeys } from './keys.js';

/** Longest deny reason accepted (characters). */
export const MAX_DENY_REASON_CHARS = 500;

/** Maps an answer key to a permission response; undefined for keys that are not answers. */
export function responseForKey(key: string): PermissionResponse | 'deny-with-reason' | undefined {
  switch (key.toLowerCase()) {
    case 'y':
      return { action: 'once' };
    case 'e':
      return { action: 'exact', scope: 'session' };
    case 't':
      return { action: 'tool', scope: 'session' };
    case 'a':
      return { action: 'tool', scope: 'project' };
    case 'n':
      return 'deny-with-reason';
    default:
      return undefined;
  }
}

/** One line saying what was decided. */
export function describeResponse(toolName: string, response: PermissionResponse): string {
  switch (response.action) {
    case 'once':
      return 'allowed once';
    case 'exact':
      return `allowed this exact call${response.scope === 'project' ? ' in this project' : ' for this session'}`;
    case 'tool':
      return response.scope === 'project' ? `always allowed ${toolName} in this project` : `allowed ${toolName} for this session`;
    case 'deny':
      return response.reason ? `denied: ${response.reason}` : 'denied';
  }
}

/** Asks a person about tool calls, in the live region, with single keys. */
export class ApprovalPrompter {
  constructor(
    private readonly live: Region,
    private readonly keys: TurnKeys,
    private readonly theme: Theme,
    private readonly formatInput?: (toolName: string, input: unknown) => string | undefined,
  ) {}

  /**
   * Asks about one call. Resolves with the answer, or undefined when `cancel` fires first
   * (the run was cancelled or the request timed out).
   */
  ask(event: AgentEventOf<'permission_required'>, cancel: AbortSignal): Promise<PermissionResponse | undefined> {
    const { theme } = this;
    const input = event.display ?? formatToolInput(event.params, 200, this.formatInput?.(event.toolName, event.params));
    const header = `${theme.yellow(theme.sym.question)} ${theme.bold('Allow')} ${theme.bold(event.toolName)}${theme.dim('(')}${input}${theme.dim(')')}${theme.bold('?')}`;
    const choices = theme.plain
      ? `  Press y for yes once, e for this exact call, t for all ${event.toolName} calls this session, a for always in this project, n for no.`
      : `  ${k('y')} yes, once  ${k('e')} this exact call  ${k('t')} all ${event.toolName} calls (session)  ${k('a')} always (project)  ${k('n')} no`;
    function k(c: string) {
      return theme.cyan(theme.bold(c));
    }
    this.live.stopSpinner();
    this.live.setQuestion(`${header}\n${choices}`);

    return new Promise((resolve) => {
      let reason: string | undefined;
      const finish = (response: PermissionResponse | undefined) => {
        remove();
        cancel.removeEventListener('abort', onCancel);
        this.live.setQuestion('');
        if (response) {
          const mark = response.action === 'deny' ? theme.red(theme.sym.denied) : theme.green(theme.sym.allowed);
          this.live.print(`  ${mark} ${theme.dim(`${event.toolName}: ${describeResponse(event.toolName, response)}`)}`);
        }
        resolve(response);
      };
      const onCancel = () => finish(undefined);
      cancel.addEventListener('abort', onCancel, { once: true });
      const remove = this.keys.push((text, key) => {
        if (isCtrlC(text, key)) return false; // the turn's handler cancels the run
        if (reason !== undefined) {
          if (key.name === 'return' || key.name === 'enter') {
            finish({ action: 'deny', ...(reason.trim() && { reason: reason.trim() }) });
            return true;
          }
          if (key.name === 'escape') {
            finish({ action: 'deny' });
            return true;
          }
          if (key.name === 'backspace') {
            reason = reason.slice(0, -1);
          } else if (text && !key.ctrl && !key.meta && !/[\x00-\x1f\x7f]/.test(text) && reason.length < MAX_DENY_REASON_CHARS) {
            reason += text;
          }
          this.live.setQuestion(`${header}\n  ${theme.red(theme.sym.denied)} Reason for the model (optional, Enter to send): ${reason}`);
          return true;
        }
        const answer = text ? responseForKey(text) : undefined;
        if (answer === 'deny-with-reason') {
          reason = '';
          this.live.setQuestion(`${header}\n  ${theme.red(theme.sym.denied)} Reason for the model (optional, Enter to send): `);
        } else if (answer) {
          finish(answer);
        }
        return true;
      });
      if (cancel.aborted) onCancel();
    });
  }
}
