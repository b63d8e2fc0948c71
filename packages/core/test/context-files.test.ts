import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Agent, ContextError, buildSystemPrompt, expandContextPath, loadContext } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';

async function tempDir() {
  return mkdtemp(path.join(os.tmpdir(), 'mixtape-ctx-'));
}

describe('context files', () => {
  it('expands ~, $HOME and $CWD', () => {
    expect(expandContextPath('~', '/w', '/h')).toBe('/h');
    expect(expandContextPath('~/AGENTS.md', '/w', '/h')).toBe('/h/AGENTS.md');
    expect(expandContextPath('$HOME/x/$CWD', '/w', '/h')).toBe('/h/x/w');
    expect(expandContextPath('rel/a.md', '/w', '/h')).toBe('/w/rel/a.md');
  });

  it('loads inline text, files and sorted globs in declaration order, skipping missing optional files', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'AGENTS.md'), 'Use tabs.');
    await mkdir(path.join(dir, 'rules'));
    await writeFile(path.join(dir, 'rules', 'b.md'), 'rule b');
    await writeFile(path.join(dir, 'rules', 'a.md'), 'rule a');
    const result = await loadContext(
      ['AGENTS.md', 'CLAUDE.md', { content: 'Inline note' }, { glob: 'rules/*.md' }, { glob: 'none/*.md' }],
      { cwd: dir },
    );
    expect(result.files.map((f) => f.content)).toEqual(['Use tabs.', 'Inline note', 'rule a', 'rule b']);
    expect(result.skipped).toEqual([path.join(dir, 'CLAUDE.md')]);
    expect(result.totalBytes).toBe(9 + 11 + 6 + 6);
    const prompt = buildSystemPrompt('Base prompt.', result)!;
    expect(prompt.startsWith('Base prompt.')).toBe(true);
    expect(prompt).toContain(`<!-- Context from: ${path.join(dir, 'AGENTS.md')} -->\nUse tabs.`);
  });

  it('fails clearly on a missing required file, a file too large, a total too large and bad UTF-8', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'big.md'), 'x'.repeat(2000));
    await writeFile(path.join(dir, 'bin.md'), Buffer.from([0xff, 0xfe, 0x00, 0xc3]));
    await expect(loadContext([{ path: 'gone.md' }], { cwd: dir })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(loadContext([{ path: 'big.md' }], { cwd: dir, maxFileBytes: 1000 })).rejects.toThrow(
      /exceeds the size limit \(2000 bytes > 1000 bytes\)/,
    );
    await expect(loadContext(['big.md', 'big.md'], { cwd: dir, maxTotalBytes: 3000 })).rejects.toMatchObject({ kind: 'total_too_large' });
    await expect(loadContext(['bin.md'], { cwd: dir })).rejects.toBeInstanceOf(ContextError);
  });

  it('the agent resolves context on every run and reports it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'AGENTS.md');
    await writeFile(file, 'version one');
    const model = new ScriptedModel().text('a').text('b');
    const agent = new Agent({ model, systemPrompt: 'Base.', contextFiles: [file], cwd: dir });
    const first = await agent.run('x');
    expect(first.context!.files[0]!.path).toBe(file);
    await writeFile(file, 'version two');
    await agent.run('y');
    expect(model.requests[0]!.system).toContain('version one');
    expect(model.requests[1]!.system).toContain('version two');
    const failing = new Agent({ model: new ScriptedModel().text('never'), contextFiles: [{ path: path.join(dir, 'missing.md') }] });
    await expect(failing.run('x')).rejects.toMatchObject({ kind: 'context' });
  });
});
