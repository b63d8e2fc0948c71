/**
 * Sessions: the seed's types and store interface, the in-memory store, conversion and repair.
 * @module
 */
export * from './types.js';
export * from './convert.js';
export * from './codec.js';
export * from './memory-store.js';
export * from './portable.js';
export { sessionMessageTokens, providerMessageCount } from './token-estimate.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  type RoleStyle,
  type ResultKeyStyle,
  type EncodeRowOptions,
  type EncodedMessageRow,
  type StoredMessageRow,
  type SavePlan,
  type SaveTrackerOptions,
  SaveTracker,
  encodeMessageRow,
  encodedRowSize,
  decodeMessageRow,
  sameEncodedRow,
  countConflict,
  saveConflict,
  partialSaveError,
  usageFromColumns,
  usageValues,
} from './rows.js';
export {
  type Interrupt,
  type InterruptAnswer,
  type InterruptResultContent,
  type StoredInterrupt,
  type RunCallState,
  type RunOutcome,
  type RunStateRecord,
  type RunStateStore,
  type SaveRunStateOptions,
  type JSONSchema,
  runStateToJson,
  runStateFromJson,
  hasRunState,
} from './run-state.js';
