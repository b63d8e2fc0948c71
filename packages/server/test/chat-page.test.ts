import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { MemoryGrantStore } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { fileURLToPath } from 'node:url';
import { elicitationBroker, McpToolset } from '@mixtape/mcp';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, TOKEN } from './helpers.js';

const EVERYTHING = fileURLToPath(new URL('../../../node_modules/.bin/mcp-server-everything', import.meta.url));
/** Debian's Chromium (`apt-get install -y chromium`); `.ci/run` installs it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ci = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
const missing = !existsSync(CHROMIUM);
if (missing && !ci) console.warn(`SKIPPED chat page tests: Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium).`);

describe.skipIf(missing && !ci)('web chat page in headless Chromium', () => {
  let browser: Browser;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    if (missing) throw new Error(`CI=true: Chromium must be installed at ${CHROMIUM} (apt-get install -y chromium).`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  afterAll(async () => {
    await browser?.close();
  });
  async function open(model: ScriptedModel): Promise<{ s: TestServer; page: Page; threadId: string }> {
    const s = await startTestServer({ model, agentOptions: { grantStore: new MemoryGrantStore(), interactive: true } });
    servers.push(s);
    const threadId = randomUUID();
    const page = await browser.newPage();
    await page.goto(`${s.url}/#token=${TOKEN}&thread=${threadId}`);
    await expect.poll(() => page.locator('#thread').textContent()).toBe(threadId);
    return { s, page, threadId };
  }
  async function send(page: Page, text: string) {
    await page.fill('#prompt', text);
    await page.click('#send');
  }

  it('streams answers, asks for approval through an interrupt that survives a reload, and reloads the thread', async () => {
    const { page } = await open(new ScriptedModel().text('Hello! I can add numbers.').toolUse('add', { a: 2, b: 3 }).text('2 + 3 = 5'));
    await send(page, 'Hi there');
    await page.locator('.msg.assistant', { hasText: 'Hello! I can add numbers.' }).waitFor();

    await send(page, 'What is 2 + 3?');
    const approval = page.locator('.msg.approval');
    await approval.waitFor();
    expect(await approval.textContent()).toContain('add {"a":2,"b":3}');
    // Nothing waits in the server: a reload shows the same pending approval, from the session store.
    await page.reload();
    await page.locator('.msg.approval').waitFor();
    expect(await page.locator('.msg.approval').count()).toBe(1);
    await page.locator('.msg.approval button[data-action="approve"]').click();
    await page.locator('.msg.tool', { hasText: '→ 5' }).waitFor();
    await page.locator('.msg.assistant', { hasText: '2 + 3 = 5' }).waitFor();
    await expect.poll(() => page.locator('#send').isVisible()).toBe(true);

    await page.reload();
    await page.locator('.msg.assistant', { hasText: '2 + 3 = 5' }).waitFor();
    const shown = await page.locator('.msg').allTextContents();
    expect(shown[0]).toBe('Hi there');
    expect(shown).toContain('What is 2 + 3?');
    expect(shown.some((t) => t.includes('add') && t.includes('"a":2'))).toBe(true);
    expect(await page.locator('.msg.approval').count()).toBe(0);
    await page.close();
  });

  it('approves with edited arguments, and denies with a reason the model sees', async () => {
    const { s, page } = await open(
      new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('Edited sum done.').toolUse('add', { a: 9, b: 9 }).text('Not adding.'),
    );
    await send(page, 'add one and one');
    await page.locator('.msg.approval button[data-action="edit"]').click();
    await page.locator('.msg.approval textarea.edit-args').fill('{"a": 40, "b": 2}');
    await page.locator('.msg.approval button[data-action="approve-edited"]').click();
    await page.locator('.msg.tool', { hasText: '→ 42' }).waitFor();
    await page.locator('.msg.assistant', { hasText: 'Edited sum done.' }).waitFor();

    await send(page, 'add nines');
    const card = page.locator('.msg.approval').last();
    await card.locator('input.reason').waitFor();
    await expect.poll(() => card.locator('button[data-action="deny"]').isDisabled()).toBe(false);
    await card.locator('input.reason').fill('too many nines');
    await card.locator('button[data-action="deny"]').click();
    await page.locator('.msg.assistant', { hasText: 'Not adding.' }).waitFor();
    expect(JSON.stringify(s.model.requests.at(-1)!.messages.at(-1))).toContain('too many nines');
    await page.close();
  });

  it('renders Markdown safely, takes multi-line input, and stops a running answer', async () => {
    const hostile =
      '**bold** and `code` and [site](https://example.com) and [bad](javascript:alert(1))\n\n<img src=x onerror="window.pwned=1">\n\n```\n<b>not bold</b>\n```\n\n- one\n- two';
    const { page, s } = await open(new ScriptedModel().text(hostile).stall().text('after stop'));
    await page.fill('#prompt', 'line one');
    await page.press('#prompt', 'Shift+Enter');
    await page.type('#prompt', 'line two');
    await page.press('#prompt', 'Enter');
    await page.locator('.msg.user', { hasText: 'line one' }).waitFor();
    expect(await page.locator('.msg.user').first().textContent()).toBe('line one\nline two');
    const answer = page.locator('.msg.assistant').first();
    await answer.locator('li', { hasText: 'two' }).waitFor();
    expect(await answer.locator('strong').textContent()).toBe('bold');
    expect(await answer.locator('code').first().textContent()).toBe('code');
    expect(await answer.locator('a').count()).toBe(1);
    expect(await answer.locator('a').getAttribute('href')).toBe('https://example.com');
    expect(await answer.locator('img').count()).toBe(0);
    expect(await answer.locator('pre code').textContent()).toBe('<b>not bold</b>');
    expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
    expect(s.model.requests[0]!.messages.at(-1)!.content).toEqual([{ type: 'text', text: 'line one\nline two' }]);

    await page.fill('#prompt', 'this will hang');
    await page.press('#prompt', 'Enter');
    await page.locator('#stop').waitFor({ state: 'visible' });
    await page.click('#stop');
    await page.locator('.msg.error', { hasText: 'Stopped.' }).waitFor();
    await expect.poll(() => s.server.activeRuns).toBe(0);
    await send(page, 'again');
    await page.locator('.msg.assistant', { hasText: 'after stop' }).waitFor();
    await page.close();
  });

  it("answers an MCP server's question (elicitation form) from the page, also after a reload", { timeout: 60_000 }, async () => {
    const questions = elicitationBroker({ onNotice: () => {} });
    const toolset = new McpToolset([{ name: 'ev', transport: { type: 'stdio', command: EVERYTHING, args: ['stdio'] } }], {
      onElicitation: questions.handler,
    });
    try {
      const tools = await toolset.tools();
      const s = await startTestServer({
        model: new ScriptedModel().toolUse('ev_trigger-elicitation-request', {}).text('Registered.'),
        agentOptions: { tools },
        server: { questions },
      });
      servers.push(s);
      const page = await browser.newPage();
      await page.goto(`${s.url}/#token=${TOKEN}&thread=${randomUUID()}`);
      await send(page, 'Register me');
      await page.locator('.msg.approval', { hasText: 'Please provide inputs' }).waitFor();
      // The question waits in the server process; a reloaded page finds it again.
      await page.reload();
      const card = page.locator('.msg.approval', { hasText: 'MCP server ev' });
      await card.waitFor();
      await card.locator('textarea.edit-args').fill('{"name": "Ada Lovelace", "check": true}');
      await card.locator('button[data-action="accept"]').click();
      await page.locator('.msg.tool', { hasText: 'Ada Lovelace' }).waitFor();
      await page.locator('.msg.assistant', { hasText: 'Registered.' }).waitFor();
      await page.close();
    } finally {
      await toolset.close();
    }
  });

  it('shows the server refusing a wrong token', async () => {
    const { s } = await open(new ScriptedModel().text('unused'));
    const page = await browser.newPage();
    await page.goto(`${s.url}/#token=wrong&thread=${randomUUID()}`);
    await send(page, 'Hi');
    await expect.poll(() => page.locator('.msg.error').textContent()).toMatch(/401/);
    await page.close();
  });
});
