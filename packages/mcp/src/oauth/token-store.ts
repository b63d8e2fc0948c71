/**
 * Where OAuth credentials of remote MCP servers live: the `OAuthTokenStore` interface, an
 * in-memory store and a file store (the CLI's, in the user's config folder).
 * @module
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/** Everything kept for one MCP server (keyed by its URL): registration, tokens, PKCE verifier, discovery. */
export interface OAuthRecord {
  /** The client registration (from dynamic client registration, or configured). */
  clientInformation?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  /** PKCE code verifier of an authorization in progress. */
  codeVerifier?: string;
  /** Discovered protected-resource and authorization-server metadata. */
  discoveryState?: OAuthDiscoveryState;
  /** ISO time of the last save. */
  updatedAt?: string;
}

/**
 * A store of OAuth credentials. Implementations: {@link MemoryOAuthTokenStore},
 * {@link FileOAuthTokenStore} (CLI), {@link SqliteOAuthTokenStore} and
 * {@link PostgresOAuthTokenStore} (servers). Keys are server URLs.
 */
export interface OAuthTokenStore {
  load(key: string): Promise<OAuthRecord | undefined>;
  save(key: string, record: OAuthRecord): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Thrown when a token store cannot be read or written; the message names the file or table. */
export class OAuthTokenStoreError extends Error {
  override name = 'OAuthTokenStoreError';
}

/** Credentials in memory (tests, short-lived processes). */
export class MemoryOAuthTokenStore implements OAuthTokenStore {
  readonly #records = new Map<string, string>();
  load(key: string): Promise<OAuthRecord | undefined> {
    const json = this.#records.get(key);
    return Promise.resolve(json === undefined ? undefined : (JSON.parse(json) as OAuthRecord));
  }
  save(key: string, record: OAuthRecord): Promise<void> {
    this.#records.set(key, JSON.stringify({ ...record, updatedAt: new Date().toISOString() }));
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.#records.delete(key);
    return Promise.resolve();
  }
}

/** The user's config folder for Mixtape: `$XDG_CONFIG_HOME/mixtape` or `~/.config/mixtape` (`%APPDATA%\mixtape` on Windows). */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'mixtape');
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'mixtape');
}

/** Default file of {@link FileOAuthTokenStore}: `mcp-oauth.json` in {@link userConfigDir}. */
export function defaultOAuthTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userConfigDir(env), 'mcp-oauth.json');
}

/**
 * Credentials in one JSON file readable only by the user (mode 0600), written atomically
 * (temporary file + rename). Saves within one process are serialised.
 */
export class FileOAuthTokenStore implements OAuthTokenStore {
  readonly file: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string = defaultOAuthTokenFile()) {
    this.file = path.resolve(file);
  }

  async #read(): Promise<Record<string, OAuthRecord>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new OAuthTokenStoreError(`Cannot read the MCP OAuth token file ${this.file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      return parsed as Record<string, OAuthRecord>;
    } catch (error) {
      throw new OAuthTokenStoreError(
        `The MCP OAuth token file ${this.file} is corrupt (${(error as Error).message}); delete it to sign in again.`,
        { cause: error },
      );
    }
  }

  #update(change: (all: Record<string, OAuthRecord>) => void): Promise<void> {
    const next = this.#queue.then(async () => {
      const all = await this.#read();
      change(all);
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(all, null, 2), { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, this.file);
    });
    this.#queue = next.catch(() => undefined); // the caller gets the error; later saves still run
    return next;
  }

  async load(key: string): Promise<OAuthRecord | undefined> {
    await this.#queue;
    return (await this.#read())[key];
  }

  save(key: string, record: OAuthRecord): Promise<void> {
    return this.#update((all) => {
      all[key] = { ...record, updatedAt: new Date().toISOString() };
    });
  }

  delete(key: string): Promise<void> {
    return this.#update((all) => {
      delete all[key];
    });
  }
}
