/**
 * Paused runs across stores: an interrupted run resumed by another Agent on another store
 * instance (another process or host), and two resumes of the same answers at once. Registered
 * by the SQLite and PostgreSQL packages with their stores; the model is a ScriptedModel.
 * @module
 */
import { z } from 'zod';
import { Agent } from '../agent/agent.js';
import { type AgentError } from '../agent/errors.js';
import { MemoryGrantStore } from '../permissions/memory-store.js';
import type { SessionStore } from '../session/types.js';
import { tool } from '../tools/tool.js';
import { ScriptedModel } from './scripted-model.js';
import { requireVitest } from './vitest-runtime.js';

/**
 * Registers the tests. `makeStore()` must return a new store instance on the same backend each
 * call (a new connection pool / database handle, as another process would have).
 */
export function runResumeAcrossStores(name: string, makeStore: () => SessionStore | Promise<SessionStore>): void {
  const { describe, expect, it } = requireVitest('runResumeAcrossStores');
  describe(`paused runs across store instances: ${name}`, () => {
    const setup = async (sessionId: string) => {
      const ran: string[] = [];
      const write = tool({
        name: 'write_record',
        description: 'Writes a record',
        input: z.object({ text: z.string() }),
        execute: ({ text }) => {
          ran.push(text);
          return `wrote ${text}`;
        },
      });
      const grants = new MemoryGrantStore();
      const stores: SessionStore[] = [];
      const agent = async (model: ScriptedModel) => {
        const store = await makeStore();
        stores.push(store);
        return new Agent({
          model,
          tools: [write],
          sessionStore: store,
          sessionId,
          grantStore: grants,
          interactive: true,
          approvals: 'interrupt',
        });
      };
      const close = async () => {
        for (const s of stores) await s.close?.();
      };
      return { ran, agent, close };
    };

    it('a run interrupted on one instance is resumed on another; a replay there runs nothing again', async () => {
      const { ran, agent, close } = await setup(`resume-${Date.now()}-${Math.random()}`);
      const first = await (await agent(new ScriptedModel().toolUse('write_record', { text: 'a' }))).run('write a');
      expect(first.status).toBe('interrupted');
      const other = await agent(new ScriptedModel().text('Written.'));
      expect((await other.pendingInterrupts()).map((i) => i.id)).toEqual(first.interrupts.map((i) => i.id));
      const answers = [{ interruptId: first.interrupts[0]!.id, type: 'approve' as const }];
      const done = await other.resume(answers);
      expect(done).toMatchObject({ status: 'completed', text: 'Written.' });
      const third = await agent(new ScriptedModel());
      expect(await third.resume(answers)).toMatchObject({ status: 'completed', text: 'Written.', steps: 0 });
      expect(ran).toEqual(['a']);
      await close();
    });

    it('two instances resuming the same answers at once: the tool runs once; the other is told it is busy or gets the outcome', async () => {
      const { ran, agent, close } = await setup(`race-${Date.now()}-${Math.random()}`);
      const first = await (await agent(new ScriptedModel().toolUse('write_record', { text: 'b' }))).run('write b');
      const answers = [{ interruptId: first.interrupts[0]!.id, type: 'approve' as const }];
      const [x, y] = [await agent(new ScriptedModel().text('Written.')), await agent(new ScriptedModel().text('Written.'))];
      const outcomes = await Promise.allSettled([x.resume(answers), y.resume(answers)]);
      const completed = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason as AgentError);
      expect(completed.length).toBeGreaterThanOrEqual(1);
      for (const e of refused) expect(e.kind).toBe('busy');
      expect(ran).toEqual(['b']);
      // Afterwards, the same answers give the stored outcome from any instance.
      expect(await (await agent(new ScriptedModel())).resume(answers)).toMatchObject({ status: 'completed', text: 'Written.' });
      expect(ran).toEqual(['b']);
      await close();
    });
  });
}
