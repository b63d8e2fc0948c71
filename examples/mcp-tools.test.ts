import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('the MCP example lists and calls the test server tools, then stops the server', { timeout: 60_000 }, () => {
  const out = execFileSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', 'examples/mcp-tools.ts'], {
    encoding: 'utf8',
  });
  const pid = /\(pid (\d+)\) over stdio/.exec(out)?.[1];
  expect(pid).toBeDefined();
  expect(out).toContain('Connected to mixtape-test-server 1.0.0');
  expect(out).toContain('8 tools:');
  expect(out).toMatch(/test_echo\s+Echoes the message back/);
  expect(out).toContain('✓ test_echo({"message":"hello from Mixtape"}) → hello from Mixtape');
  expect(out).toContain('✓ test_add({"a":2,"b":40}) → 42');
  expect(out).toContain('✓ test_image({}) → a tiny image\n[Image: image/png, 70 bytes]');
  expect(out).toContain('✓ test_structured({"a":3,"b":4}) → {"sum":7}');
  expect(out).toContain('✗ test_add: Invalid input for tool "test_add": a: Invalid input: expected number, received string');
  expect(out).toContain('✗ test_fail({}) failed: the tool failed on purpose');
  expect(out.trimEnd().endsWith('Server stopped.')).toBe(true);
  // The child process is gone once the example has exited.
  expect(() => process.kill(Number(pid), 0)).toThrow();
});
