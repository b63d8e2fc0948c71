/**
 * Every client feature the published @modelcontextprotocol/server-everything (2025-11-25
 * protocol) offers, over stdio, against McpClient / McpToolset: roots, sampling, elicitation
 * (form, URL, URL-required error), resources and templates, subscriptions, prompts, progress,
 * logging, annotations, structured output and task-based tools.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Agent, PermissionAuthorizer, type ToolResultContent } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  McpToolError,
  McpToolset,
  mcpPromptCommands,
  modelSamplingHandler,
  resourceTools,
  toolAnnotationsResolver,
  watchResources,
  type McpElicitationRequest,
  type McpLogMessage,
  type McpProgress,
  type McpTool,
} from '../src/index.js';
import { byName, runTool } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../node_modules/.bin/mcp-server-everything', import.meta.url));

function texts(content: unknown): string {
  return (content as ToolResultContent[])
    .map((c) => (c.type === 'text' ? c.text : c.type === 'json' ? JSON.stringify(c.value) : `[${c.type}]`))
    .join('\n');
}

describe('server-everything: every client feature it offers', () => {
  const elicitations: McpElicitationRequest[] = [];
  const progress: McpProgress[] = [];
  const logs: McpLogMessage[] = [];
  const notices: string[] = [];
  const samplingModel = new ScriptedModel({ modelId: 'scripted-sampler' });
  const approvals: string[] = [];
  let approveNext = true;
  const sampling = modelSamplingHandler({
    model: samplingModel,
    approve: (request, ctx) => {
      approvals.push(`${ctx.server}: ${JSON.stringify(request.messages[0]?.content)}`);
      return approveNext ? true : { approved: false, reason: 'not now' };
    },
  });
  let roots = [{ uri: '/work/project-a', name: 'project A' }];
  let onRootsLogged: (() => void) | undefined;
  let toolset: McpToolset;
  let tools: McpTool[];

  beforeAll(async () => {
    expect(existsSync(BIN)).toBe(true);
    toolset = new McpToolset([{ name: 'ev', transport: { type: 'stdio', command: BIN, args: ['stdio'] } }], {
      roots: () => roots,
      onSampling: sampling,
      onElicitation: async (request) => {
        elicitations.push(request);
        if (request.mode === 'url') return { action: 'accept' };
        return { action: 'accept', content: { name: 'Ada Lovelace', check: true, email: 'ada@example.org' } };
      },
      onProgress: (p) => progress.push(p),
      onLog: (m) => {
        logs.push(m);
        if (JSON.stringify(m.data).includes('Roots updated')) onRootsLogged?.();
      },
      logLevel: 'debug',
      onNotice: (m) => notices.push(m),
    });
    tools = await toolset.tools();
  }, 60_000);
  afterAll(async () => {
    await toolset.close();
  });

  it('declaring roots, sampling and elicitation makes the server offer the tools that use them', () => {
    const names = tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'ev_get-roots-list',
        'ev_trigger-sampling-request',
        'ev_trigger-elicitation-request',
        'ev_trigger-url-elicitation',
        'ev_simulate-research-query',
      ]),
    );
  });

  it('roots: the server lists ours, and sees the new ones after setRoots', async () => {
    const before = texts(await runTool(byName(tools, 'ev_get-roots-list'), {}));
    expect(before).toContain(pathToFileURL('/work/project-a').href);
    roots = [{ uri: '/work/project-b', name: 'project B' }];
    // The server asks for the roots again when told they changed, then logs that it has them.
    const stored = new Promise<void>((resolve) => (onRootsLogged = resolve));
    await toolset.clients[0]!.setRoots(() => roots);
    await stored;
    const after = texts(await runTool(byName(tools, 'ev_get-roots-list'), {}));
    expect(after).toContain(pathToFileURL('/work/project-b').href);
    expect(after).not.toContain('project-a');
  });

  it('sampling: approved requests reach the model and their usage is counted; refused ones never reach it', async () => {
    samplingModel.text('Paris', { usage: { inputTokens: 12, outputTokens: 3 } });
    const answer = texts(await runTool(byName(tools, 'ev_trigger-sampling-request'), { prompt: 'Capital of France?', maxTokens: 50 }));
    expect(answer).toContain('Paris');
    expect(samplingModel.requests).toHaveLength(1);
    expect(samplingModel.requests[0]!.system).toBe('You are a helpful test server.');
    expect(samplingModel.requests[0]!.tools).toEqual([]);
    expect(sampling.usage).toEqual({ inputTokens: 12, outputTokens: 3 });
    expect(sampling.counts).toEqual({ answered: 1, refused: 0 });
    expect(approvals[0]).toContain('Capital of France?');

    approveNext = false;
    const refused = await runTool(byName(tools, 'ev_trigger-sampling-request'), { prompt: 'Again?' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpToolError);
    expect((refused as Error).message).toContain('refused: not now');
    // The error code is stated once (the server wraps what we send in its own "MCP error" text).
    expect((refused as Error).message.match(/MCP error -32600/g) ?? []).toHaveLength(1);
    expect(samplingModel.requests).toHaveLength(1);
    expect(sampling.counts.refused).toBe(1);
    approveNext = true;
  });

  it('elicitation, form mode: the person is asked with the requested schema and the answer reaches the server', async () => {
    const out = texts(await runTool(byName(tools, 'ev_trigger-elicitation-request'), {}));
    const asked = elicitations.at(-1)!;
    expect(asked.mode ?? 'form').toBe('form');
    expect(Object.keys((asked as { requestedSchema: { properties: object } }).requestedSchema.properties)).toEqual(
      expect.arrayContaining(['name', 'email']),
    );
    expect(out).toContain('Ada Lovelace');
  });

  it('elicitation, URL mode: by request, and by the URL-required error (asked, then the call is sent again)', async () => {
    const n = elicitations.length;
    const byRequest = texts(
      await runTool(byName(tools, 'ev_trigger-url-elicitation'), { url: 'https://example.org/consent', elicitationId: 'e-1' }),
    );
    expect(elicitations[n]).toMatchObject({ mode: 'url', url: 'https://example.org/consent', elicitationId: 'e-1' });
    expect(byRequest.toLowerCase()).toContain('accept');
    const byError = await runTool(byName(tools, 'ev_trigger-url-elicitation'), {
      url: 'https://example.org/pay',
      elicitationId: 'e-2',
      errorPath: true,
    });
    // First the prerequisite the error named, then (on the call sent again) the page itself.
    expect(elicitations[n + 1]).toMatchObject({ mode: 'url', url: 'https://modelcontextprotocol.io' });
    expect(elicitations[n + 2]).toMatchObject({ mode: 'url', url: 'https://example.org/pay' });
    expect(texts(byError)).not.toBe('');
  });

  it('resources: listed, templates listed, read as text and binary, offered to the model as two read-only tools', async () => {
    const client = toolset.clients[0]!;
    const resources = await client.listResources();
    expect(resources.length).toBeGreaterThanOrEqual(7);
    const templates = await client.listResourceTemplates();
    expect(templates.map((t) => t.uriTemplate)).toEqual(
      expect.arrayContaining(['demo://resource/dynamic/text/{resourceId}', 'demo://resource/dynamic/blob/{resourceId}']),
    );
    const [list, read] = resourceTools(client);
    expect(list!.name).toBe('ev_list_resources');
    const listed = (await runTool(list!, {})) as { resources: Array<{ uri: string }> };
    expect(listed.resources.map((r) => r.uri)).toContain(resources[0]!.uri);
    const text = (await runTool(read!, { uri: 'demo://resource/dynamic/text/1' })) as ToolResultContent[];
    expect(text[0]!.type).toBe('text');
    const blob = (await runTool(read!, { uri: 'demo://resource/dynamic/blob/1' })) as ToolResultContent[];
    expect(blob[0]).toMatchObject({ type: 'document', name: 'demo://resource/dynamic/blob/1' });
    expect((read as unknown as { annotations: object }).annotations).toMatchObject({ readOnlyHint: true });
  });

  it(
    'subscriptions: a watched resource is read again when the server says it changed; logging messages arrive at the level asked',
    { timeout: 30_000 },
    async () => {
      const client = toolset.clients[0]!;
      const uri = 'demo://resource/dynamic/text/2';
      let changed!: () => void;
      const updated = new Promise<void>((resolve) => (changed = resolve));
      let changes = 0;
      const watched = await watchResources(client, [uri], { onChange: () => ++changes > 1 && changed() });
      expect(watched.context()[0]).toMatchObject({ description: expect.stringContaining(uri) as string });
      expect(watched.versions()[uri]).toBe(1);
      await runTool(byName(tools, 'ev_toggle-subscriber-updates'), {});
      await runTool(byName(tools, 'ev_toggle-simulated-logging'), {});
      await updated; // the server's own 5 s interval sends the update
      expect(watched.versions()[uri]).toBeGreaterThanOrEqual(2);
      expect(logs.length).toBeGreaterThan(0);
      expect(logs[0]).toMatchObject({ server: 'ev' });
      await runTool(byName(tools, 'ev_toggle-subscriber-updates'), {});
      await runTool(byName(tools, 'ev_toggle-simulated-logging'), {});
      await watched.close();
    },
  );

  it('prompts: listed and usable as slash commands with arguments', async () => {
    const commands = await mcpPromptCommands(toolset.clients);
    expect(commands.map((c) => c.command)).toEqual(expect.arrayContaining(['/ev:simple-prompt', '/ev:args-prompt', '/ev:resource-prompt']));
    const args = commands.find((c) => c.command === '/ev:args-prompt')!;
    expect(args.usage).toBe('/ev:args-prompt city=<city> [state=<state>]');
    await expect(args.run({})).rejects.toThrow(/Missing city/);
    expect(await args.run({ city: 'Lyon' })).toContain('Lyon');
  });

  it('progress: notifications of a long call arrive with the tool and the agent call id', async () => {
    const before = progress.length;
    await byName(tools, 'ev_trigger-long-running-operation').execute(
      { duration: 0.3, steps: 3 },
      { signal: new AbortController().signal, toolUseId: 'call-p' },
    );
    const mine = progress.slice(before);
    // The SDK runs notification handlers a microtask late and settles responses at once, so a
    // progress notification sent right before the result can arrive after the call is over
    // (the SDK then reports an unknown token): the last step may be missing, never reordered.
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.map((p) => p.progress)).toEqual([1, 2, 3].slice(0, mine.length));
    expect(mine[0]).toMatchObject({ server: 'ev', tool: 'trigger-long-running-operation', toolUseId: 'call-p', total: 3 });
  });

  it('inside an agent run: a rule on readOnlyHint allows the call, and its progress arrives as tool_progress events', async () => {
    const model = new ScriptedModel().toolUse('ev_trigger-long-running-operation', { duration: 0.3, steps: 3 }).text('done');
    // Non-interactive: without the tool's annotations reaching the rules, the call would be denied.
    const agent = new Agent({
      model,
      tools,
      interactive: false,
      permissionRules: [{ tool: 'ev_*', annotations: { readOnlyHint: true }, effect: 'allow' }],
    });
    const seen: { type: string; progress?: number; total?: number; toolUseId?: string }[] = [];
    agent.addHook((e) => {
      if (e.type === 'tool_progress' || e.type === 'permission_granted' || e.type === 'permission_denied') seen.push(e);
    });
    const result = await agent.run('run the long operation');
    expect(result.toolCalls[0]).toMatchObject({ name: 'ev_trigger-long-running-operation', success: true });
    expect(seen[0]?.type).toBe('permission_granted');
    const progress = seen.filter((e) => e.type === 'tool_progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatchObject({ toolUseId: result.toolCalls[0]!.toolUseId, progress: 1, total: 3 });
  });

  it('structured output reaches the model once (json), not also as its text copy', async () => {
    const result = (await runTool(byName(tools, 'ev_get-structured-content'), { location: 'Chicago' })) as ToolResultContent[];
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ type: 'json' });
  });

  it('a task-based tool runs as an MCP task (created, polled, its result returned)', { timeout: 30_000 }, async () => {
    const tool = byName(tools, 'ev_simulate-research-query') as McpTool;
    expect(tool.task).toBe(true);
    const out = texts(await runTool(tool, { topic: 'MCP tasks' }));
    expect(out).toContain('MCP tasks');
  });

  it('annotations in rules: read-only tools of the server are allowed, others denied; the approval text shows the hints', async () => {
    const model = new ScriptedModel()
      .toolUses([
        { name: 'ev_echo', input: { message: 'hi' } },
        { name: 'ev_toggle-simulated-logging', input: {} },
      ])
      .text('done');
    const authorizer = new PermissionAuthorizer({
      policy: 'deny',
      rules: [{ tool: 'ev_*', annotations: { readOnlyHint: true }, effect: 'allow' }],
      toolAnnotations: toolAnnotationsResolver(tools),
    });
    const agent = new Agent({ model, tools, authorizer, interactive: false });
    const result = await agent.run('go');
    expect(result.toolCalls.map((c) => [c.name, c.success])).toEqual([
      ['ev_echo', true],
      ['ev_toggle-simulated-logging', false],
    ]);
    expect(byName(tools, 'ev_echo').formatInput!({ message: 'hi' })).toBe('[ev, read-only, idempotent, closed-world] {"message":"hi"}');
  });
});
