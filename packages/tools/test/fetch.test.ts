import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlockedAddressError, fetchTool, isBlockedAddress, type Resolver } from '../src/index.js';
import { call, callText } from './helpers.js';

let server: http.Server;
let base: string;
let requests: string[] = [];

const PAGE = `<!doctype html><html><head><title>Test &amp; Page</title><style>body{color:red}</style><script>alert(1)</script></head>
<body><h1>Heading</h1><p>Some <strong>bold</strong> text and a <a href="/x">link</a>.</p><ul><li>one</li><li>two</li></ul></body></html>`;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    switch (req.url) {
      case '/robots.txt':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private\n');
        return;
      case '/page':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
        return;
      case '/long':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('é'.repeat(50) + '🎉'.repeat(50));
        return;
      case '/gzip':
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(zlib.gzipSync('{"ok":true}'));
        return;
      case '/redirect':
        res.writeHead(302, { location: '/page' }).end();
        return;
      case '/redirect-metadata':
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      case '/image':
        res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50]));
        return;
      case '/hang':
        return; // never answers: the client's timeout must end the call
      case '/private':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('private');
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  requests = [];
});

describe('fetch with an explicit allowance for 127.0.0.1', () => {
  const allowed = () => fetchTool({ allowHosts: ['127.0.0.1'] });

  it('converts HTML to Markdown with the title, dropping scripts and styles', async () => {
    const text = await callText(allowed(), { url: `${base}/page` });
    expect(text).toContain(`URL: ${base}/page`);
    expect(text).toContain('Title: Test & Page');
    expect(text).toContain('# Heading');
    expect(text).toContain('Some **bold** text and a [link](/x).');
    expect(text).toMatch(/-\s+one/);
    expect(text).not.toContain('alert');
    expect(text).not.toContain('color:red');
    expect(requests).toEqual(['/robots.txt', '/page']);
  });

  it('returns raw HTML on request, pages long content by characters, decompresses gzip', async () => {
    expect(await callText(allowed(), { url: `${base}/page`, raw: true })).toContain('<h1>Heading</h1>');
    const first = await callText(allowed(), { url: `${base}/long`, max_length: 60 });
    expect(first).toContain('Content Length: 100 characters');
    expect(first).toContain('Showing: characters 0-60; call fetch again with start_index=60');
    expect(first.endsWith('é'.repeat(50) + '🎉'.repeat(10))).toBe(true);
    const second = await callText(allowed(), { url: `${base}/long`, max_length: 60, start_index: 60 });
    expect(second.endsWith('🎉'.repeat(40))).toBe(true);
    expect(await callText(allowed(), { url: `${base}/gzip` })).toContain('{"ok":true}');
  });

  it('respects robots.txt, reports HTTP errors and non-text content, follows redirects', async () => {
    await expect(call(allowed(), { url: `${base}/private` })).rejects.toThrow(/disallowed by robots.txt/);
    expect(requests).not.toContain('/private');
    expect(await callText(fetchTool({ allowHosts: ['127.0.0.1'], respectRobots: false }), { url: `${base}/private` })).toContain('private');
    await expect(call(allowed(), { url: `${base}/missing` })).rejects.toThrow(/HTTP error: 404/);
    await expect(call(allowed(), { url: `${base}/image` })).rejects.toThrow(/image\/png.*not text/);
    expect(await callText(allowed(), { url: `${base}/redirect` })).toContain(`URL: ${base}/page`);
  });

  it('checks every redirect hop: a redirect to a metadata address is refused before connecting', async () => {
    await expect(call(allowed(), { url: `${base}/redirect-metadata` })).rejects.toBeInstanceOf(BlockedAddressError);
  });

  it('gives up after timeout_ms when the server does not answer', async () => {
    await expect(
      call(fetchTool({ allowHosts: ['127.0.0.1'], respectRobots: false }), { url: `${base}/hang`, timeout_ms: 200 }),
    ).rejects.toThrow(/aborted or timed out/);
  });

  it('allowPrivateNetwork allows every address', async () => {
    expect(await callText(fetchTool({ allowPrivateNetwork: true }), { url: `${base}/page` })).toContain('# Heading');
  });
});

describe('SSRF protection (refused before any connection)', () => {
  const refused = [
    'http://127.0.0.1/',
    'http://127.8.9.10:1/',
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://0.0.0.0/',
    'http://2130706433/',
    'http://0x7f.1/',
  ];
  for (const url of refused) {
    it(`refuses ${url}`, async () => {
      await expect(call(fetchTool(), { url })).rejects.toBeInstanceOf(BlockedAddressError);
    });
  }

  it('refuses our own server without the allowance, and it receives no request', async () => {
    await expect(call(fetchTool(), { url: `${base}/page` })).rejects.toThrow(
      /Refused to connect to 127.0.0.1.*allowPrivateNetwork or allowHosts/,
    );
    expect(requests).toEqual([]);
  });

  it('refuses host names that resolve to a private address (localhost)', async () => {
    await expect(call(fetchTool(), { url: 'http://localhost:1/' })).rejects.toBeInstanceOf(BlockedAddressError);
  });

  it('resolves once and connects to the checked address, so a second DNS answer cannot rebind it', async () => {
    const port = new URL(base).port;
    let calls = 0;
    // First answer: our 127.0.0.1 server (allowed for this host); any later answer would be a different address.
    const resolver: Resolver = async () => (calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.9.9', family: 4 }]);
    const text = await callText(fetchTool({ allowHosts: ['rebind.test'], resolver, respectRobots: false }), {
      url: `http://rebind.test:${port}/page`,
    });
    expect(text).toContain('# Heading');
    expect(calls).toBe(1);
  });

  it('refuses a host when any of its addresses is private', async () => {
    const resolver: Resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    await expect(call(fetchTool({ resolver }), { url: 'http://mixed.test/' })).rejects.toThrow(/mixed.test \(127.0.0.1\)/);
  });

  it('refuses other schemes and credentials in URLs', async () => {
    await expect(call(fetchTool(), { url: 'file:///etc/passwd' })).rejects.toThrow(/Unsupported URL scheme/);
    await expect(call(fetchTool(), { url: 'not a url' })).rejects.toThrow(/Invalid URL/);
  });

  it('classifies addresses', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '169.254.1.1', '::1', 'fc00::1', 'fe80::1', '::ffff:10.0.0.1', '100.64.0.1', '224.0.0.1'])
      expect(isBlockedAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(isBlockedAddress(a), a).toBe(false);
  });
});
