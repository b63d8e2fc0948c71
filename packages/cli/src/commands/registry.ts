/**
 * Every `mixtape <name>` subcommand, registered in this one place (the REPL is the program's own
 * action). A new subcommand is a module exporting a {@link Subcommand} plus one line here.
 * @module
 */
import type { Subcommand } from './context.js';
import { mcpSubcommand } from './mcp-serve-command.js';
import { runSubcommand } from './run-command.js';
import { workerSubcommand } from './worker-command.js';

/** The subcommands, in the order `mixtape --help` lists them. */
export const SUBCOMMANDS: readonly Subcommand[] = [runSubcommand, workerSubcommand, mcpSubcommand];
