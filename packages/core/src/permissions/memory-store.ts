/**
 * In-memory grant store (grants and audit log live as long as the object).
 * @module
 */
import {
  type AuditEntry,
  type AuditFilter,
  type Grant,
  type GrantFilter,
  type GrantInput,
  type GrantStore,
  filterAuditEntries,
  grantMatchesFilter,
  normalizeGrant,
} from './grant.js';

/** Default number of audit entries a {@link MemoryGrantStore} keeps (oldest dropped first). */
export const DEFAULT_MEMORY_AUDIT_LIMIT = 10_000;

function copyGrant(grant: Grant): Grant {
  return structuredClone(grant);
}

/** A {@link GrantStore} in memory: for tests, one-off runs, and as the authorizer's default. */
export class MemoryGrantStore implements GrantStore {
  readonly #grants = new Map<string, Grant>();
  readonly #audit: AuditEntry[] = [];
  readonly #auditLimit: number;

  /** @param options.auditLimit how many audit entries to keep (default {@link DEFAULT_MEMORY_AUDIT_LIMIT}). */
  constructor(options: { auditLimit?: number } = {}) {
    this.#auditLimit = options.auditLimit ?? DEFAULT_MEMORY_AUDIT_LIMIT;
  }

  async save(input: GrantInput): Promise<Grant> {
    const grant = normalizeGrant(input);
    this.#grants.delete(grant.id); // a replaced grant moves to the end (newest)
    this.#grants.set(grant.id, grant);
    return copyGrant(grant);
  }

  async list(filter?: GrantFilter): Promise<Grant[]> {
    return [...this.#grants.values()].filter((g) => grantMatchesFilter(g, filter)).map(copyGrant);
  }

  async delete(id: string): Promise<boolean> {
    return this.#grants.delete(id);
  }

  async clear(): Promise<void> {
    this.#grants.clear();
  }

  async audit(entry: AuditEntry): Promise<void> {
    this.#audit.push(structuredClone(entry));
    if (this.#audit.length > this.#auditLimit) this.#audit.splice(0, this.#audit.length - this.#auditLimit);
  }

  async pruneAudit(before: Date): Promise<number> {
    const kept = this.#audit.filter((e) => e.at.getTime() >= before.getTime());
    const removed = this.#audit.length - kept.length;
    this.#audit.splice(0, this.#audit.length, ...kept);
    return removed;
  }

  async auditLog(filter?: AuditFilter): Promise<AuditEntry[]> {
    return filterAuditEntries(this.#audit, filter).map((e) => structuredClone(e));
  }
}
