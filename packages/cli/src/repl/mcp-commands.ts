/**
 * The REPL's side of MCP servers beyond tools: their prompts as slash commands
 * (`/everything:args-prompt city=Lyon`), `/resources` to list what they offer, and resources
 * attached to the next message with `/attach everything:demo://...` or `@everything:demo://...`
 * in the message itself (sent as the run's context).
 * @module
 */
import { basename } from 'node:path';
import type { McpContextItem, McpPromptCommand } from '@mixtape/mcp';
import { truncate } from '../render/format.js';
import type { Theme } from '../render/theme.js';
import type { CliAgent } from '../setup.js';

/** Resources `/resources` lists per server. */
export const MAX_RESOURCES_LISTED = 50;
/** Characters of a prompt's text shown when it is sent. */
export const MAX_PROMPT_ECHO_CHARS = 200;
/** Resources one message may attach. */
export const MAX_ATTACHMENTS = 10;
/** Most characters of a server's command line or URL shown by `/mcp`. */
export const MAX_SERVER_WHERE_CHARS = 40;

/** `@server:uri` in a message (the server must be one of the configured MCP servers). */
const MENTION = /(^|\s)@([A-Za-z0-9_.-]+):(\S+)/g;

/**
 * Splits a command line into words: spaces separate, "double" or 'single' quotes keep spaces
 * (`city="New York"` is one word, `city=New York` two).
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let has = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || word) words.push(word);
      word = '';
      has = false;
    } else {
      word += ch;
    }
  }
  if (has || word) words.push(word);
  return words;
}

/** The `@server:uri` mentions of a message whose server is one of `servers`. */
export function resourceMentions(text: string, servers: readonly string[]): { server: string; uri: string }[] {
  const found: { server: string; uri: string }[] = [];
  for (const m of text.matchAll(MENTION)) {
    const server = m[2]!;
    const uri = m[3]!.replace(/[.,;:!?)]+$/, '');
    if (servers.includes(server) && !found.some((f) => f.server === server && f.uri === uri)) found.push({ server, uri });
  }
  return found;
}

/** What a message sends: its text and the resources attached to it. */
export interface PreparedMessage {
  text: string;
  context: McpContextItem[];
}

/** MCP prompts, resources and attachments for one REPL. */
export class McpCommands {
  #prompts: Promise<McpPromptCommand[]> | undefined;
  #names: string[] = [];
  /** Resources attached with /attach, sent with the next message. */
  readonly pending: McpContextItem[] = [];

  constructor(
    private readonly cli: CliAgent,
    private readonly print: (text: string) => void,
    private readonly theme: Theme,
    /** The environment (where the OAuth token file is). */
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    // A server whose prompts changed: list them again when next used.
    cli.mcp.onListChanged((kind) => {
      if (kind === 'prompts') this.#prompts = undefined;
    });
  }

  /** Names of the servers' prompt commands known so far (`/everything:simple-prompt`), for completion. */
  get promptNames(): readonly string[] {
    return this.#names;
  }

