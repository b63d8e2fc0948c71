/**
 * Errors as a mixtape user needs them: what went wrong, and what to change on the command line,
 * in the config file or in the environment (never library advice such as "pass apiKey to
 * anthropic()"), with the exit code that goes with them.
 * @module
 */
import { CliUsageError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';

/** What to do when the process sandbox cannot run. */
export const SANDBOX_ADVICE =
  'Install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; it needs unprivileged user namespaces), ' +
  'or run without --sandbox (and without "sandbox" in mixtape.config.json) where the commands are trusted.';

/** The error for --sandbox (or the config's "sandbox") where bubblewrap cannot run (exit 2). */
export function sandboxUnavailable(problem: string): CliUsageError {
  return new CliUsageError(`mixtape: --sandbox: the process sandbox cannot run here: ${problem}.\n${SANDBOX_ADVICE}`);
}

/** Errors of other packages that mean the configuration is wrong, and where to fix it. */
const CONFIG_ERRORS: Record<string, string> = {
  PermissionConfigError: 'Check "permissions" in mixtape.config.json (policy, trustedTools, rules) and the --allow flag.',
  McpConfigError: 'Check "mcpServers" in mixtape.config.json (each server: { "command", "args", "env" } or { "url" }).',
  ToolDefinitionError: 'Check "tools" in mixtape.config.json or the --tools flag.',
  CassetteError: "Pass --replay a cassette file (JSON) or the name of a shipped one: 'tour'.",
  SandboxUnavailableError: SANDBOX_ADVICE,
};

/** The exit code for an error that ended mixtape: 2 for usage and configuration, else 1. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CliUsageError) return EXIT_USAGE;
  const name = (error as Error | undefined)?.name ?? '';
  return name in CONFIG_ERRORS ? EXIT_USAGE : EXIT_FAILURE;
}

/** The text printed for an error that ended mixtape. */
export function messageFor(error: unknown): string {
  if (error instanceof CliUsageError) return error.message;
  const e = error as Error & { provider?: string; kind?: string };
  const message = e?.message ?? String(error);
  const configAdvice = CONFIG_ERRORS[e?.name ?? ''];
  if (configAdvice) return `mixtape: ${message}\n${configAdvice}`;
  if (e?.name === 'BudgetExceededError' || e?.kind === 'budget') return `mixtape: ${budgetMessage(message)}`;
  if (e?.name === 'ProviderError' && e.provider && e.kind) return `mixtape: ${providerMessage(message, e.provider, e.kind)}`;
  return `mixtape: ${message}\n(MIXTAPE_DEBUG=1 prints the stack trace.)`;
}

const BASE_URL_VARIABLE: Record<string, string> = {
  anthropic: 'ANTHROPIC_BASE_URL',
  openai: 'OPENAI_BASE_URL',
  bedrock: 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME',
};

/** What a mixtape user can do about a provider error of this kind. */
export function providerAdvice(provider: string, kind: string, message = ''): string {
  if (provider === 'bedrock' && /region/i.test(message) && kind !== 'authentication') {
    return 'Amazon Bedrock needs a region: export AWS_REGION=us-east-1 (a region where the model is enabled), or set region in the profile of ~/.aws/config.';
  }
  switch (kind) {
    case 'authentication':
      if (provider === 'anthropic') return 'Check ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN); --provider picks another provider.';
      if (provider === 'bedrock')
        return 'Check AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); the identity needs bedrock:InvokeModelWithResponseStream for the model in AWS_REGION.';
      return 'Check OPENAI_API_KEY; for a local server set OPENAI_BASE_URL (or --base-url) and --model.';
    case 'network':
      return `Check --base-url (or ${BASE_URL_VARIABLE[provider] ?? 'the provider endpoint'}), your network and proxy (HTTPS_PROXY).`;
    case 'rate_limited':
      return 'You hit the rate limit of your account: wait a minute and ask again.';
    case 'overloaded':
      return 'The provider is overloaded: try again in a minute, or pick another model with --model.';
    case 'server':
      return 'The provider had a server error: try again later.';
    case 'invalid_request':
      return 'The provider rejected the request: check --model (or "model" in mixtape.config.json, MIXTAPE_MODEL) and "maxTokens" in mixtape.config.json.';
    case 'stream':
      return 'The answer broke off: ask again (the conversation so far is saved).';
    case 'content_filtered':
      return 'The provider refused or filtered the content: rephrase the prompt.';
    default:
      return 'MIXTAPE_DEBUG=1 prints more detail.';
  }
}

/**
 * A provider error's message with mixtape's advice in place of the library's: providers write
 * "provider: what happened (HTTP n) — what to do"; the part after the dash is replaced.
 */
export function providerMessage(message: string, provider: string, kind: string): string {
  const library = message.search(
    / — (check|you hit|the provider|the request|could not reach|the response|the call|see the cause|set |pass )/i,
  );
  const what = library >= 0 ? message.slice(0, library) : message;
  return `${what}.\n${providerAdvice(provider, kind, message)}`;
}

/**
 * A budget stop's message with the flag and config key to raise in place of the library's option
 * name ("Raise budget.run.maxCostUsd" → "Raise --max-cost, or "budget": { "run": … } in mixtape.config.json").
 */
export function budgetMessage(message: string): string {
  return message.replace(/Raise budget\.(run|session)\.(maxCostUsd|maxTokens)/, (_m, scope: string, key: string) => {
    const config = `"budget": { "${scope}": { "${key}": … } } in mixtape.config.json`;
    return scope === 'run' && key === 'maxCostUsd' ? `Raise --max-cost, or ${config}` : `Raise ${config}`;
  });
}

/** The text of a failed run (a run_failed event): the error with mixtape's advice for provider errors and budget stops. */
export function failureText(provider: string, event: { error: string; kind?: string; provider?: { kind: string } }): string {
  if (event.kind === 'budget') return budgetMessage(event.error);
  if (!event.provider) return event.error;
  return providerMessage(event.error, provider, event.provider.kind).replace('.\n', '. ');
}

/** Rewrites library advice in a tool denial ("add it to trustedTools") as mixtape flags and config keys. */
export function denialAdvice(tool: string): string {
  return `Nobody can answer approval questions here. Allow it for one run with --allow ${tool}, or always with "permissions": { "trustedTools": ["${tool}"] } in mixtape.config.json; in the REPL you are asked.`;
}
