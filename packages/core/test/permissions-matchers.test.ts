import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { type ArgumentMatcher, commandSegments, matchesArguments, simpleArgv } from '../src/permissions/matchers.js';

const base = '/home/dev/project';
const allow = { effect: 'allow' as const, base };
const deny = { effect: 'deny' as const, base };

describe('command prefix matcher', () => {
  const gitStatus: ArgumentMatcher = { kind: 'command', prefix: 'git status' };
  const cmd = (command: unknown) => ({ command });

  it('allows the command and longer commands with the same leading words', () => {
    for (const c of ['git status', 'git status -s', '  git   status  --short ', '\'git\' "status"', 'git status *.c'])
      expect(matchesArguments(gitStatus, cmd(c), allow), c).toBe(true);
  });

  it('does not allow other words, or more than one simple command', () => {
    const refused = [
      'git statusx',
      'git',
      'git log',
      'git status; rm -rf /',
      'git status;rm -rf /',
      'git status && rm -rf /',
      'git status || rm -rf /',
      'git status | sh',
      'git status & rm -rf /',
      'git status > /etc/passwd',
      'git status < /dev/zero',
      'git status $(rm -rf /)',
      'git status "$(rm -rf /)"',
      'git status `rm -rf /`',
      'git status\nrm -rf /',
      'git status\r\nrm -rf /',
      'git status $HOME',
      'git status # comment',
      'FOO=1 git status',
      'echo git status',
    ];
    for (const c of refused) expect(matchesArguments(gitStatus, cmd(c), allow), c).toBe(false);
  });

  it('treats an escaped semicolon as part of a word, not an operator', () => {
    expect(simpleArgv('git status\\; rm')).toEqual(['git', 'status;', 'rm']);
    expect(matchesArguments({ kind: 'command', prefix: 'git status' }, cmd('git status\\; rm'), allow)).toBe(false);
  });

  it('denies when any command in the string starts with the prefix', () => {
    const rm: ArgumentMatcher = { kind: 'command', prefix: 'rm' };
    const denied = [
      'rm -rf /',
      'git status; rm -rf /',
      'git status && rm -rf /',
      'ls | rm x',
      'git status $(rm -rf /)',
      'git status "$(rm -rf /)"',
      'git status `rm -rf /`',
      'git status\nrm -rf /',
      'FOO=1 BAR=2 rm x',
      '"rm" x',
    ];
    for (const c of denied) expect(matchesArguments(rm, cmd(c), deny), c).toBe(true);
    for (const c of ['git rm x', 'rmdir x', 'echo rm', 'grep -r rm .']) expect(matchesArguments(rm, cmd(c), deny), c).toBe(false);
  });

  it('fails closed for a deny rule when the command cannot be parsed, and fails for an allow rule', () => {
    expect(commandSegments('git status "; rm -rf /')).toBeNull();
    expect(matchesArguments({ kind: 'command', prefix: 'git status' }, cmd('git status "; rm -rf /'), allow)).toBe(false);
    expect(matchesArguments({ kind: 'command', prefix: 'rm' }, cmd("echo 'unterminated"), deny)).toBe(true);
    expect(matchesArguments({ kind: 'command', prefix: 'git status' }, cmd('git status "it\\"s"'), allow)).toBe(true);
  });

  it('compares an argv array word by word, and reads the named argument', () => {
    const m: ArgumentMatcher = { kind: 'command', argument: 'argv', prefix: ['npm', 'test'] };
    expect(matchesArguments(m, { argv: ['npm', 'test', '--', 'x'] }, allow)).toBe(true);
    expect(matchesArguments(m, { argv: ['npm', 'testx'] }, allow)).toBe(false);
    expect(matchesArguments(m, { argv: ['npm', 1] }, allow)).toBe(false);
    expect(matchesArguments(m, { command: 'npm test' }, allow)).toBe(false); // wrong argument
    expect(matchesArguments(m, 'npm test', allow)).toBe(false); // input not an object
  });
});

describe('path glob matcher', () => {
  const src: ArgumentMatcher = { kind: 'path', argument: 'path', glob: 'src/**' };

  it('matches relative and absolute paths under the project folder', () => {
    expect(matchesArguments(src, { path: 'src/a.ts' }, allow)).toBe(true);
    expect(matchesArguments(src, { path: './src/deep/b.ts' }, allow)).toBe(true);
    expect(matchesArguments(src, { path: `${base}/src/c.ts` }, allow)).toBe(true);
    expect(matchesArguments(src, { path: 'test/a.ts' }, allow)).toBe(false);
  });

  it('normalises the path first, so .. cannot escape the glob', () => {
    expect(matchesArguments(src, { path: 'src/../../../etc/passwd' }, allow)).toBe(false);
    expect(matchesArguments(src, { path: 'src/../secret.txt' }, allow)).toBe(false);
    expect(matchesArguments({ kind: 'path', argument: 'path', glob: '/etc/**' }, { path: 'src/../../../../etc/passwd' }, deny)).toBe(true);
  });

  it('needs every path to match for allow, and any path for deny', () => {
    const m: ArgumentMatcher = { kind: 'path', argument: ['source', 'destination'], glob: 'src/**' };
    expect(matchesArguments(m, { source: 'src/a', destination: 'src/b' }, allow)).toBe(true);
    expect(matchesArguments(m, { source: 'src/a', destination: '/tmp/b' }, allow)).toBe(false);
    expect(matchesArguments(m, { source: 'src/a', destination: '/tmp/b' }, deny)).toBe(true);
    const many: ArgumentMatcher = { kind: 'path', argument: 'paths', glob: ['src/**', 'docs/*.md'] };
    expect(matchesArguments(many, { paths: ['src/a.ts', 'docs/x.md'] }, allow)).toBe(true);
    expect(matchesArguments(many, { paths: ['src/a.ts', 'docs/sub/x.md'] }, allow)).toBe(false);
    expect(matchesArguments(many, { paths: ['src/a.ts', 42] }, allow)).toBe(false);
    expect(matchesArguments(many, {}, allow)).toBe(false);
  });

  it('lets deny rules cover dot-files that an allow rule with * does not', () => {
    expect(matchesArguments(src, { path: 'src/.env' }, allow)).toBe(false);
    expect(matchesArguments({ kind: 'path', argument: 'path', glob: 'src/*' }, { path: 'src/.env' }, deny)).toBe(true);
    const env: ArgumentMatcher = { kind: 'path', argument: 'path', glob: '**/.env' };
    expect(matchesArguments(env, { path: '/anywhere/else/.env' }, deny)).toBe(true);
  });

  it('expands ~ to the home folder', () => {
    const ssh: ArgumentMatcher = { kind: 'path', argument: 'path', glob: '~/.ssh/**' };
    expect(matchesArguments(ssh, { path: `${os.homedir()}/.ssh/id_ed25519` }, deny)).toBe(true);
    expect(matchesArguments(ssh, { path: '~/.ssh/config' }, deny)).toBe(true);
  });
});

describe('exact value matcher', () => {
  it('compares the argument as canonical JSON', () => {
    const m: ArgumentMatcher = { kind: 'value', argument: 'options', equals: { a: 1, b: [1, 2] } };
    expect(matchesArguments(m, { options: { b: [1, 2], a: 1 } }, allow)).toBe(true);
    expect(matchesArguments(m, { options: { b: [2, 1], a: 1 } }, allow)).toBe(false);
    expect(matchesArguments(m, {}, allow)).toBe(false);
    expect(matchesArguments({ kind: 'value', argument: 'mode', equals: 'read' }, { mode: 'read' }, allow)).toBe(true);
  });
});
