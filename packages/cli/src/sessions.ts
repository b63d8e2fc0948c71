/**
 * Which session a run uses: `--new`, `--continue` (the default: the folder's newest), `--session
 * <id>` (an id prefix is enough) and `--fork` (a copy of the chosen session).
 * @module
 */
import type { SessionStore } from '@mixtape/core';
import { forkSession } from '@mixtape/core/session';
import { CliUsageError } from './errors.js';

/** The session flags, checked. */
export type SessionChoice = { mode: 'new' } | { mode: 'continue'; session?: string; fork?: boolean };

/** Where the run starts: a given session id, a new session, or the store's newest. */
export interface SessionStart {
  /** The session to use; undefined: the newest (or a new one when `fresh`). */
  sessionId?: string;
  fresh: boolean;
  /** A line for the person ("Forked session 1a2b3c4d into 5e6f7a8b."). */
  note?: string;
}

/** Resolves an id or a unique id prefix to a session id. */
export async function findSessionId(store: SessionStore, idOrPrefix: string, hint = '/sessions in the REPL lists them'): Promise<string> {
  const all = await store.listSessions();
  const exact = all.find((s) => s.id === idOrPrefix);
  if (exact) return exact.id;
  const matches = all.filter((s) => s.id.startsWith(idOrPrefix));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new CliUsageError(`No session of this folder starts with '${idOrPrefix}' (${hint}).`);
  throw new CliUsageError(`'${idOrPrefix}' matches ${matches.length} sessions; type more of the id.`);
}

/** Applies the session flags to a store (forking creates the copy now). */
export async function startSession(store: SessionStore, choice: SessionChoice | undefined): Promise<SessionStart> {
  if (!choice) return { fresh: false };
  if (choice.mode === 'new') return { fresh: true };
  let sessionId =
    choice.session !== undefined
      ? await findSessionId(store, choice.session, '--session takes an id shown by /sessions in the REPL')
      : undefined;
  if (!choice.fork) return { sessionId, fresh: false };
  sessionId ??= (await store.listSessions())[0]?.id;
  if (sessionId === undefined)
    throw new CliUsageError('--fork: this folder has no session to copy yet. Start one with mixtape (or mixtape run "...") first.');
  const fork = await forkSession(store, sessionId);
  return { sessionId: fork.id, fresh: false, note: `Forked session ${sessionId.slice(0, 8)} into ${fork.id.slice(0, 8)}.` };
}
