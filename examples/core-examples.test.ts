import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function run(file: string): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANTHROPIC_|AWS_|OPENAI_)/.test(k)));
  return execFileSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', `examples/${file}`], { env, encoding: 'utf8' });
}

describe('core examples', () => {
  it('streaming-and-cancel: streams, runs tools in parallel, and a cancelled run leaves a valid session', () => {
    const out = run('streaming-and-cancel.ts');
    expect(out).toContain('→ lookup_city {"city":"Paris"}');
    expect(out).toContain('← {"city":"Berlin","population":3600000}');
    expect(out).toContain('Berlin (3.6 M) is larger than Paris (2.1 M).');
    expect(out).toContain('tool calls running at once: 2');
    expect(out).toMatch(/cancelled: Run cancelled/);
    expect(out).toContain('stored after cancel: user, assistant(tool call), user(result: error)');
  });

  it('hierarchical-agents: specialists answer through asTool', () => {
    const out = run('hierarchical-agents.ts');
    expect(out).toContain('ask_rust_expert: Use Arc<Mutex<T>>');
    expect(out).toContain('ask_python_expert: Use asyncio.Lock');
    expect(out).toContain('Rust: Arc<Mutex<T>>. Python: asyncio.Lock.');
  });

  it('providers-offline: the same agent on three official SDKs against the fake servers', () => {
    const out = run('providers-offline.ts');
    for (const name of ['anthropic', 'bedrock', 'openai-compatible']) {
      expect(out).toMatch(new RegExp(`${name}: "It is 21 °C and clear in Lisbon." — \\d+ streamed deltas, 3 HTTP requests`));
    }
  });

  it('typed-answers-budgets-tracing: a validated typed answer after a repair, its span tree, a budget stop', () => {
    const out = run('typed-answers-budgets-tracing.ts');
    expect(out).toContain('typed answer: Bergen, 4 °C, umbrella: true');
    expect(out).toContain('model calls: 3 (one repair turn)');
    expect(out).toMatch(
      /invoke_agent weather \(\d+ output tokens\)\n {2}chat scripted-model \(\d+ output tokens\)\n {2}execute_tool forecast\n {2}chat scripted-model/,
    );
    expect(out).toMatch(/budget: stopped before the call \(cost, estimate \$0\.0\d+ > \$0\.01\)/);
  });
});
