export * from './messages.js';
export * from './model.js';
export * from './providers/index.js';
export * from './models/index.js';
export * from './tools/index.js';
export * from './events.js';
export * from './permissions/index.js';
export * from './agent/index.js';
export * from './conversation/index.js';
export * from './context-files.js';
export * from './tokens.js';
export {
  type MessageRole,
  type ToolCall as SessionToolCall,
  type ToolResult as SessionToolResult,
  type SessionMessage,
  type Session,
  type SessionSummary,
  type SessionUsage,
  type SessionStore,
  type SessionErrorKind,
  type AppendOptions,
  type CreateSessionOptions,
  type SessionRepair,
  SessionError,
  MemorySessionStore,
  exportSession,
  importSession,
  forkSession,
  type SessionExport,
  type ForkSessionOptions,
  type ImportSessionOptions,
  toSessionMessage,
  fromSessionMessages,
  repairSessionMessages,
  INTERRUPTED_TOOL_RESULT,
} from './session/index.js';
