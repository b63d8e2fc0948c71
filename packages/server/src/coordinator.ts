/**
 * Run coordination between server instances: the per-thread run lock and the delivery of
 * approval answers to the instance whose run is waiting for them.
 *
 * Design (documented in the package README and `createServer`): a paused run lives in the
 * process that holds its SSE stream — the agent, its tool call and the open response. An
 * approval POST can land on any instance; it is handed to the coordinator, which delivers it
 * to the instance holding the run. {@link MemoryRunCoordinator} does this inside one process;
 * `PostgresRunCoordinator` (`@mixtape/postgres`) does it across processes and hosts with
 * advisory locks (run lock) and a pending-approvals table plus LISTEN/NOTIFY (delivery).
 * @module
 */
import type { PermissionResponse } from '@mixtape/core';

/** A held run lock of one thread. */
export interface RunLease {
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
}

/** What the server records about a permission request while it waits for an answer. */
export interface PendingApprovalInfo {
  proposalId: string;
  toolName: string;
  toolCallId: string;
  params: unknown;
  display?: string;
}

/** Coordinates runs of one or many server instances. */
export interface RunCoordinator {
  /** Takes the thread's run lock, or resolves null when another run (on any instance) holds it. */
  tryLock(threadId: string): Promise<RunLease | null>;
  /**
   * Records that a run of this instance waits for an answer to `info.proposalId`, and calls
   * `onAnswer` when one arrives (from any instance). The returned function withdraws it.
   */
  expectApproval(
    threadId: string,
    info: PendingApprovalInfo,
    onAnswer: (response: PermissionResponse) => void,
  ): Promise<() => Promise<void>>;
  /**
   * Delivers an answer to the run waiting for it, wherever it runs. Resolves false when no run
   * waits for this proposal on this thread (never asked, already answered, or the run ended).
   */
  answer(threadId: string, proposalId: string, response: PermissionResponse): Promise<boolean>;
  /** Permission requests of a thread that wait for an answer (any instance). */
  pendingApprovals(threadId: string): Promise<PendingApprovalInfo[]>;
  /** Releases connections and locks. */
  close(): Promise<void>;
}

/** Run coordination inside one process: enough for a single server instance. */
export class MemoryRunCoordinator implements RunCoordinator {
  readonly #locked = new Set<string>();
  readonly #waiting = new Map<string, { info: PendingApprovalInfo; onAnswer: (r: PermissionResponse) => void }>();

  async tryLock(threadId: string): Promise<RunLease | null> {
    if (this.#locked.has(threadId)) return null;
    this.#locked.add(threadId);
    let held = true;
    return {
      release: async () => {
        if (held) this.#locked.delete(threadId);
        held = false;
      },
    };
  }

  async expectApproval(
    threadId: string,
    info: PendingApprovalInfo,
    onAnswer: (response: PermissionResponse) => void,
  ): Promise<() => Promise<void>> {
    const key = JSON.stringify([threadId, info.proposalId]);
    const entry = { info, onAnswer };
    this.#waiting.set(key, entry);
    return async () => {
      if (this.#waiting.get(key) === entry) this.#waiting.delete(key);
    };
  }

  async answer(threadId: string, proposalId: string, response: PermissionResponse): Promise<boolean> {
    const key = JSON.stringify([threadId, proposalId]);
    const entry = this.#waiting.get(key);
    if (!entry) return false;
    this.#waiting.delete(key);
    entry.onAnswer(response);
    return true;
  }

  async pendingApprovals(threadId: string): Promise<PendingApprovalInfo[]> {
    const prefix = JSON.stringify([threadId, '']).slice(0, -3);
    return [...this.#waiting].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v.info);
  }

  async close(): Promise<void> {}
}
