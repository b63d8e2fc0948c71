/**
 * The optional config file: `mixtape.config.json` (or `.ts`, `.mjs`, `.js`, whose default
 * export is the config) in the working directory, or the file given with `--config`.
 *
 * ```json
 * {
 *   "provider": "anthropic", "model": "claude-sonnet-4-6",
 *   "systemPrompt": "You are a careful engineer.",
 *   "tools": ["filesystem", "edit", "search", "process"],
 *   "mcpServers": { "everything": { "command": "npx", "args": ["@modelcontextprotocol/server-everything"] } },
 *   "contextFiles": ["AGENTS.md", "CLAUDE.md"],
 *   "permissions": { "trustedTools": ["read_file", "list_directory"], "rules": [{ "tool": "edit_block", "effect": "deny" }] }
 * }
 * ```
 * @module
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { closestName } from './names.js';

export { closestName } from './names.js';

/** File names looked for in the working directory, in this order. */
export const CONFIG_FILE_NAMES = ['mixtape.config.json', 'mixtape.config.ts', 'mixtape.config.mjs', 'mixtape.config.js'] as const;

/** Built-in tool groups enabled when the config file names none. */
export const DEFAULT_TOOL_GROUPS = ['filesystem', 'edit', 'search', 'process'] as const;

/** Tools that run without asking when the config file says nothing: they only read inside the project. */
export const DEFAULT_TRUSTED_TOOLS = ['read_file', 'read_multiple_files', 'list_directory', 'file_info', 'search'] as const;

/** Context files read when the config file names none (each optional). */
export const DEFAULT_CONTEXT_FILES = ['AGENTS.md', 'CLAUDE.md'] as const;

const contextSource = z.union([
  z.string(),
  z.object({ content: z.string(), label: z.string().optional() }),
  z.object({ path: z.string(), required: z.boolean().optional() }),
  z.object({ paths: z.array(z.string()), required: z.boolean().optional() }),
  z.object({ glob: z.string() }),
]);

const budgetSchema = z.object({ maxCostUsd: z.number().positive().optional(), maxTokens: z.number().int().positive().optional() }).strict();

const configSchema = z
  .object({
    provider: z.enum(['anthropic', 'bedrock', 'openai']).optional(),
    model: z.string().min(1).optional(),
    baseURL: z.string().url().optional(),
    systemPrompt: z.string().optional(),
    /** Built-in tool groups of @mixtape/tools by name (e.g. "filesystem", "read-only-filesystem", "fetch"), or "none". */
    tools: z.array(z.string().min(1)).optional(),
    /** MCP servers: Claude-style `{ name: { command, args, env } | { url } }`, or a list of McpServerConfig. */
    mcpServers: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    contextFiles: z.array(contextSource).optional(),
    permissions: z
      .object({
        policy: z.enum(['interactive', 'deny', 'allow']).optional(),
        trustedTools: z.array(z.string()).optional(),
        rules: z.array(z.record(z.string(), z.unknown())).optional(),
      })
      .strict()
      .optional(),
    maxSteps: z.number().int().positive().optional(),
    maxTokens: z.number().int().positive().optional(),
    /** Run shell commands (the process tools) in a bubblewrap sandbox: `true`, or `{ "network": true }` to let them use the network. */
    sandbox: z
      .union([z.boolean(), z.object({ network: z.boolean().optional(), bwrapPath: z.string().min(1).optional() }).strict()])
      .optional(),
    /** Cost (US dollars) and token limits per run and per session. */
    budget: z.object({ run: budgetSchema.optional(), session: budgetSchema.optional() }).strict().optional(),
  })
  .strict();

/** The config file's content. */
export type MixtapeConfig = z.infer<typeof configSchema>;

/**
 * Built-in tool groups the config's `tools` (and `--tools`) may name: each is a `<name>Tools`
 * factory of @mixtape/tools (checked by a test), listed here so that a typo is found at start-up
 * without loading the tools.
 */
export const KNOWN_TOOL_GROUPS = [
  'filesystem',
  'read-only-filesystem',
  'mutative-filesystem',
  'edit',
  'search',
  'process',
  'fetch',
  'all',
] as const;

/** A loaded config, the file it came from (undefined without a file), and the entries left out. */
export interface LoadedConfig {
  config: MixtapeConfig;
  file?: string;
  /** Each bad entry, named (e.g. `tools[1]: unknown tool group 'fetchh'`); the rest of the config is kept. */
  problems: string[];
  /** All problems as one message ("<file> is invalid: ..."). */
  problemReport(): string;
}

