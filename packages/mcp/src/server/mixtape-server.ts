/**
 * Mixtape as an MCP server: a set of Mixtape tools and/or an Agent (as a tool that runs it,
 * with its session) served to any MCP client through the SDK's `Server`, with the same
 * permission rules as in an agent run.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { hashParams, normalizeToolResult, type Agent, type Tool, type ToolAuthorizer, type ToolResultContent } from '@mixtape/core';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type ContentBlock as McpContentBlock,
  type Tool as McpToolDefinition,
} from '@modelcontextprotocol/sdk/types.js';

/** Name of the tool that runs the agent (default). */
export const DEFAULT_MCP_AGENT_TOOL_NAME = 'run_agent';

/** An agent offered as one MCP tool: `{ prompt, session_id? }` → the answer and the session id to continue. */
export interface McpAgentOption {
  /** Builds the agent for a session (`undefined`: a new conversation). Give it a session store to keep sessions. */
  create(sessionId: string | undefined): Agent | Promise<Agent>;
  /** Tool name (default {@link DEFAULT_MCP_AGENT_TOOL_NAME}). */
  toolName?: string;
  description?: string;
}

/** Options of {@link createMixtapeMcpServer}. */
export interface MixtapeMcpServerOptions {
  /** Server name and version announced in `initialize` (default `mixtape`). */
  name?: string;
  version?: string;
  instructions?: string;
  /** Mixtape tools to serve. */
  tools?: readonly Tool[];
  /** An agent to serve as a tool. */
  agent?: McpAgentOption;
  /**
   * Decides which calls run (the agent's `PermissionAuthorizer` with its rules and grants).
   * A call the rules leave open is asked of the MCP client's user through elicitation when the
   * client offers it, and refused otherwise. Without an authorizer every call runs.
   */
  authorizer?: ToolAuthorizer;
  /** Where failures of served calls are reported (default: a process warning). */
  onError?: (error: Error) => void;
}

