/**
 * Hostile input through the HTTP server (issue 12's server half of the corpus): single-character
 * messages of 1 MiB and 50 MiB, with the limits as shipped and with them raised so the message
 * reaches the agent, and another principal reaching for a thread. Every case must end in a clear
 * error or a bounded result while /health keeps answering within 100 ms.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { HttpAgent } from '@ag-ui/client';
import { MemorySessionStore } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { postRun, runInput, say, serversClosedAfterEach, TOKEN } from '../packages/server/test/helpers.js';

const start = serversClosedAfterEach();
const HEALTH_BUDGET_MS = 100;
const MiB = 1024 * 1024;
const counts = { cases: 0, refused: 0, bounded: 0, healthProbes: 0, worstHealthMs: 0 };

/** Polls /health every 10 ms while `work` runs; returns the slowest answer's time. */
async function healthDuring<T>(url: string, work: () => Promise<T>): Promise<{ value: T; worstMs: number; probes: number }> {
  let stop = false;
  let worstMs = 0;
  let probes = 0;
  const prober = (async () => {
    while (!stop) {
      const t0 = performance.now();
      const r = await fetch(`${url}/health`);
      await r.arrayBuffer();
      expect(r.status).toBe(200);
      worstMs = Math.max(worstMs, performance.now() - t0);
      probes++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    const value = await work();
    return { value, worstMs, probes };
  } finally {
    stop = true;
    await prober;
  }
}

/**
 * POSTs a run with node:http, announcing the body's length first and sending it in pieces only
 * while no answer has come: a server that refuses by Content-Length answers before the upload, and
 * may close the connection while a client is still writing (that is not an error here).
 */
function postLarge(url: string, bytes: Buffer): Promise<{ status: number; json: { error?: string; message?: string } }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      `${url}/agent`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': bytes.length,
          accept: 'text/event-stream',
          authorization: `Bearer ${TOKEN}`,
        },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: string; message?: string },
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    req.flushHeaders();
    const piece = 256 * 1024;
    let offset = 0;
    const next = (): void => {
      if (answered || offset >= bytes.length) return void (answered ? req.destroy() : req.end());
      const chunk = bytes.subarray(offset, offset + piece);
      offset += chunk.length;
      if (req.write(chunk)) setImmediate(next);
      else req.once('drain', next);
    };
    setTimeout(next, 50);
  });
}

function note(worstMs: number, probes: number, outcome: 'refused' | 'bounded'): void {
  counts.cases++;
  counts[outcome]++;
  counts.healthProbes += probes;
  counts.worstHealthMs = Math.max(counts.worstHealthMs, worstMs);
}

afterAll(() => {
  console.log(
    `hostile server: ${counts.cases} cases — refused with a clear error ${counts.refused}, bounded result ${counts.bounded}; /health answered ${counts.healthProbes} probes, slowest ${counts.worstHealthMs.toFixed(1)} ms`,
  );
});

describe('hostile input through the server', () => {
  it('1 MiB and 50 MiB single-character messages with the shipped limits: 413 saying the limit, /health stays fast', async () => {
    const s = await start({ model: new ScriptedModel().text('never reached') });
    for (const size of [MiB, 50 * MiB]) {
      // Built before the probing starts: the server shares this process, and making 50 MiB here is not its work.
      const body = Buffer.from(JSON.stringify(runInput(randomUUID(), 'x'.repeat(size))));
      const { value: r, worstMs, probes } = await healthDuring(s.url, () => postLarge(s.url, body));
      expect(r.status).toBe(413);
      expect(r.json.error).toBe('body_too_large');
      expect(r.json.message).toContain('bodyLimitBytes');
      expect(worstMs).toBeLessThan(HEALTH_BUDGET_MS);
      note(worstMs, probes, 'refused');
    }
    expect(s.model.requests).toHaveLength(0);
  });

  it('a message over maxMessageChars but under the body limit: 413 naming limits.maxMessageChars', async () => {
    const s = await start({ model: new ScriptedModel().text('never reached'), server: { bodyLimitBytes: 4 * MiB } });
    const { value: r, worstMs, probes } = await healthDuring(s.url, () => postRun(s.url, runInput(randomUUID(), 'x'.repeat(MiB))));
    expect(r.status).toBe(413);
    expect(((await r.json()) as { message: string }).message).toContain('limits.maxMessageChars');
    expect(worstMs).toBeLessThan(HEALTH_BUDGET_MS);
    note(worstMs, probes, 'refused');
  });

  it('with the limits raised, 1 MiB of one character reaches the model whole and the run ends; /health stays fast', async () => {
    const s = await start({
      model: new ScriptedModel().text('ok'),
      server: { bodyLimitBytes: 4 * MiB, limits: { maxMessageChars: 2 * MiB } },
    });
    const client = new HttpAgent({ url: `${s.url}/agent`, threadId: randomUUID(), headers: { Authorization: `Bearer ${TOKEN}` } });
    const { value, worstMs, probes } = await healthDuring(s.url, () => say(client, 'x'.repeat(MiB)));
    expect(value.error).toBeUndefined();
    expect(value.result).toBe('ok');
    const sent = JSON.stringify(s.model.requests[0]!.messages);
    expect(sent.length).toBeGreaterThan(MiB);
    expect(worstMs).toBeLessThan(HEALTH_BUDGET_MS);
    note(worstMs, probes, 'bounded');
  });

  it('another principal cannot read or continue a thread it does not own (404 / a thread of its own)', async () => {
    const store = new MemorySessionStore();
    const s = await start({
      store,
      model: new ScriptedModel().text('for alice').text('for mallory'),
      server: { auth: { authenticate: (r: Request) => (r.headers.get('x-user') ? { id: r.headers.get('x-user')! } : null) } },
    });
    const threadId = randomUUID();
    const as = (user: string) => new HttpAgent({ url: `${s.url}/agent`, threadId, headers: { 'x-user': user } });
    expect((await say(as('alice'), 'private')).result).toBe('for alice');
    const {
      value: read,
      worstMs,
      probes,
    } = await healthDuring(s.url, () => fetch(`${s.url}/threads/${threadId}/messages`, { headers: { 'x-user': 'mallory' } }));
    expect(read.status).toBe(404);
    expect((await say(as('mallory'), 'show me')).result).toBe('for mallory');
    expect(JSON.stringify(s.model.requests[1]!.messages)).not.toContain('private');
    note(worstMs, probes, 'refused');
  });
});
