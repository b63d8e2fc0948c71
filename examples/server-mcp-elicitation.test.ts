import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnTs } from '../test-support/processes.js';

const example = fileURLToPath(new URL('./server-mcp-elicitation.ts', import.meta.url));

describe('examples/server-mcp-elicitation.ts', () => {
  it(
    "an MCP server's form question reaches the AG-UI client as an interrupt, and the answer finishes the run",
    { timeout: 60_000 },
    async () => {
      const child = spawnTs(example, ['Grace Hopper', 'grace@example.org']);
      child.stdin!.end();
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain("MCP server 'everything' asks: Please provide inputs for the following fields:");
      expect(stdout).toMatch(/Fields: .*name.*email/);
      expect(stdout).toMatch(/Result: The MCP server got: .*Grace Hopper/s);
      expect(stdout).toContain('grace@example.org');
    },
  );
});
