import { startFakeAnthropic, startFakeOpenAI, type FakeServer } from '@mixtape/testing';
import { respond, TASK_PROMPT, TTFT_PROMPT } from './task.js';
import { createAdapter, FRAMEWORKS } from './frameworks.js';
const a: FakeServer = await startFakeAnthropic({ onRequest: (r) => respond(r, a.script) });
const o: FakeServer = await startFakeOpenAI({ onRequest: (r) => respond(r, o.script) });
const S = { anthropic: a.url, openai: o.baseURL };
for (const fw of (process.argv[2] ? [process.argv[2]] : FRAMEWORKS) as any[]) for (const p of ['anthropic', 'openai'] as const) {
  try {
    const ad = await createAdapter(fw, p, S);
    if (!ad) { console.log(fw, p, 'unsupported'); continue; }
    const n0 = a.requests.length + o.requests.length;
    const text = await ad.runTask(TASK_PROMPT);
    const n1 = a.requests.length + o.requests.length;
    const ttft = await ad.firstDelta(TTFT_PROMPT);
    ad.createAgent();
    await Promise.all([1,2,3].map(() => ad.runTask(TASK_PROMPT)));
    console.log(fw, p, 'ok', n1 - n0, 'requests', ttft.toFixed(2), 'ms', text.slice(0, 20));
  } catch (e) { console.log(fw, p, 'FAIL', e); }
}
process.exit(0);
