// marked-terminal ships no type declarations; this is the part the CLI uses.
declare module 'marked-terminal' {
  export function markedTerminal(options?: Record<string, unknown>, highlightOptions?: Record<string, unknown>): unknown;
}
