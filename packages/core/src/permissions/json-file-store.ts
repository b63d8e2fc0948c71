/**
 * Grant store in a JSON file, with the audit log in a sibling JSON Lines file.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  type AuditEntry,
  type AuditFilter,
  type Grant,
  type GrantFilter,
  type GrantInput,
  type GrantStore,
  GrantStoreError,
  filterAuditEntries,
  grantMatchesFilter,
  normalizeGrant,
} from './grant.js';

/** Version written in the `version` field of a grant file. */
export const GRANT_FILE_VERSION = 1;

/** The audit log path for a grant file: `grants.json` → `grants.audit.jsonl`. */
export function auditLogPathFor(grantFile: string): string {
  return grantFile.replace(/\.json$/i, '') + '.audit.jsonl';
}

// Writes to one file are queued per path, so that two stores on the same file in one process
// do not lose each other's updates.
const queues = new Map<string, Promise<unknown>>();

function enqueue<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  // The queue only orders writes: each caller gets its own write's error from `next`.
  const settled = next.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

function ioError(action: string, file: string, error: unknown): GrantStoreError {
  const code = (error as NodeJS.ErrnoException).code;
  return new GrantStoreError(
    'io',
    `Could not ${action} grant file ${file}${code ? ` (${code})` : ''}: ${(error as Error).message}. Check that the folder exists and is writable.`,
    {
      cause: error,
    },
  );
}

/**
 * Replaces a file atomically: writes a temporary file in the same folder, flushes it to disk,
 * then renames it over the target, so readers see the old or the new content, never a mix.
 */
