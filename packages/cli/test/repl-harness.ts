/**
 * The hooks of a test file's REPL journeys (shared by the tmux e2e files): a fake Anthropic
 * server on 127.0.0.1 started before all tests and closed after them; after each test the tmux
 * sessions it started are killed and the server's script is cleared.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type FakeServer, startFakeAnthropic } from '@mixtape/testing';
import type { TmuxSession } from './helpers.js';

/** Registers the hooks; `set` receives the server once it listens. */
export function useFakeAnthropicRepl(sessions: TmuxSession[], set: (server: FakeServer) => void): void {
  let server: FakeServer | undefined;
  beforeAll(async () => {
    server = await startFakeAnthropic({ apiKey: 'test-key' });
    set(server);
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) s.kill();
    server?.script.clear();
  });
}
