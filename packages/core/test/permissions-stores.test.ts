import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GrantStoreError, JsonFileGrantStore, MemoryGrantStore, PermissionAuthorizer, auditLogPathFor } from '../src/permissions/index.js';
import { runGrantStoreConformance } from '../src/testing/grant-conformance.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'mixtape-grants-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshFile = () => path.join(root, `case-${++counter}`, 'nested', 'grants.json');

runGrantStoreConformance('MemoryGrantStore', () => new MemoryGrantStore());
runGrantStoreConformance('JsonFileGrantStore', () => new JsonFileGrantStore(freshFile()));

describe('JsonFileGrantStore', () => {
  it('creates parent folders and writes a versioned, readable file, leaving no temporary files', async () => {
    const file = freshFile();
    const store = new JsonFileGrantStore(file);
    const grant = await store.save({ tool: 'bash', scope: 'user', match: { kind: 'command', prefix: 'git status' } });
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(data.version).toBe(1);
    expect(data.grants[0]).toMatchObject({
      id: grant.id,
      tool: 'bash',
      effect: 'allow',
      scope: 'user',
      match: { kind: 'command', prefix: 'git status' },
    });
    expect(readdirSync(path.dirname(file))).toEqual(['grants.json']);
  });

  it('persists across store instances (another process reading the same file)', async () => {
    const file = freshFile();
    const a = await new JsonFileGrantStore(file).save({
      tool: 'read_file',
      scope: 'user',
      expiresAt: new Date('2030-01-01T00:00:00.000Z'),
    });
    const [loaded] = await new JsonFileGrantStore(file).list();
    expect(loaded).toEqual(a);
    expect(loaded?.expiresAt).toBeInstanceOf(Date);
  });

  it('sees changes made by another store or by hand after it has read the file', async () => {
    const file = freshFile();
    const a = new JsonFileGrantStore(file);
    const b = new JsonFileGrantStore(file);
    await a.save({ tool: 'one', scope: 'user' });
    expect((await a.list()).length).toBe(1);
    await b.save({ tool: 'two', scope: 'user' });
    expect((await a.list()).map((g) => g.tool)).toEqual(['one', 'two']);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.grants[0].tool = 'edited';
    writeFileSync(file, JSON.stringify(data));
    expect((await a.list()).map((g) => g.tool)).toEqual(['edited', 'two']);
    // What list returns is a copy: changing it changes nothing stored.
    (await a.list())[0]!.tool = 'mutated';
    expect((await a.list())[0]?.tool).toBe('edited');
  });

  it('loses no update when many saves and deletes run at once', async () => {
    const file = freshFile();
    const store = new JsonFileGrantStore(file);
    const other = new JsonFileGrantStore(file);
    const saved = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).save({ tool: `tool_${i}`, scope: 'user' })),
    );
    expect((await store.list()).length).toBe(20);
    await Promise.all(saved.slice(0, 5).map((g) => other.delete(g.id)));
    expect((await store.list()).map((g) => g.tool).sort()).toEqual(
      saved
        .slice(5)
        .map((g) => g.tool)
        .sort(),
    );
  });

  it('never shows a half-written file to a reader, even while a writer process is killed with SIGKILL', async () => {
    const file = freshFile();
    const storeModule = fileURLToPath(new URL('../src/permissions/json-file-store.ts', import.meta.url));
    // A real writer process that rewrites the file as fast as it can, with varying sizes.
    const writer = spawn(
      process.execPath,
      [
        '--conditions=mixtape-source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { JsonFileGrantStore } = await import(${JSON.stringify(storeModule)});
         const store = new JsonFileGrantStore(${JSON.stringify(file)});
         for (let i = 0; ; i++) {
           const g = await store.save({ tool: 't' + (i % 40), scope: 'user', reason: 'x'.repeat((i * 7919) % 1000) });
           if (i % 3 === 2) await store.delete(g.id);
           if (i === 5) console.log('ready');
         }`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        writer.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        writer.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
      });
      const versions = new Set<string>();
      for (let reads = 0; reads < 2000 && versions.size < 8; reads++) {
        const text = readFileSync(file, 'utf8');
        expect(() => JSON.parse(text)).not.toThrow();
        versions.add(text);
      }
      expect(versions.size).toBeGreaterThan(1); // the reads really raced the writer
    } finally {
      writer.kill('SIGKILL');
      await new Promise((resolve) =>
        writer.exitCode !== null || writer.signalCode !== null ? resolve(undefined) : writer.once('exit', resolve),
      );
    }
    // Killed mid-write: the grant file is still whole, and a new store reads it.
    expect(() => JSON.parse(readFileSync(file, 'utf8'))).not.toThrow();
    expect((await new JsonFileGrantStore(file).list()).length).toBeGreaterThan(0);
  });

  it('fails with a clear error for a corrupt file and never overwrites it', async () => {
    const file = freshFile();
    const store = new JsonFileGrantStore(file);
    await store.save({ tool: 'a', scope: 'user' });
    writeFileSync(file, '{"version": 1, "grants": [ {"tool": "a", ');
    const error = await store.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrantStoreError);
    expect(error).toMatchObject({ kind: 'corrupt' });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/not valid JSON.*delete it/);
    await expect(store.save({ tool: 'b' })).rejects.toMatchObject({ kind: 'corrupt' });
    expect(readFileSync(file, 'utf8')).toBe('{"version": 1, "grants": [ {"tool": "a", ');
  });

  it('names the bad grant when the JSON is valid but a grant is not', async () => {
    const file = freshFile();
    const store = new JsonFileGrantStore(file);
    await store.save({ tool: 'a', scope: 'user' });
    writeFileSync(file, JSON.stringify({ version: 1, grants: [{ tool: 'a' }, { tool: 'b', effect: 'maybe' }] }));
    await expect(store.list()).rejects.toThrow(/grant 1: .*effect/);
    writeFileSync(file, '[1, 2]');
    await expect(store.list()).rejects.toThrow(/not a grant file/);
    writeFileSync(file, JSON.stringify({ version: 99, grants: [] }));
    await expect(store.list()).rejects.toThrow(/version 99.*Upgrade/);
  });

  it('denies tool calls (fail closed) when its file is corrupt, without throwing', async () => {
    const file = freshFile();
    const store = new JsonFileGrantStore(file);
    await store.clear();
    writeFileSync(file, 'not json');
    const authorizer = new PermissionAuthorizer({ store, policy: 'allow', onStoreError: () => {} });
    const check = await authorizer.check({ toolName: 'bash', toolUseId: 't', input: {}, paramsHash: '' });
    expect(check.decision).toBe('denied');
    expect(check.decision === 'denied' && check.reason).toMatch(/not valid JSON/);
  });

  it('treats an empty file as an empty store', async () => {
    const file = freshFile();
    const store = new JsonFileGrantStore(file);
    await store.clear();
    writeFileSync(file, '  \n');
    expect(await store.list()).toEqual([]);
  });

  it("reads the Rust original's grant file", async () => {
    const file = freshFile();
    const store = new JsonFileGrantStore(file);
    await store.clear();
    const hash = 'a'.repeat(64);
    writeFileSync(
      file,
      JSON.stringify({
        bash: [{ tool: 'bash', params_hash: null, scope: 'Persistent', created_at: '2025-01-01T00:00:00Z' }],
        read_file: [{ tool: 'read_file', params_hash: hash, scope: 'Session', created_at: '2025-01-02T00:00:00Z' }],
      }),
    );
    const grants = await store.list();
    expect(grants.map((g) => [g.tool, g.paramsHash, g.scope])).toEqual([
      ['bash', undefined, 'user'],
      ['read_file', hash, 'user'],
    ]);
  });

  it('keeps the audit log in a sibling .jsonl file and skips a torn last line', async () => {
    const file = freshFile();
    const store = new JsonFileGrantStore(file);
    expect(store.auditPath).toBe(auditLogPathFor(file));
    expect(store.auditPath.endsWith('grants.audit.jsonl')).toBe(true);
    await store.audit({ at: new Date(), tool: 'bash', toolUseId: 'u1', paramsHash: 'h', decision: 'granted', scope: 'once', by: 'user' });
    appendFileSync(store.auditPath, '{"at":"2026-01-0');
    const log = await store.auditLog();
    expect(log.map((e) => e.toolUseId)).toEqual(['u1']);
    expect(log[0]?.at).toBeInstanceOf(Date);
  });
});