function toMcpContent(items: ToolResultContent[]): McpContentBlock[] {
  return items.map((c): McpContentBlock => {
    switch (c.type) {
      case 'text':
        return { type: 'text', text: c.text };
      case 'json':
        return { type: 'text', text: JSON.stringify(c.value) };
      case 'image':
        return { type: 'image', mimeType: c.mediaType, data: typeof c.data === 'string' ? c.data : Buffer.from(c.data).toString('base64') };
      case 'document':
        return {
          type: 'resource',
          resource: {
            uri: `mixtape://document/${encodeURIComponent(c.name ?? 'document')}`,
            mimeType: c.mediaType,
            blob: typeof c.data === 'string' ? c.data : Buffer.from(c.data).toString('base64'),
          },
        };
    }
  });
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/**
 * Builds an SDK `Server` serving Mixtape tools and/or an agent. Connect it to a transport
 * yourself, or use {@link serveMcpStdio} / {@link serveMcpHttp}.
 */
export function createMixtapeMcpServer(options: MixtapeMcpServerOptions): Server {
  const tools = new Map<string, Tool>();
  for (const t of options.tools ?? []) tools.set(t.name, t);
  const agentTool = options.agent ? (options.agent.toolName ?? DEFAULT_MCP_AGENT_TOOL_NAME) : undefined;
  if (agentTool !== undefined && tools.has(agentTool))
    throw new Error(`A served tool is already named '${agentTool}'; give the agent tool another name (agent.toolName).`);
  const report = options.onError ?? ((error: Error) => process.emitWarning(error.message, { code: 'MIXTAPE_MCP_SERVER' }));

  const server = new Server(
    { name: options.name ?? 'mixtape', version: options.version ?? '0.1.0' },
    { capabilities: { tools: {}, logging: {} }, ...(options.instructions !== undefined ? { instructions: options.instructions } : {}) },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => {
    const list: McpToolDefinition[] = [...tools.values()].map((t) => {
      const annotations = (t as { annotations?: McpToolDefinition['annotations'] }).annotations;
      return {
        name: t.name,
        description: t.description,
        inputSchema: { ...t.inputSchema, type: 'object' },
        ...(annotations ? { annotations } : {}),
      };
    });
    if (agentTool !== undefined) {
      list.push({
        name: agentTool,
        description:
          options.agent?.description ??
          'Runs the Mixtape agent on a prompt. Pass the returned session_id to continue the same conversation.',
        inputSchema: {
          type: 'object',
          properties: {
            prompt: { type: 'string', description: 'What to ask the agent' },
            session_id: { type: 'string', description: 'Continue this session' },
          },
          required: ['prompt'],
        },
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      });
    }
    return { tools: list };
  });

  /** The rules' decision; 'ask' goes to the client's user through elicitation when offered. */
  async function permitted(name: string, input: unknown, toolUseId: string, signal: AbortSignal): Promise<string | undefined> {
    const authorizer = options.authorizer;
    if (!authorizer) return undefined;
    const t = tools.get(name);
    const annotations = (t as { annotations?: McpToolDefinition['annotations'] } | undefined)?.annotations;
    const request = { toolName: name, toolUseId, input, paramsHash: hashParams(input), ...(annotations ? { annotations } : {}) };
    const check = await authorizer.check(request);
    if (check.decision === 'granted') return undefined;
    if (check.decision === 'denied') return check.reason;
    if (!server.getClientCapabilities()?.elicitation) {
      const reason = `Tool '${name}' needs approval and this MCP client offers no way to ask a person (elicitation); grant it with a rule.`;
      await authorizer.record(request, { action: 'deny', reason });
      return reason;
    }
    const answer = await server.elicitInput(
      {
        mode: 'form',
        message: `Allow ${name} to run with ${JSON.stringify(input)}?`,
        requestedSchema: {
          type: 'object',
          properties: { approve: { type: 'boolean', title: 'Allow this call', default: false } },
          required: ['approve'],
        },
      },
      { signal },
    );
    if (answer.action === 'accept' && answer.content?.approve === true) {
      await authorizer.record(request, { action: 'once' });
      return undefined;
    }
    const reason = 'Denied by the user';
    await authorizer.record(request, { action: 'deny', reason });
    return reason;
  }

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const input = request.params.arguments ?? {};
    const toolUseId = `mcp-${String(extra.requestId)}-${randomUUID().slice(0, 8)}`;
    try {
      if (name === agentTool) {
        const checked = typeof input.prompt === 'string' && (input.session_id === undefined || typeof input.session_id === 'string');
        if (!checked) return errorResult(`Invalid input for tool "${name}": prompt must be a string and session_id, when given, a string.`);
        const denied = await permitted(name, input, toolUseId, extra.signal);
        if (denied !== undefined) return errorResult(`Tool execution denied: ${name}. ${denied}`);
        const agent = await options.agent!.create(input.session_id as string | undefined);
        const progressToken = request.params._meta?.progressToken;
        let step = 0;
        const stream = agent.stream(input.prompt as string, { signal: extra.signal });
        for await (const event of stream) {
          if (progressToken === undefined) continue;
          if (event.type === 'model_call_completed' || event.type === 'tool_completed') {
            step++;
            const message = event.type === 'tool_completed' ? `tool ${event.name} done` : 'model answered';
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: step, message } });
          }
        }
        const result = await stream.result;
        const sessionId = agent.sessionInfo()?.id;
        return {
          content: [{ type: 'text', text: result.text }],
          structuredContent: { text: result.text, ...(sessionId !== undefined ? { session_id: sessionId } : {}) },
        };
      }
      const t = tools.get(name);
      if (!t) return errorResult(`Unknown tool '${name}'. Available: ${[...tools.keys(), ...(agentTool ? [agentTool] : [])].join(', ')}`);
      const checked = t.validate(input);
      if (!checked.ok) return errorResult(checked.error);
      const denied = await permitted(name, input, toolUseId, extra.signal);
      if (denied !== undefined) return errorResult(`Tool execution denied: ${name}. ${denied}`);
      const output = await t.execute(checked.value, { signal: extra.signal, toolUseId });
      return { content: toMcpContent(normalizeToolResult(output)) };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      report(new Error(`MCP call of '${name}' failed: ${e.message}`, { cause: e }));
      return errorResult(e.message);
    }
  });
  return server;
}
