import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessManager, processTools } from '../src/index.js';
import { byName, call, callText, tempDir } from './helpers.js';

let manager: ProcessManager;
let tools: ReturnType<typeof processTools>;
let cleanup: () => Promise<void>;
let dir: string;
const t = (name: string) => byName(tools, name);
const pidOf = (text: string): number => Number(/PID: (\d+)/.exec(text)?.[1]);

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  manager = new ProcessManager({ cwd: dir });
  tools = processTools({ manager, startWaitMs: 10_000 });
});
afterEach(async () => {
  await manager.shutdown();
  await cleanup();
});

describe('process tools', () => {
  it('start_process runs a shell command in the working folder and returns its output and exit code', async () => {
    const text = await callText(t('start_process'), { command: 'pwd; echo out; echo err >&2; exit 3' });
    expect(text).toMatch(/Status: exited \(code 3\)/);
    expect(text).toContain(dir);
    expect(text).toContain('out');
    expect(text).toContain('err');
  });

  it('interact_with_process sends input and returns the response up to the next prompt', async () => {
    const script = `printf 'ready> '; while read line; do if [ "$line" = quit ]; then echo bye; exit 0; fi; echo "got: $line"; printf '> '; done`;
    const started = await callText(t('start_process'), { command: script });
    expect(started).toContain('Status: running');
    expect(started).toContain('ready>');
    const pid = pidOf(started);
    const reply = await callText(t('interact_with_process'), { pid, input: 'hello', timeout_ms: 10_000 });
    expect(reply).toContain('(prompt detected)');
    expect(reply).toMatch(/Response:\ngot: hello\n> $/);
    const bye = await callText(t('interact_with_process'), { pid, input: 'quit', timeout_ms: 10_000 });
    expect(bye).toContain('bye');
    expect(bye).toContain('exited (code 0)');
    await expect(call(t('interact_with_process'), { pid, input: 'again' })).rejects.toThrow(/exited.*cannot take input/);
  });

  it('read_process_output returns only new output, waiting for it', async () => {
    const started = await callText(t('start_process'), { command: 'printf "first> "; read x; echo "second $x"; read y', wait_ms: 10_000 });
    const pid = pidOf(started);
    await call(t('interact_with_process'), { pid, input: 'A', wait_for_response: false });
    const text = await callText(t('read_process_output'), { pid, timeout_ms: 10_000 });
    expect(text).toContain('second A');
    expect(text).not.toContain('first');
    const none = await callText(t('read_process_output'), { pid, timeout_ms: 0 });
    expect(none).toContain('No new output');
  });

  it('keeps output bounded: old output is dropped and the loss is reported', async () => {
    const small = new ProcessManager({ outputBufferChars: 1_000 });
    const smallTools = processTools({ manager: small });
    try {
      const text = await callText(byName(smallTools, 'start_process'), {
        command: 'i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done',
        wait_ms: 10_000,
      });
      expect(text).toMatch(/characters of earlier output were dropped/);
      expect(text).toContain('line 499');
      expect(text).not.toContain('line 1\n');
    } finally {
      await small.shutdown();
    }
  });

  it('list_sessions shows the sessions; force_terminate kills the whole process group', async () => {
    const pid = pidOf(await callText(t('start_process'), { command: 'sleep 600 & sleep 600; wait', wait_ms: 0 }));
    const list = await callText(t('list_sessions'), {});
    expect(list).toMatch(new RegExp(`${pid}\\s+running\\s+\\S+\\s+sleep 600 & sleep 600; wait`));
    expect(await callText(t('force_terminate'), { pid })).toBe(`Force killed process ${pid}`);
    expect(manager.get(pid)?.status).toBe('killed');
    expect(await callText(t('list_sessions'), {})).toMatch(new RegExp(`${pid}\\s+killed \\(SIGKILL\\)`));
  });

  it('kill_process sends SIGTERM, then SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const polite = pidOf(await callText(t('start_process'), { command: 'sleep 600', wait_ms: 0 }));
    expect(await callText(t('kill_process'), { pid: polite })).toBe(`Process ${polite} terminated (SIGTERM)`);
    const startText = await callText(t('start_process'), { command: `trap '' TERM; echo armed; while :; do sleep 1; done`, wait_ms: 0 });
    const stubborn = pidOf(startText);
    // The trap is set once 'armed' is printed (start_process may already have returned it);
    // read_process_output returns as soon as there is new output.
    let seen = startText;
    // (The command line itself, echoed in startText, also holds the word: look for it as an output line.)
    for (let i = 0; i < 20 && !/^armed$/m.test(seen); i++)
      seen += await callText(t('read_process_output'), { pid: stubborn, timeout_ms: 10_000 });
    expect(seen).toMatch(/^armed$/m);
    const text = await callText(t('kill_process'), { pid: stubborn, grace_ms: 200 });
    expect(text).toContain('was killed (SIGKILL)');
    expect(manager.get(stubborn)?.status).toBe('killed');
  });

  it('kill_process refuses this process and reports unknown PIDs', async () => {
    await expect(call(t('kill_process'), { pid: process.pid })).rejects.toThrow(/Refusing to kill/);
    await expect(call(t('kill_process'), { pid: 1 })).rejects.toThrow(/init process/);
    await expect(call(t('read_process_output'), { pid: 999_999 })).rejects.toThrow(/No process session with PID 999999/);
  });

  it('list_processes lists processes busiest first, with a filter and a limit', async () => {
    const pid = pidOf(await callText(t('start_process'), { command: 'sleep 601', wait_ms: 0 }));
    const text = await callText(t('list_processes'), { filter: 'sleep 601' });
    expect(text.split('\n')[0]).toMatch(/^PID\s+CPU%\s+MEMORY\s+COMMAND$/);
    expect(text).toContain('sleep 601');
    const limited = await callText(t('list_processes'), { limit: 1 });
    expect(limited.split('\n')).toHaveLength(3);
    expect(limited).toMatch(/\.\.\. and \d+ more processes/);
    await call(t('kill_process'), { pid });
  });

  it('start_process kills a command that runs past timeout_ms', async () => {
    const text = await callText(t('start_process'), { command: 'sleep 600', timeout_ms: 100, wait_ms: 10_000 });
    expect(text).toMatch(/Status: killed/);
    expect(text).toContain('[timeout] killed after 100 ms');
  });
});
