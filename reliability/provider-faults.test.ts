/**
 * Provider faults: agents on each provider's official SDK run against the fake servers of
 * @mixtape/testing while they inject 429/529/500 storms, connection resets before and during the
 * stream, malformed events, in-stream errors, truncated tool input and stalls. Every run ends
 * within its timeout with a result or a typed error; nothing hangs, no promise rejection goes
 * unhandled, and every session still loads as a valid provider history.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  AgentError,
  ClaudeSonnet4_6,
  fromSessionMessages,
  type Model,
  ProviderError,
  repairSessionMessages,
  tool,
} from '@mixtape/core';
import { validateHistory } from '@mixtape/core/testing';
import { anthropic } from '@mixtape/anthropic';
import { bedrock } from '@mixtape/bedrock';
import { openaiCompatible } from '@mixtape/openai';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { type FakeScript, type FakeServer, startFakeAnthropic, startFakeBedrock, startFakeOpenAI } from '@mixtape/testing';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
/** Runs per provider: every scenario three times. */
const RUNS_PER_PROVIDER = 30;
const RUN_TIMEOUT_MS = 1_500;
const retry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 20 };

const providers: { name: string; start: () => Promise<FakeServer>; model: (s: FakeServer) => Model }[] = [
  {
    name: 'anthropic',
    start: () => startFakeAnthropic(),
    model: (s) => anthropic(ClaudeSonnet4_6, { apiKey: 'test-key', baseURL: s.baseURL, retry }),
  },
  {
    name: 'openai',
    start: () => startFakeOpenAI(),
    model: (s) => openaiCompatible({ baseURL: s.baseURL, model: 'gpt-test', apiKey: 'test-key', retry }),
  },
  {
    name: 'bedrock',
    start: () => startFakeBedrock(),
    model: (s) =>
      bedrock(ClaudeSonnet4_6, {
        endpoint: s.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
        retry,
      }),
  },
];

const echo = tool({ name: 'echo', description: 'echoes', input: z.object({ text: z.string() }), execute: ({ text }) => text });

/** Queues one scenario: some faults, then (maybe) a good answer. Returns its name. */
function queueScenario(script: FakeScript, pick: number): string {
  switch (pick) {
    case 0:
      script.error(429, { retryAfterMs: 1 }).text('after a 429');
      return '429 then ok';
    case 1:
      script.error(429).error(429).error(429).error(429);
      return '429 storm';
    case 2:
      script.error(529).error(500).text('after 529 and 500');
      return '529, 500 then ok';
    case 3:
      script.reset().text('after a reset');
      return 'reset before output';
    case 4:
      script.text('cut off in the middle of this answer', { fault: { kind: 'reset', afterEvents: 4 } });
      return 'reset mid-stream';
    case 5:
      script.text('a malformed event follows', { fault: { kind: 'malformed', afterEvents: 3 } });
      return 'malformed event';
    case 6:
      script.text('never finishes', { fault: { kind: 'stall', afterEvents: 3 } });
      return 'stall';
    case 7:
      script.toolUse('echo', { text: 'hi' }, { truncateToolInput: true }).text('after truncated input');
      return 'truncated tool input';
    case 8:
      script.text('error event', { fault: { kind: 'error_event', afterEvents: 3 } });
      return 'in-stream error';
    default:
      script.toolUse('echo', { text: 'hello' }).text('fine');
      return 'clean';
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => void process.off('unhandledRejection', onUnhandled));

describe('provider faults', () => {
  for (const provider of providers) {
    it(
      `${provider.name}: ${RUNS_PER_PROVIDER} runs under injected faults end with a result or a typed error`,
      { timeout: 120_000 },
      async () => {
        const server = await provider.start();
        const store = new SqliteSessionStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'mixtape-faults-')), 'sessions.db'));
        const outcomes = new Map<string, number>();
        let faults = 0;
        try {
          for (let i = 0; i < RUNS_PER_PROVIDER; i++) {
            server.script.clear();
            const scenario = queueScenario(server.script, i % 10);
            if (scenario !== 'clean') faults++;
            const agent = new Agent({
              model: provider.model(server),
              tools: [echo],
              sessionStore: store,
              sessionId: `faults-${provider.name}-${i % 4}`,
            });
            const started = Date.now();
            let outcome: string;
            try {
              const result = await agent.run(`run ${i}`, { signal: AbortSignal.timeout(RUN_TIMEOUT_MS) });
              outcome = `ok`;
              expect(typeof result.text).toBe('string');
            } catch (error) {
              expect(error).toBeInstanceOf(AgentError);
              const cause = (error as AgentError).cause;
              if ((error as AgentError).kind === 'provider')
                expect(cause, `${scenario}: ${(error as Error).message}`).toBeInstanceOf(ProviderError);
              outcome = (error as AgentError).kind;
            }
            // Ends within its timeout (plus a margin for the cancellation to settle).
            expect(Date.now() - started).toBeLessThan(RUN_TIMEOUT_MS + 2_000);
            const key = `${scenario} → ${outcome}`;
            outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          }
          let checked = 0;
          for (const summary of await store.listSessions()) {
            const session = (await store.getSession(summary.id))!;
            expect(validateHistory(fromSessionMessages(repairSessionMessages(session.messages).messages))).toEqual([]);
            checked++;
          }
          expect(unhandled).toEqual([]);
          console.log(
            `provider faults (${provider.name}): runs=${RUNS_PER_PROVIDER} faults injected=${faults} sessions checked=${checked} losses=0\n  ${[...outcomes].map(([k, n]) => `${k}: ${n}`).join('\n  ')}`,
          );
        } finally {
          await store.close();
          await server.close();
        }
      },
    );
  }
});
