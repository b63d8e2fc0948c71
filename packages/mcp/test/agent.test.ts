import { Agent } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { describe, expect, it } from 'vitest';
import { mcpTools } from '../src/index.js';
import { testServerConfig } from './helpers.js';

describe('MCP tools in an Agent run', { timeout: 60_000 }, () => {
  it('the model sees the namespaced tools; results come back in call order and isError is a failure', async () => {
    const { tools, close } = await mcpTools([testServerConfig('srv', { include: ['echo', 'add', 'fail'] })]);
    try {
      const model = new ScriptedModel()
        .toolUses([
          { name: 'srv_echo', input: { message: 'ping' } },
          { name: 'srv_fail', input: {} },
          { name: 'srv_add', input: { a: 'x', b: 1 } },
        ])
        .text('done');
      const agent = new Agent({ model, tools });
      const result = await agent.run('use the tools');
      expect(result.text).toBe('done');
      expect(model.requests[0]!.tools.map((t) => t.name)).toEqual(['srv_echo', 'srv_add', 'srv_fail']);
      const toolResults = model.requests[1]!.messages.at(-1)!.content.filter((b) => b.type === 'tool_result');
      expect(toolResults.map((b) => (b.type === 'tool_result' ? b.isError : undefined))).toEqual([false, true, true]);
      const texts = toolResults.map((b) =>
        b.type === 'tool_result' ? b.content.map((c) => (c.type === 'text' ? c.text : '')).join('') : '',
      );
      expect(texts[0]).toBe('ping');
      expect(texts[1]).toContain('the tool failed on purpose');
      expect(texts[2]).toContain('Invalid input for tool "srv_add"');
    } finally {
      await close();
    }
  });

  it('permission rules and grants apply to MCP tools like any other tool (globs on the namespaced names)', async () => {
    const { tools, close } = await mcpTools([testServerConfig('srv', { include: ['echo', 'add'] })]);
    try {
      const model = new ScriptedModel()
        .toolUses([
          { name: 'srv_echo', input: { message: 'allowed' } },
          { name: 'srv_add', input: { a: 1, b: 2 } },
        ])
        .text('done');
      const agent = new Agent({
        model,
        tools,
        interactive: false,
        permissionRules: [
          { tool: 'srv_*', effect: 'allow' },
          { tool: 'srv_add', effect: 'deny', reason: 'no arithmetic on this server' },
        ],
      });
      const denied: string[] = [];
      agent.addHook((e) => void (e.type === 'permission_denied' && denied.push(`${e.toolName}: ${e.reason}`)));
      await agent.run('use the tools');
      const results = model.requests[1]!.messages.at(-1)!.content.flatMap((b) => (b.type === 'tool_result' ? [b] : []));
      expect(results.map((r) => r.isError)).toEqual([false, true]);
      expect(denied).toHaveLength(1);
      expect(denied[0]).toMatch(/^srv_add: .*no arithmetic/);
    } finally {
      await close();
    }
  });
});
