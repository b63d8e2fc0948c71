/**
 * The core interrupts API as the server uses it, under the server's names (one place to look).
 * @module
 */
import type { AgentResult, Interrupt, InterruptAnswer, RunOptions } from '@mixtape/core';

/** One thing a paused run waits for (core's `Interrupt`). */
export type CoreInterrupt = Interrupt;
/** An answer to one interrupt (core's `InterruptAnswer`). */
export type CoreInterruptAnswer = InterruptAnswer;
/** A run's result, interrupt fields included. */
export type InterruptibleResult = AgentResult;
/** Per-run options, interrupts API included. */
export type InterruptRunOptions = RunOptions;
