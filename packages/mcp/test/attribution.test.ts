/**
 * Which agent tool call a server's request belongs to (McpRequestContext.call), against the
 * published server-everything: over stdio (the only call in flight; none when two are), over
 * Streamable HTTP with two concurrent calls (the call whose response stream carried it), and
 * the cost of a sampling request counted in the run that caused it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Agent, type ToolContext, type Usage } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpToolset, modelSamplingHandler, type McpRequestContext, type McpTool } from '../src/index.js';
import { byName } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../node_modules/.bin/mcp-server-everything', import.meta.url));
const EVERYTHING_HTTP = fileURLToPath(new URL('./fixtures/everything-http.ts', import.meta.url));

/** A ToolContext as an agent gives one, recording what the tool reported spending. */
function toolContext(toolUseId: string): ToolContext & { reported: Array<{ usage: Usage; costUsd?: number }> } {
  const reported: Array<{ usage: Usage; costUsd?: number }> = [];
  return {
    signal: new AbortController().signal,
    toolUseId,
    reported,
    reportUsage: (usage: Usage, costUsd?: number) => void reported.push({ usage, ...(costUsd !== undefined ? { costUsd } : {}) }),
  };
}

/** Elicitations are held until `expected` have arrived, then each is answered with the id of the call it was attributed to. */
function heldElicitations(expected: number) {
  const seen: McpRequestContext[] = [];
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return {
    seen,
    setExpected(n: number) {
      expected = n;
    },
    handler: async (_request: unknown, ctx: McpRequestContext) => {
      seen.push(ctx);
      if (seen.length >= expected) release();
      await all;
      return { action: 'accept' as const, content: { name: ctx.call?.toolUseId ?? 'nobody', check: true, email: 'a@example.org' } };
    },
  };
}

async function run(tool: McpTool, ctx: ToolContext, input: Record<string, unknown> = {}): Promise<string> {
  return JSON.stringify(await tool.execute(input, ctx));
}

describe('attribution over stdio (server-everything)', () => {
  const held = heldElicitations(1);
  const sampler = new ScriptedModel({
    modelId: 'sampler',
    info: {
      name: 'sampler',
      contextWindow: 100_000,
      maxOutputTokens: 4_096,
      pricing: { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000 },
    },
  });
  let toolset: McpToolset;
  let tools: McpTool[];
  beforeAll(async () => {
    toolset = new McpToolset([{ name: 'ev', transport: { type: 'stdio', command: BIN, args: ['stdio'] } }], {
      onElicitation: held.handler,
      onSampling: modelSamplingHandler({ model: sampler, approve: () => true }),
    });
    tools = await toolset.tools();
  }, 60_000);
  afterAll(async () => {
    await toolset.close();
  });

  it('the only call in flight is the one that asked', async () => {
    const ctx = toolContext('call-alone');
    const out = await run(byName(tools, 'ev_trigger-elicitation-request') as McpTool, ctx);
    expect(held.seen[0]!.call).toBe(ctx);
    expect(out).toContain('call-alone');
  });

  it('two calls in flight on one stdio connection: the request is not attributed to either', async () => {
    held.seen.length = 0;
    held.setExpected(2);
    const tool = byName(tools, 'ev_trigger-elicitation-request') as McpTool;
    const outs = await Promise.all([run(tool, toolContext('call-a')), run(tool, toolContext('call-b'))]);
    expect(held.seen.map((s) => s.call)).toEqual([undefined, undefined]);
    expect(outs.every((o) => o.includes('nobody'))).toBe(true);
  });

  it("a sampling request's tokens and cost are reported to the call that caused it", async () => {
    sampler.text('Paris', { usage: { inputTokens: 10, outputTokens: 5 } });
    const ctx = toolContext('call-sampling');
    await run(byName(tools, 'ev_trigger-sampling-request') as McpTool, ctx, { prompt: 'Capital of France?' });
    expect(ctx.reported).toEqual([{ usage: { inputTokens: 10, outputTokens: 5 }, costUsd: 20 }]);
  });

  it("inside an agent run, the sampling request's usage and cost are part of the run's", async () => {
    sampler.text('Paris', { usage: { inputTokens: 10, outputTokens: 5 } });
    const model = new ScriptedModel({
      info: {
        name: 'agent-model',
        contextWindow: 100_000,
        maxOutputTokens: 4_096,
        pricing: { inputPerMTok: 1_000_000, outputPerMTok: 1_000_000 },
      },
    })
      .respond(
        [{ type: 'tool_use', id: 'call-1', name: 'ev_trigger-sampling-request', input: { prompt: 'Capital of France?' } }],
        'tool_use',
        {
          inputTokens: 100,
          outputTokens: 1,
        },
      )
      .text('It is Paris.', { usage: { inputTokens: 200, outputTokens: 2 } });
    const agent = new Agent({ model, tools, permissionRules: [{ tool: 'ev_*', effect: 'allow' }] });
    const result = await agent.run('Ask the server');
    expect(result.toolCalls[0]).toMatchObject({ success: true });
    // 300 + 3 tokens of the agent's own calls, 10 + 5 of the sampling request.
    expect(result.usage).toMatchObject({ inputTokens: 310, outputTokens: 8 });
    // $303 for the agent's calls, $20 for the sampling request (the sampler's prices).
    expect(result.cost).toBeCloseTo(323, 6);
  });
});

describe('attribution over Streamable HTTP (server-everything on 127.0.0.1)', () => {
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', EVERYTHING_HTTP], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const m = /LISTENING (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`server-everything over HTTP exited with ${code}`)));
    });
  }, 60_000);
  afterAll(async () => {
    child.kill();
    if (child.exitCode === null) await once(child, 'exit');
  });

  it('two concurrent calls: each question is attributed to the call whose response stream carried it', { timeout: 60_000 }, async () => {
    const held = heldElicitations(2);
    const toolset = new McpToolset([{ name: 'ev', transport: { type: 'http', url } }], { onElicitation: held.handler });
    try {
      const tool = byName(await toolset.tools(), 'ev_trigger-elicitation-request') as McpTool;
      expect(toolset.clients[0]!.transportKind).toBe('streamable-http');
      const a = toolContext('call-a');
      const b = toolContext('call-b');
      const [outA, outB] = await Promise.all([run(tool, a), run(tool, b)]);
      expect(held.seen.map((s) => s.call).sort((x, y) => x!.toolUseId.localeCompare(y!.toolUseId))).toEqual([a, b]);
      expect(outA).toContain('call-a');
      expect(outA).not.toContain('call-b');
      expect(outB).toContain('call-b');
      expect(outB).not.toContain('call-a');
    } finally {
      await toolset.close();
    }
  });
});
