/**
 * The SDK's `OAuthClientProvider` backed by an {@link OAuthTokenStore}: the MCP SDK does
 * discovery (protected resource + authorization server), dynamic client registration, PKCE,
 * the token exchange and refresh; this class keeps what it produces and hands the browser step
 * to a callback.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { OAuthRecord, OAuthTokenStore } from './token-store.js';

/**
 * The browser step: show `url` to a person (open a browser) and resolve with the authorization
 * code the authorization server sends to the redirect URL. `state` is the value the redirect
 * must carry back (check it).
 */
export type McpAuthorizeCallback = (url: URL, ctx: { server: string; state: string | undefined }) => Promise<string>;

/** OAuth 2.1 for a remote MCP server (see {@link McpClientOptions.oauth}). */
export interface McpOAuthOptions {
  /** Where registration and tokens are kept. */
  store: OAuthTokenStore;
  /** The redirect URL registered with the authorization server (a loopback URL for the CLI). */
  redirectUrl: string;
  /** The browser step (see {@link loopbackAuthorization} for the CLI's). */
  authorize: McpAuthorizeCallback;
  /** Name shown by the authorization server (default `Mixtape`). */
  clientName?: string;
  /** Scopes to ask for (space-separated). */
  scope?: string;
}

/** An `OAuthClientProvider` that keeps everything in a store under the server's URL. */
export class StoredOAuthProvider implements OAuthClientProvider {
  /** The authorization URL the SDK asked us to open, until the code comes back. */
  pendingAuthorization: URL | undefined;
  #state: string | undefined;
  readonly #key: string;

  constructor(
    serverUrl: string,
    readonly options: McpOAuthOptions,
  ) {
    this.#key = new URL(serverUrl).href;
  }

  get redirectUrl(): string {
    return this.options.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.options.clientName ?? 'Mixtape',
      redirect_uris: [this.options.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(this.options.scope !== undefined ? { scope: this.options.scope } : {}),
    };
  }

  /** The state value of the authorization in progress. */
  get currentState(): string | undefined {
    return this.#state;
  }

  state(): string {
    this.#state = randomBytes(16).toString('base64url');
    return this.#state;
  }

  async #load(): Promise<OAuthRecord> {
    return (await this.options.store.load(this.#key)) ?? {};
  }

  async #patch(patch: Partial<OAuthRecord>, remove: ReadonlyArray<keyof OAuthRecord> = []): Promise<void> {
    const record = { ...(await this.#load()), ...patch };
    for (const key of remove) delete record[key];
    await this.options.store.save(this.#key, record);
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const info = (await this.#load()).clientInformation;
    // A registration made for another redirect URL (another loopback port) cannot be used: register again.
    const uris = (info as { redirect_uris?: string[] } | undefined)?.redirect_uris;
    if (info && uris && !uris.includes(this.options.redirectUrl)) return undefined;
    return info;
  }

  saveClientInformation(clientInformation: OAuthClientInformationMixed): Promise<void> {
    return this.#patch({ clientInformation });
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    return (await this.#load()).tokens;
  }

  saveTokens(tokens: OAuthTokens): Promise<void> {
    return this.#patch({ tokens }, ['codeVerifier']);
  }

  redirectToAuthorization(authorizationUrl: URL): void {
    this.pendingAuthorization = authorizationUrl;
  }

  saveCodeVerifier(codeVerifier: string): Promise<void> {
    return this.#patch({ codeVerifier });
  }

  async codeVerifier(): Promise<string> {
    const verifier = (await this.#load()).codeVerifier;
    if (verifier === undefined) throw new Error('No PKCE code verifier saved for this authorization; start the sign-in again.');
    return verifier;
  }

  saveDiscoveryState(discoveryState: OAuthDiscoveryState): Promise<void> {
    return this.#patch({ discoveryState });
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return (await this.#load()).discoveryState;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'all') return this.options.store.delete(this.#key);
    const field = ({ client: 'clientInformation', tokens: 'tokens', verifier: 'codeVerifier', discovery: 'discoveryState' } as const)[
      scope
    ];
    await this.#patch({}, [field]);
  }
}
