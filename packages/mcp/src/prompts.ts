/**
 * MCP prompts as commands: listed with their arguments, run to a text a CLI sends as the
 * user's message (the CLI's `/server:prompt arg=value` slash commands).
 * @module
 */
import type { GetPromptResult, Prompt } from '@modelcontextprotocol/sdk/types.js';
import type { McpClient } from './client.js';

/** One prompt of one server as a slash command. */
export interface McpPromptCommand {
  /** `/<server>:<prompt>`. */
  command: string;
  server: string;
  prompt: Prompt;
  /** Usage text: `/everything:args-prompt city=<city> [state=<state>]`. */
  usage: string;
  /** Gets the prompt with these arguments and returns its messages as one text. */
  run(args: Record<string, string>, options?: { signal?: AbortSignal }): Promise<string>;
}

/** Thrown when a prompt command is used with missing or malformed arguments. */
export class McpPromptArgumentError extends Error {
  override name = 'McpPromptArgumentError';
}

/** The text of a prompt's messages (text parts; embedded text resources inlined; other parts named). */
export function promptText(result: GetPromptResult): string {
  return result.messages
    .map((m) => {
      const c = m.content;
      switch (c.type) {
        case 'text':
          return c.text;
        case 'resource':
          return 'text' in c.resource && typeof c.resource.text === 'string' ? c.resource.text : `[resource ${c.resource.uri}]`;
        case 'resource_link':
          return `[resource ${c.uri}]`;
        default:
          return `[${c.type}]`;
      }
    })
    .join('\n\n');
}

/** Parses `key=value` words (values may be quoted by the shell-like caller) into arguments. */
export function parsePromptArguments(words: readonly string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new McpPromptArgumentError(`Prompt arguments are name=value; got '${word}'.`);
    args[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return args;
}

/** Every prompt of the given clients as slash commands (servers that fail are left out). */
export async function mcpPromptCommands(clients: readonly McpClient[]): Promise<McpPromptCommand[]> {
  const lists = await Promise.allSettled(
    clients.map(async (client) => ({
      client,
      prompts: client.serverCapabilities?.prompts || !client.connected ? await client.listPrompts() : [],
    })),
  );
  const commands: McpPromptCommand[] = [];
  for (const outcome of lists) {
    if (outcome.status !== 'fulfilled') continue;
    const { client, prompts } = outcome.value;
    for (const prompt of prompts) {
      const args = prompt.arguments ?? [];
      const usage = [
        `/${client.name}:${prompt.name}`,
        ...args.map((a) => (a.required ? `${a.name}=<${a.name}>` : `[${a.name}=<${a.name}>]`)),
      ].join(' ');
      commands.push({
        command: `/${client.name}:${prompt.name}`,
        server: client.name,
        prompt,
        usage,
        run: async (given, options = {}) => {
          const missing = args.filter((a) => a.required && !(a.name in given)).map((a) => a.name);
          if (missing.length) throw new McpPromptArgumentError(`Missing ${missing.join(', ')}. Usage: ${usage}`);
          return promptText(await client.getPrompt(prompt.name, given, options));
        },
      });
    }
  }
  return commands;
}
