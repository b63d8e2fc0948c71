/**
 * `/permissions`: what may run without asking (trusted tools, config rules, saved grants), revoking
 * a saved grant, and the audit log of this session's decisions.
 * @module
 */
import type { AuditEntry, Grant } from '@mixtape/core';
import { plural, shortId, timeAgo, truncate } from '../render/format.js';
import type { CommandContext } from './commands.js';

/** Audit entries `/permissions log` shows at most. */
export const MAX_AUDIT_ENTRIES_SHOWN = 50;

function describeGrant(g: Grant): string {
  const what = g.paramsHash ? `${g.tool} (one exact input)` : g.match ? `${g.tool} (${JSON.stringify(g.match)})` : g.tool;
  const scope =
    g.scope === 'session'
      ? `session ${g.sessionId ? shortId(g.sessionId) : ''}`.trim()
      : g.scope === 'project'
        ? 'this project'
        : 'everywhere (user)';
  const expiry = g.expiresAt ? `, until ${g.expiresAt.toISOString()}` : '';
  return `${g.effect === 'deny' ? 'deny' : 'allow'} ${what} — ${scope}${expiry}, ${timeAgo(g.createdAt)}`;
}

function describeAudit(e: AuditEntry): string {
  const when = e.at.toISOString().slice(11, 19);
  const decision = e.decision === 'granted' ? `allowed${e.scope ? ` (${e.scope})` : ''}` : e.decision === 'denied' ? 'denied' : 'asked';
  return `${when}  ${e.tool}  ${decision} by ${e.by}${e.reason ? ` — ${truncate(e.reason, 80)}` : ''}`;
}

/** Grants that concern this folder: this project's, this session's, and the user's. */
async function relevantGrants(ctx: CommandContext): Promise<Grant[]> {
  const { cli } = ctx;
  const session = cli.agent.sessionInfo()?.id;
  const all = await cli.authorizer.grants();
  return all.filter(
    (g) =>
      g.scope === 'user' ||
      (g.scope === 'project' && g.project === cli.authorizer.project) ||
      (g.scope === 'session' && g.sessionId === session),
  );
}

/** Runs `/permissions [list | revoke <id> | log]`. */
export async function permissionsCommand(ctx: CommandContext, args: string): Promise<void> {
  const { cli, print, theme } = ctx;
  const [sub = 'list', ...rest] = args.trim().split(/\s+/).filter(Boolean);
  switch (sub) {
    case 'list': {
      const grants = await relevantGrants(ctx);
      const lines = [theme.bold('Permissions')];
      lines.push(
        `  ${theme.dim('trusted tools (config "permissions.trustedTools" and --allow):')} ${cli.authorizer.trustedTools.join(', ') || 'none'}`,
      );
      if (cli.authorizer.rules.length) {
        lines.push(`  ${theme.dim('rules (config "permissions.rules"):')}`);
        for (const r of cli.authorizer.rules) lines.push(`    ${r.effect} ${r.tool}${r.match ? ` ${JSON.stringify(r.match)}` : ''}`);
      }
      if (grants.length) {
        lines.push(`  ${theme.dim('saved grants (your answers; /permissions revoke <id> removes one):')}`);
        for (const g of grants) lines.push(`    ${theme.cyan(shortId(g.id))}  ${describeGrant(g)}`);
      } else {
        lines.push(`  ${theme.dim('saved grants: none (answer e, t or a to an approval question to save one)')}`);
      }
      lines.push(theme.dim('  /permissions log shows the decisions of this session.'));
      print(lines.join('\n'));
      return;
    }
    case 'revoke': {
      const wanted = rest[0];
      if (!wanted) {
        print(theme.yellow('Usage: /permissions revoke <id>. /permissions lists the saved grants and their ids.'));
        return;
      }
      const matches = (await cli.authorizer.grants()).filter((g) => g.id.startsWith(wanted));
      if (matches.length !== 1) {
        print(
          theme.yellow(
            matches.length
              ? `'${wanted}' matches ${matches.length} grants; type more of the id.`
              : `No saved grant starts with '${wanted}'. /permissions lists them.`,
          ),
        );
        return;
      }
      const grant = matches[0]!;
      await cli.authorizer.revoke(grant.id);
      print(`Revoked ${shortId(grant.id)}: ${describeGrant(grant)}. ${grant.tool} will ask again.`);
      return;
    }
    case 'log': {
      const session = cli.agent.sessionInfo()?.id;
      if (!session) {
        print('No session yet: nothing was decided.');
        return;
      }
      const entries = await cli.authorizer.auditLog({ sessionId: session, limit: MAX_AUDIT_ENTRIES_SHOWN });
      if (!entries.length) {
        print(`No permission decisions in session ${shortId(session)} yet.`);
        return;
      }
      print(
        [
          theme.bold(`Audit log of session ${shortId(session)} (${plural(entries.length, 'decision')})`),
          ...entries.map((e) => `  ${describeAudit(e)}`),
        ].join('\n'),
      );
      return;
    }
    default:
      print(theme.yellow(`Unknown /permissions ${sub}. Use /permissions, /permissions revoke <id> or /permissions log.`));
  }
}
