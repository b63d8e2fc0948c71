/**
 * OAuth 2.1 against a protected Streamable HTTP MCP server on 127.0.0.1 (SDK auth helpers): the
 * 401 challenge, protected-resource and authorization-server discovery, dynamic client
 * registration, PKCE, the code exchange through the CLI's loopback receiver, a refresh, and the
 * token stores (file, SQLite, PostgreSQL).
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileOAuthTokenStore,
  McpClient,
  McpConnectionError,
  MemoryOAuthTokenStore,
  PostgresOAuthTokenStore,
  SqliteOAuthTokenStore,
  loopbackAuthorization,
  type OAuthTokenStore,
} from '../src/index.js';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';
import { startOAuthTestServer, type OAuthTestServer } from './fixtures/oauth-server.js';
import { freePort } from '../../../test-support/ports.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mixtape-mcp-oauth-'));

/** The "browser": follows the authorization URL; the server redirects to the loopback receiver. */
const browser = { opened: [] as URL[], open: async (url: URL) => void (browser.opened.push(url), await fetch(url)) };

describe('OAuth for a remote MCP server (full flow)', () => {
  let server: OAuthTestServer;
  let port: number;
  beforeAll(async () => {
    server = await startOAuthTestServer();
    port = await freePort();
  });
  afterAll(() => server.close());

  it('discovers, registers, signs in with PKCE through the loopback receiver, calls tools, then refreshes an expired token', async () => {
    const store = new FileOAuthTokenStore(path.join(dir, 'config', 'mcp-oauth.json'));
    const client = new McpClient(
      { name: 'remote', transport: { type: 'http', url: server.mcpUrl } },
      { oauth: { store, ...loopbackAuthorization({ open: browser.open, port }) } },
    );
    try {
      const result = await client.callTool('echo', { message: 'signed in' });
      expect(result.content).toEqual([{ type: 'text', text: 'signed in' }]);
      expect(server.provider.log.slice(0, 3)).toEqual(['register', 'authorize', 'token:code']);
      const url = browser.opened[0]!;
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(url.searchParams.get('resource')).toBe(server.mcpUrl);
      expect(url.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${port}/callback`);
      const saved = await store.load(new URL(server.mcpUrl).href);
      expect(saved?.tokens?.refresh_token).toBeTruthy();
      expect(saved?.codeVerifier).toBeUndefined();
      expect(statSync(store.file).mode & 0o777).toBe(0o600);

      // The access token stops working: the SDK refreshes it (no browser) and the call goes on.
      const before = saved!.tokens!.access_token;
      server.provider.expireAccessTokens();
      const again = await client.callTool('echo', { message: 'refreshed' });
      expect(again.content).toEqual([{ type: 'text', text: 'refreshed' }]);
      expect(server.provider.log.slice(3)).toEqual(['401', 'token:refresh']);
      expect((await store.load(new URL(server.mcpUrl).href))?.tokens?.access_token).not.toBe(before);
      expect(browser.opened).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('a later process with the same store signs in without the browser', async () => {
    const store = new FileOAuthTokenStore(path.join(dir, 'config', 'mcp-oauth.json'));
    let asked = 0;
    const client = new McpClient(
      { name: 'remote', transport: { type: 'http', url: server.mcpUrl } },
      {
        oauth: { store, redirectUrl: `http://127.0.0.1:${port}/callback`, authorize: () => Promise.reject(new Error(`asked ${++asked}`)) },
      },
    );
    try {
      expect((await client.callTool('add', { a: 2, b: 3 })).content).toEqual([{ type: 'text', text: '5' }]);
      expect(asked).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('a refused browser step is an McpConnectionError naming the server; without oauth the 401 says so', async () => {
    const store = new MemoryOAuthTokenStore();
    const refused = new McpClient(
      { name: 'remote', transport: { type: 'http', url: server.mcpUrl } },
      {
        oauth: {
          store,
          redirectUrl: 'http://127.0.0.1:1/callback',
          authorize: () => Promise.reject(new Error('the person closed the window')),
        },
      },
    );
    const error = await refused.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpConnectionError);
    expect((error as Error).message).toMatch(/remote.*the person closed the window/);
    const bare = new McpClient({ name: 'bare', transport: { type: 'http', url: server.mcpUrl } });
    await expect(bare.connect()).rejects.toThrow(/bare/);
  });

  it('the SQLite store keeps the credentials of a signed-in server across store instances', async () => {
    const file = path.join(dir, 'tokens.db');
    const store = new SqliteOAuthTokenStore(new Database(file));
    const client = new McpClient(
      { name: 'remote', transport: { type: 'http', url: server.mcpUrl } },
      { oauth: { store, ...loopbackAuthorization({ open: browser.open, port }) } },
    );
    try {
      await client.connect();
    } finally {
      await client.close();
    }
    const reopened = new SqliteOAuthTokenStore(new Database(file));
    expect((await reopened.load(new URL(server.mcpUrl).href))?.tokens?.access_token).toBeTruthy();
    await reopened.delete(new URL(server.mcpUrl).href);
    expect(await store.load(new URL(server.mcpUrl).href)).toBeUndefined();
  });
});

async function roundTrip(store: OAuthTokenStore): Promise<void> {
  const key = 'https://mcp.example.org/mcp';
  expect(await store.load(key)).toBeUndefined();
  await store.save(key, { tokens: { access_token: 'a', token_type: 'bearer', refresh_token: 'r' }, codeVerifier: 'v' });
  await store.save(key, { tokens: { access_token: 'b', token_type: 'bearer' } });
  const got = await store.load(key);
  expect(got?.tokens).toEqual({ access_token: 'b', token_type: 'bearer' });
  expect(got?.codeVerifier).toBeUndefined();
  expect(got?.updatedAt).toMatch(/^\d{4}-/);
  await store.delete(key);
  expect(await store.load(key)).toBeUndefined();
}

describe('token stores', () => {
  it('memory, file and SQLite stores round-trip and replace records', async () => {
    await roundTrip(new MemoryOAuthTokenStore());
    await roundTrip(new FileOAuthTokenStore(path.join(dir, 'rt', 'tokens.json')));
    await roundTrip(new SqliteOAuthTokenStore(new Database(':memory:')));
  });
});

describePostgres('PostgresOAuthTokenStore on a real PostgreSQL', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await createTestDatabase('mcp_oauth'), max: 2 });
  });
  afterAll(() => pool?.end());
  it('round-trips, and two store instances (two processes) see the same record', async () => {
    await roundTrip(new PostgresOAuthTokenStore(pool));
    const a = new PostgresOAuthTokenStore(pool);
    const b = new PostgresOAuthTokenStore(pool);
    await a.save('k', { tokens: { access_token: 'shared', token_type: 'bearer' } });
    expect((await b.load('k'))?.tokens?.access_token).toBe('shared');
  });
});
