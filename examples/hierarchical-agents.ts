/**
 * Agents as tools: an orchestrator delegates to two specialists (ScriptedModel, no network).
 *
 *   node --conditions=mixtape-source --import tsx examples/hierarchical-agents.ts
 */
import { Agent } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';

const rust = new Agent({
  model: new ScriptedModel().text('Use Arc<Mutex<T>> to share state across threads.'),
  systemPrompt: 'You are a Rust expert.',
});
const python = new Agent({
  model: new ScriptedModel().text('Use asyncio.Lock to guard shared state in coroutines.'),
  systemPrompt: 'You are a Python expert.',
});
const orchestrator = new Agent({
  model: new ScriptedModel()
    .toolUses([
      { name: 'ask_rust_expert', input: { prompt: 'How do I share state between threads?' } },
      { name: 'ask_python_expert', input: { prompt: 'How do I share state between coroutines?' } },
    ])
    .text('Rust: Arc<Mutex<T>>. Python: asyncio.Lock.'),
  tools: [
    rust.asTool({ name: 'ask_rust_expert', description: 'Asks the Rust expert' }),
    python.asTool({ name: 'ask_python_expert', description: 'Asks the Python expert' }),
  ],
});
orchestrator.addHook((e) => {
  if (e.type === 'tool_completed') console.log(`${e.name}: ${e.outputText}`);
});
console.log((await orchestrator.run('How do I share state safely in Rust and in Python?')).text);
