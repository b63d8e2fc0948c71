/**
 * Parameters of the peers bench (bench/peers.bench.ts) and the messages between it and each
 * framework's child process (client.ts).
 * @module
 */
import type { Framework, Provider } from './frameworks.js';

/** Untimed conversations in each child before any measurement (JIT, connection pool). */
export const WARMUP_CONVERSATIONS = 15;
/**
 * Sequential timing: rounds × conversations per child per round. Rounds visit every child in
 * turn, so changes in machine load hit all frameworks alike; the median round is reported.
 */
export const SEQUENTIAL_ROUNDS = 7;
export const CONVERSATIONS_PER_ROUND = 6;
/** Time to first text delta: rounds × samples per child per round (median of all samples). */
export const TTFT_ROUNDS = 6;
export const TTFT_SAMPLES_PER_ROUND = 5;
/** Idle agents created for the heap measurement. */
export const IDLE_AGENTS = 1_000;
/** Conversations started at once, untimed, before each throughput measurement. */
export const THROUGHPUT_WARMUP = 100;
/** Concurrency levels for throughput. */
export const CONCURRENCY = [100, 1_000] as const;
/**
 * Servers the throughput test runs on. Only OpenAI, where all five frameworks run: the test is
 * about each framework's handling of many conversations, and 1,000 conversations per framework
 * and server would take most of the bench's time.
 */
export const THROUGHPUT_PROVIDERS: readonly Provider[] = ['openai'];

/** Parent → child. */
export type Command =
  | { cmd: 'sequential'; conversations: number }
  | { cmd: 'ttft'; samples: number }
  | { cmd: 'heap'; agents: number }
  | { cmd: 'throughput'; concurrency: number }
  | { cmd: 'exit' };

/** Child → parent. */
export type Reply =
  | { type: 'ready'; supported: boolean }
  | { type: 'sequential'; cpuPerStepUs: number; wallPerStepUs: number }
  | { type: 'ttft'; samplesMs: number[] }
  | { type: 'heap'; bytesPerAgent: number | undefined }
  | { type: 'throughput'; concurrency: number; wallMs: number; conversationsPerSec: number; cpuMsPerConversation: number }
  | { type: 'error'; message: string };

/** What the bench gathers for one framework on one server. */
export interface ClientResult {
  framework: Framework;
  provider: Provider;
  supported: boolean;
  /** Set when the child failed. */
  error?: string;
  /** Client CPU (user + system) µs per model step, sequential conversations (median round). */
  cpuPerStepUs?: number;
  /** Wall µs per model step, sequential conversations (includes the server). */
  wallPerStepUs?: number;
  /** Median ms from the call to the first text delta (one-step text answer). */
  ttftMs?: number;
  /** heapUsed bytes per idle agent. */
  heapPerAgentBytes?: number;
  /** Per concurrency level: conversations per second (wall) and client CPU ms per conversation. */
  throughput?: { concurrency: number; conversationsPerSec: number; cpuMsPerConversation: number; wallMs: number }[];
}