/** Problems with tool group names (config `tools` or `--tools`), each naming the bad entry. */
export function toolGroupProblems(groups: readonly string[], where: string): string[] {
  const problems: string[] = [];
  if (groups.includes('none') && groups.length > 1)
    problems.push(`${where}: "none" means no built-in tools; it cannot be combined with other groups.`);
  groups.forEach((group, i) => {
    if (group === 'none' || (KNOWN_TOOL_GROUPS as readonly string[]).includes(group)) return;
    const close = closestName(group, KNOWN_TOOL_GROUPS);
    problems.push(
      `${where}[${i}]: unknown tool group '${group}'${close ? ` (did you mean '${close}'?)` : ''}. Known groups: ${KNOWN_TOOL_GROUPS.join(', ')}, none.`,
    );
  });
  return problems;
}

function issueText(issues: z.core.$ZodIssue[], prefix: string): string[] {
  return issues.map((i) => {
    const at = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    return `${at || '(config)'}: ${i.message}`;
  });
}

/**
 * Checks a config value entry by entry: a bad entry is named and left out, the rest is kept
 * (unknown keys, wrong types, unknown tool groups).
 */
export function checkConfig(value: unknown): { config: MixtapeConfig; problems: string[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { config: {}, problems: ['(config): expected an object such as { "model": "...", "tools": ["filesystem"] }'] };
  }
  const shape = configSchema.shape as Record<string, z.ZodType>;
  const known = Object.keys(shape);
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    const schema = shape[key];
    if (!schema) {
      const close = closestName(key, known);
      problems.push(`${key}: unknown key${close ? ` (did you mean "${close}"?)` : ''}. Known keys: ${known.join(', ')}.`);
      continue;
    }
    if (key === 'tools' && Array.isArray(entry)) {
      const groups = entry.filter((g): g is string => typeof g === 'string' && g !== '');
      entry.forEach((g, i) => {
        if (typeof g !== 'string' || g === '') problems.push(`tools[${i}]: expected a tool group name, got ${JSON.stringify(g)}.`);
      });
      const groupProblems = toolGroupProblems(groups, 'tools');
      problems.push(...groupProblems);
      const good = groups.filter((g) => g === 'none' || (KNOWN_TOOL_GROUPS as readonly string[]).includes(g));
      config.tools = good.includes('none') && good.length > 1 ? good.filter((g) => g !== 'none') : good;
      continue;
    }
    const parsed = schema.safeParse(entry);
    if (parsed.success) config[key] = parsed.data;
    else problems.push(...issueText(parsed.error.issues, key));
  }
  return { config, problems };
}

/** Checks a config value; throws ConfigError listing every problem. */
export function parseConfig(value: unknown, file?: string): MixtapeConfig {
  const { config, problems } = checkConfig(value);
  if (problems.length) throw new ConfigError(problemReport(problems, file), file);
  return config;
}

function problemReport(problems: readonly string[], file: string | undefined): string {
  return `${file ?? 'The config'} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

function loaded(config: MixtapeConfig, file: string | undefined, problems: string[]): LoadedConfig {
  return { config, ...(file !== undefined && { file }), problems, problemReport: () => problemReport(problems, file) };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds and loads the config file: `explicit` (from --config) or the first of
 * {@link CONFIG_FILE_NAMES} in `cwd`. No file is fine (an empty config). Bad entries are left
 * out and listed in `problems` (the REPL warns at start-up; `mixtape run` refuses to run).
 * @throws ConfigError when the file cannot be found, read or parsed.
 */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig> {
  let file: string | undefined;
  if (explicit !== undefined) {
    file = path.resolve(cwd, explicit);
    if (!(await exists(file))) throw new ConfigError(`Config file not found: ${file}`, file);
  } else {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = path.join(cwd, name);
      if (await exists(candidate)) {
        file = candidate;
        break;
      }
    }
  }
  if (file === undefined) return loaded({}, undefined, []);
  let value: unknown;
  if (file.endsWith('.json')) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`Cannot read ${file}: ${(error as Error).message}`, file, { cause: error });
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`, file, { cause: error });
    }
  } else {
    try {
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      value = mod.default ?? mod;
      if (typeof value === 'function') value = await (value as () => unknown)();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const hint =
        code === 'ERR_UNKNOWN_FILE_EXTENSION'
          ? ' Node cannot import TypeScript by itself: run mixtape with `node --import tsx`, use Node 22.6+ with --experimental-strip-types, or write mixtape.config.json / .mjs.'
          : '';
      throw new ConfigError(`Cannot load ${file}: ${(error as Error).message}.${hint}`, file, { cause: error });
    }
  }
  const checked = checkConfig(value);
  return loaded(checked.config, file, checked.problems);
}
