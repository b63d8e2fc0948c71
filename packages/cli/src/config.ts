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
  })
  .strict();

/** The config file's content. */
export type MixtapeConfig = z.infer<typeof configSchema>;

/** A loaded config and the file it came from (undefined without a file). */
export interface LoadedConfig {
  config: MixtapeConfig;
  file?: string;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Checks a config value; throws ConfigError listing every problem. */
export function parseConfig(value: unknown, file?: string): MixtapeConfig {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(config)'}: ${i.message}`);
    throw new ConfigError(`${file ?? 'The config'} is invalid:\n${problems.join('\n')}`, file);
  }
  return parsed.data;
}

/**
 * Finds and loads the config file: `explicit` (from --config) or the first of
 * {@link CONFIG_FILE_NAMES} in `cwd`. No file is fine (an empty config).
 * @throws ConfigError when the file cannot be read, parsed or is invalid.
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
  if (file === undefined) return { config: {} };
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
  return { config: parseConfig(value, file), file };
}