async function writeAtomically(file: string, text: string, grantFile: string): Promise<void> {
  const folder = path.dirname(file);
  const temp = path.join(folder, `.${path.basename(file)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    await fs.mkdir(folder, { recursive: true });
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    // Cleanup of the temporary file; the write's own error is what is thrown.
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw ioError('write', grantFile, error);
  }
}

/** Converts the Rust original's file (`{ "<tool>": [{tool, params_hash, scope, created_at}] }`). */
function fromRustFormat(data: Record<string, unknown>): GrantInput[] | null {
  const values = Object.values(data);
  if (!values.every(Array.isArray)) return null;
  return (values as Record<string, unknown>[][]).flat().map((g) => ({
    tool: String(g.tool),
    paramsHash: typeof g.params_hash === 'string' ? g.params_hash : undefined,
    scope: 'user' as const, // the original applies every stored grant everywhere
    createdAt: typeof g.created_at === 'string' ? new Date(g.created_at) : undefined,
    createdBy: 'mixtape-rs',
  }));
}

/**
 * A {@link GrantStore} in one JSON file (`{ "version": 1, "grants": [...] }`, pretty-printed),
 * with every decision appended to a sibling JSON Lines file ({@link auditLogPathFor}).
 *
 * - Writes are atomic: a temporary file in the same folder is written, flushed, then renamed
 *   over the grant file, so a crash never leaves a half-written file. Parent folders are created.
 * - The file is read on every call, so edits by hand or by another process are seen.
 *   Writers in one process are serialised; two processes writing at the same moment may lose
 *   one update (the last rename wins) — use `SqliteGrantStore` for many processes.
 * - A file that is not valid JSON or not a grant file makes every call fail with a
 *   {@link GrantStoreError} of kind 'corrupt' that names the file and what to do; it is never
 *   overwritten. An empty file is an empty store. The Rust original's grant file is read too.
 * - A torn last line of the audit log (a crash mid-append) is skipped when reading.
 */
export class JsonFileGrantStore implements GrantStore {
  /** Absolute path of the grant file. */
  readonly path: string;
  /** Absolute path of the audit log. */
  readonly auditPath: string;
  // The parsed grants and the file identity they came from: a check reads the file's metadata
  // only, and parses and validates the grants again only when the file changed (new inode after
  // our atomic rename, or a new size/mtime after an edit in place).
  #cache: { key: string; grants: Grant[] } | undefined;

  constructor(file: string, options: { auditPath?: string } = {}) {
    this.path = path.resolve(file);
    this.auditPath = path.resolve(options.auditPath ?? auditLogPathFor(this.path));
  }

  async #read(): Promise<Grant[]> {
    let text: string;
    let key: string;
    try {
      const stat = await fs.stat(this.path, { bigint: true });
      key = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
      if (this.#cache?.key === key) return this.#cache.grants;
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError('read', this.path, error);
    }
    const grants = this.#parse(text);
    this.#cache = { key, grants };
    return grants;
  }

  #parse(text: string): Grant[] {
    if (text.trim() === '') return [];
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new GrantStoreError(
        'corrupt',
        `Grant file ${this.path} is not valid JSON (${(error as Error).message}). Fix it by hand, or delete it to start with no grants.`,
        {
          cause: error,
        },
      );
    }
    let items: unknown;
    if (typeof data === 'object' && data !== null && !Array.isArray(data) && 'grants' in data) {
      const version = (data as { version?: unknown }).version;
      if (typeof version === 'number' && version > GRANT_FILE_VERSION) {
        throw new GrantStoreError(
          'corrupt',
          `Grant file ${this.path} has version ${version}, newer than this Mixtape understands (${GRANT_FILE_VERSION}). Upgrade Mixtape.`,
        );
      }
      items = data.grants;
    } else if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
      items = fromRustFormat(data as Record<string, unknown>);
    }
    if (!Array.isArray(items)) {
      throw new GrantStoreError(
        'corrupt',
        `Grant file ${this.path} is not a grant file (expected {"version": ${GRANT_FILE_VERSION}, "grants": [...]}). Fix it by hand, or delete it to start with no grants.`,
      );
    }
    return items.map((item, index) => {
      try {
        return normalizeGrant(item as GrantInput);
      } catch (error) {
        throw new GrantStoreError(
          'corrupt',
          `Grant file ${this.path}, grant ${index}: ${(error as Error).message}. Fix or remove that grant.`,
          { cause: error },
        );
      }
    });
  }

  async #write(grants: Grant[]): Promise<void> {
    await writeAtomically(this.path, JSON.stringify({ version: GRANT_FILE_VERSION, grants }, null, 2) + '\n', this.path);
  }

  #update<T>(change: (grants: Grant[]) => { grants: Grant[] | null; result: T }): Promise<T> {
    return enqueue(this.path, async () => {
      const { grants, result } = change([...(await this.#read())]);
      if (grants) await this.#write(grants);
      return result;
    });
  }

  async save(input: GrantInput): Promise<Grant> {
    const grant = normalizeGrant(input);
    return this.#update((grants) => ({ grants: [...grants.filter((g) => g.id !== grant.id), grant], result: structuredClone(grant) }));
  }

  async list(filter?: GrantFilter): Promise<Grant[]> {
    return (await this.#read()).filter((g) => grantMatchesFilter(g, filter)).map((g) => structuredClone(g));
  }

  async delete(id: string): Promise<boolean> {
    return this.#update((grants) => {
      const kept = grants.filter((g) => g.id !== id);
      return kept.length === grants.length ? { grants: null, result: false } : { grants: kept, result: true };
    });
  }

  async clear(): Promise<void> {
    await this.#update(() => ({ grants: [], result: undefined }));
  }

  async audit(entry: AuditEntry): Promise<void> {
    const line = JSON.stringify(entry) + '\n';
    await enqueue(this.auditPath, async () => {
      try {
        await fs.mkdir(path.dirname(this.auditPath), { recursive: true });
        // One appendFile call is one write(2) with O_APPEND: lines from several processes do not interleave.
        await fs.appendFile(this.auditPath, line, { encoding: 'utf8', mode: 0o600 });
      } catch (error) {
        throw ioError('append to the audit log of', this.path, error);
      }
    });
  }

  /**
   * Rewrites the audit log without entries older than `before` (atomically, like the grant file).
   * An entry another process appends while the rewrite runs may be lost; prune when no other
   * process is writing, or use `SqliteGrantStore`.
   */
  async pruneAudit(before: Date): Promise<number> {
    return enqueue(this.auditPath, async () => {
      const entries = await this.#readAudit();
      const kept = entries.filter((e) => e.at.getTime() >= before.getTime());
      if (kept.length === entries.length) return 0;
      await writeAtomically(this.auditPath, kept.map((e) => JSON.stringify(e) + '\n').join(''), this.path);
      return entries.length - kept.length;
    });
  }

  async auditLog(filter?: AuditFilter): Promise<AuditEntry[]> {
    return filterAuditEntries(await this.#readAudit(), filter);
  }

  async #readAudit(): Promise<AuditEntry[]> {
    let text: string;
    try {
      text = await fs.readFile(this.auditPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError('read the audit log of', this.path, error);
    }
    const entries: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const raw = JSON.parse(line) as AuditEntry & { at: string };
        entries.push({ ...raw, at: new Date(raw.at) });
      } catch {
        // A torn line from a crash mid-append: skipped (the log is append-only).
      }
    }
    return entries;
  }
}
