/**
 * Sessions: the seed's types and store interface, the in-memory store, conversion and repair.
 * @module
 */
export {
  SessionError,
  type AppendOptions,
  type ConversationSummary,
  type CreateSessionOptions,
  type LoadTailOptions,
  type MessageRole,
  type Session,
  type SessionErrorKind,
  type SessionMessage,
  type SessionStore,
  type SessionSummary,
  type SessionTail,
  type SessionUsage,
  type ToolCall,
  type ToolResult,
} from './types.js';
export {
  fromSessionMessages,
  INTERRUPTED_TOOL_RESULT,
  repairSessionMessages,
  seedMessages,
  toSessionMessage,
  type RepairOptions,
  type SessionRepair,
} from './convert.js';
export {
  blocksFromJson,
  blocksToJson,
  cloneMessage,
  jsonType,
  parseRole,
  roleFromRow,
  seedFieldsFromBlocks,
  toolCallsFromJson,
  toolResultsFromJson,
  type EncodedBytes,
} from './codec.js';
export { addSessionUsage, emptySessionUsage, MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.js';
export {
  exportSession,
  forkSession,
  importSession,
  parseSessionExport,
  SESSION_EXPORT_FORMAT,
  SESSION_EXPORT_VERSION,
  sessionToExport,
  type CreatingSessionStore,
  type ExportedMessage,
  type ExportedSession,
  type ForkSessionOptions,
  type ImportSessionOptions,
  type SessionExport,
} from './portable.js';
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