  /** The servers' prompts as commands (listed once; `refresh` lists again). */
  prompts(refresh = false): Promise<McpPromptCommand[]> {
    if (refresh || !this.#prompts) {
      const listing = (async () => {
        await this.cli.ready;
        // Only servers that are up: listing would start a failed server again (or a sign-in) at every /help.
        const clients = this.cli.mcp.clients.filter((c) => c.connected);
        if (clients.length === 0) return [];
        const { mcpPromptCommands } = await import('@mixtape/mcp');
        const commands = await mcpPromptCommands(clients);
        this.#names = commands.map((c) => c.command);
        return commands;
      })();
      this.#prompts = listing;
      // A failed listing is not kept: the next use lists again.
      listing.catch(() => {
        if (this.#prompts === listing) this.#prompts = undefined;
      });
    }
    return this.#prompts;
  }

  /** The prompt command named `/name` (as typed after the slash), if a server offers it. */
  async findPrompt(name: string): Promise<McpPromptCommand | undefined> {
    if (!name.includes(':')) return undefined;
    const wanted = `/${name}`;
    return (await this.prompts()).find((c) => c.command === wanted) ?? (await this.prompts(true)).find((c) => c.command === wanted);
  }

  /** Runs a prompt command; resolves with the text to send, or undefined after printing what was wrong. */
  async runPrompt(command: McpPromptCommand, args: string): Promise<string | undefined> {
    const { parsePromptArguments } = await import('@mixtape/mcp');
    const { theme } = this;
    let given: Record<string, string>;
    try {
      given = parsePromptArguments(splitWords(args));
    } catch (error) {
      this.print(theme.yellow(`${(error as Error).message} Usage: ${command.usage}`));
      return undefined;
    }
    const known = new Set((command.prompt.arguments ?? []).map((a) => a.name));
    const unknown = Object.keys(given).filter((k) => !known.has(k));
    if (unknown.length) {
      this.print(theme.yellow(`${command.command} has no argument ${unknown.join(', ')}. Usage: ${command.usage}`));
      return undefined;
    }
    let text: string;
    try {
      text = await command.run(given);
    } catch (error) {
      this.print(theme.yellow((error as Error).message));
      return undefined;
    }
    if (!text.trim()) {
      this.print(theme.yellow(`${command.command} gave no text to send.`));
      return undefined;
    }
    this.print(theme.dim(`${command.command} ${theme.sym.result} ${truncate(text, MAX_PROMPT_ECHO_CHARS)}`));
    return text;
  }

  /** `/mcp`: each server — how it is reached, whether it is connected, its tools, its sampling rule, its OAuth sign-in. */
  async listServers(): Promise<void> {
    const { theme, print, cli } = this;
    await cli.ready;
    const clients = cli.mcp.clients;
    if (clients.length === 0) {
      print('No MCP servers configured (add "mcpServers" to mixtape.config.json).');
      return;
    }
    const mcp = await import('@mixtape/mcp');
    const store = new mcp.FileOAuthTokenStore(mcp.defaultOAuthTokenFile(this.env));
    const lines = [theme.bold('MCP servers')];
    for (const client of clients) {
      const t = client.config.transport;
      // The program's name, not its whole path, so a server's line fits the width it is read at.
      const where = t.type === 'stdio' ? [basename(t.command), ...(t.args ?? [])].join(' ') : t.url;
      const tools = cli.agent.tools.filter((x) => (x as { serverName?: string }).serverName === client.name).length;
      const settings = cli.mcp.settings.get(client.name);
      const parts = [
        `${t.type} ${truncate(where, MAX_SERVER_WHERE_CHARS)}`,
        client.connected ? 'connected' : theme.yellow('not connected'),
        `${tools} tools`,
        `sampling: ${settings?.sampling ?? 'ask'}`,
      ];
      if (t.type === 'http' && settings?.oauth !== false) {
        // The token file is the CLI's own; a damaged one is reported by the next sign-in.
        const record = await store.load(new URL(t.url).href).catch(() => undefined);
        parts.push(record?.tokens ? 'signed in (OAuth)' : 'not signed in');
      }
      lines.push(`  ${theme.cyan(client.name)}  ${parts.join(theme.dim(' · '))}`);
    }
    for (const w of cli.warnings.filter((w) => w.startsWith('MCP') || w.startsWith('mcpServers'))) lines.push(theme.yellow(`  ! ${w}`));
    print(lines.join('\n'));
  }

  /** `/resources [server]`: what the servers offer to attach. */
  async listResources(args: string): Promise<void> {
    const { theme, print } = this;
    await this.cli.ready;
    const wanted = args.trim();
    const clients = this.cli.mcp.clients.filter((c) => !wanted || c.name === wanted);
    if (clients.length === 0) {
      print(wanted ? theme.yellow(`No MCP server named '${wanted}'.`) : 'No MCP servers configured.');
      return;
    }
    const lines = [theme.bold('MCP resources')];
    for (const client of clients) {
      if (client.connected && !client.serverCapabilities?.resources) {
        lines.push(`  ${theme.cyan(client.name)} ${theme.dim('offers no resources')}`);
        continue;
      }
      try {
        const [resources, templates] = await Promise.all([client.listResources(), client.listResourceTemplates()]);
        lines.push(`  ${theme.cyan(client.name)} ${theme.dim(`(${resources.length} resources, ${templates.length} templates)`)}`);
        for (const r of resources.slice(0, MAX_RESOURCES_LISTED))
          lines.push(`    ${client.name}:${r.uri}${r.description ? theme.dim(` — ${truncate(r.description, 60)}`) : ''}`);
        if (resources.length > MAX_RESOURCES_LISTED) lines.push(theme.dim(`    … and ${resources.length - MAX_RESOURCES_LISTED} more`));
        for (const t of templates) lines.push(`    ${client.name}:${t.uriTemplate} ${theme.dim('(template)')}`);
      } catch (error) {
        lines.push(`  ${theme.cyan(client.name)} ${theme.yellow((error as Error).message)}`);
      }
    }
    lines.push(theme.dim('  /attach <server>:<uri> (or @<server>:<uri> in a message) sends one with your next message.'));
    print(lines.join('\n'));
  }

  /** `/attach <server>:<uri>`: reads the resource now and sends it with the next message. */
  async attach(args: string): Promise<void> {
    const { theme, print } = this;
    await this.cli.ready;
    const words = splitWords(args.trim());
    const servers = this.cli.mcp.clients.map((c) => c.name);
    const mentions = resourceMentions(words.map((w) => (w.startsWith('@') ? w : `@${w}`)).join(' '), servers);
    if (mentions.length === 0) {
      print(theme.yellow(`Usage: /attach <server>:<uri>, e.g. /attach ${servers[0] ?? 'server'}:<uri>. /resources lists them.`));
      return;
    }
    const items = await this.#read(mentions);
    if (!items) return;
    this.pending.push(...items);
    for (const item of items) print(`Attached ${item.description} (${item.value.length} characters) to your next message.`);
  }

  /** The message to send: `@server:uri` mentions and pending attachments read as context; undefined when one could not be read. */
  async prepare(text: string): Promise<PreparedMessage | undefined> {
    if (text.includes('@')) await this.cli.ready;
    const servers = this.cli.mcp.clients.map((c) => c.name);
    const mentions = servers.length ? resourceMentions(text, servers) : [];
    const read = mentions.length ? await this.#read(mentions) : [];
    if (!read) return undefined;
    const context = [...this.pending.splice(0), ...read];
    for (const item of read) this.print(this.theme.dim(`Attached ${item.description} (${item.value.length} characters).`));
    return { text, context };
  }

  async #read(mentions: { server: string; uri: string }[]): Promise<McpContextItem[] | undefined> {
    if (mentions.length + this.pending.length > MAX_ATTACHMENTS) {
      this.print(this.theme.yellow(`At most ${MAX_ATTACHMENTS} resources can go with one message.`));
      return undefined;
    }
    const { attachResource } = await import('@mixtape/mcp');
    const items: McpContextItem[] = [];
    for (const { server, uri } of mentions) {
      const client = this.cli.mcp.clients.find((c) => c.name === server)!;
      try {
        items.push(await attachResource(client, uri));
      } catch (error) {
        this.print(this.theme.yellow(`Could not read ${server}:${uri}: ${(error as Error).message}`));
        return undefined;
      }
    }
    return items;
  }
}
