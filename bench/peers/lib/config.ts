/**
 * Parameters of the peers bench (bench/peers.bench.ts) and what each framework's child process
 * (client.ts) reports.
 * @module
 */
import type { Framework, Provider } from './frameworks.js';

/** Untimed conversations first (JIT, connection pool). */
export const WARMUP_CONVERSATIONS = 15;
/** Sequential timing: batches × conversations per batch (median batch reported). */
export const SEQUENTIAL_BATCHES = 5;
export const CONVERSATIONS_PER_BATCH = 10;
/** Time-to-first-delta samples (median reported). */
export const TTFT_SAMPLES = 30;
/** Idle agents created for the heap measurement. */
export const IDLE_AGENTS = 1_000;
/** Concurrency levels for throughput. */
export const CONCURRENCY = [100, 1_000] as const;

/** What one child reports. */
export interface ClientResult {
  framework: Framework;
  provider: Provider;
  supported: boolean;
  /** Client CPU (user + system) µs per model step, sequential conversations. */
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
