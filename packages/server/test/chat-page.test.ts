import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { MemoryGrantStore } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, TOKEN } from './helpers.js';

/** Debian's Chromium (`apt-get install -y chromium`); `.ci/run` installs it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ci = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
const missing = !existsSync(CHROMIUM);
if (missing && !ci) console.warn(`SKIPPED chat page tests: Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium).`);

describe.skipIf(missing && !ci)('web chat page in headless Chromium', () => {
  let browser: Browser;
  let s: TestServer;
  beforeAll(async () => {
    if (missing) throw new Error(`CI=true: Chromium must be installed at ${CHROMIUM} (apt-get install -y chromium).`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    s = await startTestServer({
      model: new ScriptedModel().text('Hello! I can add numbers.').toolUse('add', { a: 2, b: 3 }).text('2 + 3 = 5'),
      agentOptions: { grantStore: new MemoryGrantStore(), interactive: true },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('streams answers, shows tool calls with approval buttons, and reloads the thread', async () => {
    const threadId = randomUUID();
    const page = await browser.newPage();
    await page.goto(`${s.url}/#token=${TOKEN}&thread=${threadId}`);
    await expect.poll(() => page.locator('#thread').textContent()).toBe(threadId);

    await page.fill('#prompt', 'Hi there');
    await page.click('#send');
    await page.locator('.msg.assistant', { hasText: 'Hello! I can add numbers.' }).waitFor();

    await page.fill('#prompt', 'What is 2 + 3?');
    await page.click('#send');
    const approval = page.locator('.msg.approval');
    await approval.waitFor();
    expect(await approval.textContent()).toContain('add {"a":2,"b":3}');
    await approval.locator('button[data-action="once"]').click();
    await page.locator('.msg.tool', { hasText: '→ 5' }).waitFor();
    await page.locator('.msg.assistant', { hasText: '2 + 3 = 5' }).waitFor();
    await expect.poll(() => page.locator('#send').isDisabled()).toBe(false);

    // A reload shows the stored thread, from the server.
    await page.reload();
    await page.locator('.msg.assistant', { hasText: '2 + 3 = 5' }).waitFor();
    const shown = await page.locator('.msg').allTextContents();
    expect(shown[0]).toBe('Hi there');
    expect(shown).toContain('What is 2 + 3?');
    expect(shown.some((t) => t.includes('add') && t.includes('"a":2'))).toBe(true);
    await page.close();
  });

  it('shows the server refusing a wrong token', async () => {
    const page = await browser.newPage();
    await page.goto(`${s.url}/#token=wrong&thread=${randomUUID()}`);
    await page.fill('#prompt', 'Hi');
    await page.click('#send');
    await expect.poll(() => page.locator('.msg.error').textContent()).toMatch(/401/);
    await page.close();
  });
});
