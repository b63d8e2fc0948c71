/**
 * Testing helpers (`@mixtape/core/testing`). These import `vitest` where they register tests;
 * vitest is an optional peer dependency of `@mixtape/core`.
 * @module
 */
export {
  runSessionStoreConformance,
  losslessFixture,
  type MakeSessionStore,
  type ConformanceStoreOptions,
  type SessionStoreConformanceOptions,
} from './session-conformance.js';
export { ScriptedModel, ScriptExhaustedError, type ScriptedRequest } from './scripted-model.js';
export { collectEvents, type CollectedEvents } from './collect-events.js';
export { runGrantStoreConformance, type GrantStoreConformanceOptions } from './grant-conformance.js';
export { validateHistory } from './validate-history.js';
export { runStateFixture } from './run-state-conformance.js';
export { runResumeAcrossStores } from './resume-conformance.js';
