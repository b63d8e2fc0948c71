/**
 * One LISTEN connection per process side (client or worker): NOTIFY payloads are handed to the
 * handlers of their channel. When the connection breaks it reconnects, and every handler is
 * called with `null` (something may have been missed: re-read).
 * @module
 */
import type pg from 'pg';

/** How long to wait before reconnecting a broken LISTEN connection (ms). */
export const LISTEN_RECONNECT_DELAY_MS = 500;

type Handler = (payload: string | null) => void;

/** A LISTEN connection taken from a pool. */
export class Listener {
  readonly #pool: pg.Pool;
  readonly #handlers = new Map<string, Set<Handler>>();
  #client: Promise<pg.PoolClient> | undefined;
  #closed = false;
  #onError: (e: unknown) => void;

  constructor(pool: pg.Pool, channels: string[], onError: (e: unknown) => void) {
    this.#pool = pool;
    for (const c of channels) this.#handlers.set(c, new Set());
    this.#onError = onError;
  }

  /** Connects and listens (resolves once LISTEN is in place). */
  start(): Promise<void> {
    return this.#connect().then(() => undefined);
  }

  /** Adds a handler of a channel; returns a function that removes it. */
  on(channel: string, handler: Handler): () => void {
    const set = this.#handlers.get(channel);
    if (!set) throw new Error(`Listener: unknown channel ${channel}`);
    set.add(handler);
    return () => set.delete(handler);
  }

  #connect(): Promise<pg.PoolClient> {
    this.#client ??= (async () => {
      const client = await this.#pool.connect();
      let broken = false;
      const onBroken = (e?: unknown) => {
        if (broken) return;
        broken = true;
        this.#client = undefined;
        client.release(true);
        if (this.#closed) return;
        if (e) this.#onError(e);
        setTimeout(() => {
          if (this.#closed) return;
          this.#connect().then(
            () => this.#emitAll(null),
            (err) => this.#onError(err),
          );
        }, LISTEN_RECONNECT_DELAY_MS).unref();
      };
      client.on('error', onBroken);
      client.on('end', () => onBroken());
      client.on('notification', (msg) => {
        for (const h of this.#handlers.get(msg.channel) ?? []) h(msg.payload ?? '');
      });
      try {
        for (const channel of this.#handlers.keys()) await client.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
      } catch (e) {
        onBroken();
        throw e;
      }
      return client;
    })().catch((e) => {
      this.#client = undefined;
      throw e;
    });
    return this.#client;
  }

  #emitAll(payload: null): void {
    for (const set of this.#handlers.values()) for (const h of set) h(payload);
  }

  /** Stops listening and returns the connection to the pool. */
  async close(): Promise<void> {
    this.#closed = true;
    // A connection that never opened has nothing to return (its error went to whoever awaited it).
    const client = await this.#client?.catch(() => undefined);
    this.#client = undefined;
    if (client) {
      client.removeAllListeners('end');
      client.removeAllListeners('error');
      client.on('error', () => {}); // closing: errors of this connection no longer matter
      client.release(true);
    }
  }
}
