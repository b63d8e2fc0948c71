/** What the global setup hands to test files through vitest's `provide`/`inject`. */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the PostgreSQL broker (see global-setup.ts), or null when PostgreSQL is not installed. */
    postgresBroker: string | null;
    /** Why PostgreSQL tests are skipped, or null. */
    postgresUnavailable: string | null;
  }
}
export {};
