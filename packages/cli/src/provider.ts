/**
 * Which provider and model to use: from flags, the config file, or the environment; and a
 * `Model` that imports its provider package only when the first request is made (so the prompt
 * appears before the provider SDK has loaded).
 * @module
 */
import { DEFAULT_MODEL, findModel, type Model, type ModelInfo, type ModelRequest, type ModelStreamEvent } from '@mixtape/core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CliUsageError } from './errors.js';

/** Providers the CLI can talk to. */
export const PROVIDERS = ['anthropic', 'bedrock', 'openai'] as const;
/** A provider name. */
export type ProviderName = (typeof PROVIDERS)[number];

/** What the user asked for (flags and config file; flags win). */
export interface ProviderRequest {
  provider?: string;
  model?: string;
  baseURL?: string;
}

/** The provider and model decided on. */
export interface ProviderChoice {
  provider: ProviderName;
  /** Model id (or catalogue name) as given, or the default model's id for the provider. */
  model: string;
  /** The catalogue entry, when the model is in the catalogue. */
  info?: ModelInfo;
  baseURL?: string;
  apiKey?: string;
  /** Why this provider was picked, for `--verbose` and errors: 'flag', 'config' or the variable. */
  source: string;
}

/** The message shown when no provider is configured: exactly what to set. */
export const NO_PROVIDER_MESSAGE = `mixtape: no model provider is configured.

Set one of these, then run mixtape again:
  Anthropic API        export ANTHROPIC_API_KEY=sk-ant-...
  Amazon Bedrock       export AWS_PROFILE=<profile>   (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
                       and AWS_REGION=us-east-1 (a region where the model is enabled)
  OpenAI-compatible    export OPENAI_API_KEY=sk-...   (OpenAI), or
                       export OPENAI_BASE_URL=http://127.0.0.1:11434/v1 and pass --model <id> (Ollama, vLLM, llama.cpp)

Or choose with flags: mixtape --provider anthropic|bedrock|openai --model <id>.
To try mixtape with no account and no network: mixtape --replay tour`;

/** Thrown when no provider can be chosen (exit code 2). */
export class NoProviderError extends CliUsageError {
  override readonly name = 'NoProviderError';
  constructor() {
    super(NO_PROVIDER_MESSAGE);
  }
}

function isProvider(name: string): name is ProviderName {
  return (PROVIDERS as readonly string[]).includes(name);
}

function set(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  return v !== undefined && v.trim() !== '';
}

/** The provider the environment points at, and the variable that says so. */
export function providerFromEnv(env: NodeJS.ProcessEnv): { provider: ProviderName; source: string } | undefined {
  if (set(env, 'MIXTAPE_PROVIDER')) {
    const p = env.MIXTAPE_PROVIDER!.trim().toLowerCase();
    if (!isProvider(p)) throw new CliUsageError(`MIXTAPE_PROVIDER is '${env.MIXTAPE_PROVIDER}'; use one of: ${PROVIDERS.join(', ')}.`);
    return { provider: p, source: 'MIXTAPE_PROVIDER' };
  }
  if (set(env, 'ANTHROPIC_API_KEY')) return { provider: 'anthropic', source: 'ANTHROPIC_API_KEY' };
  if (set(env, 'ANTHROPIC_AUTH_TOKEN')) return { provider: 'anthropic', source: 'ANTHROPIC_AUTH_TOKEN' };
  if (set(env, 'AWS_ACCESS_KEY_ID')) return { provider: 'bedrock', source: 'AWS_ACCESS_KEY_ID' };
  if (set(env, 'AWS_PROFILE')) return { provider: 'bedrock', source: 'AWS_PROFILE' };
  if (set(env, 'OPENAI_BASE_URL')) return { provider: 'openai', source: 'OPENAI_BASE_URL' };
  if (set(env, 'OPENAI_API_KEY')) return { provider: 'openai', source: 'OPENAI_API_KEY' };
  return undefined;
}

/**
 * Decides the provider and model. Order: flags, then the config file, then the environment
 * (MIXTAPE_PROVIDER, ANTHROPIC_API_KEY, AWS_ACCESS_KEY_ID / AWS_PROFILE, OPENAI_BASE_URL /
 * OPENAI_API_KEY). The model: flag, config, MIXTAPE_MODEL (OPENAI_MODEL for openai), else the
 * catalogue's DEFAULT_MODEL (an OpenAI-compatible server needs a model id).
 * @throws NoProviderError when nothing says which provider to use; CliUsageError for bad values.
 */
export function resolveProvider(
  flags: ProviderRequest,
  config: ProviderRequest = {},
  env: NodeJS.ProcessEnv = process.env,
): ProviderChoice {
  let provider: ProviderName;
  let source: string;
  const named = flags.provider ?? config.provider;
  if (named !== undefined) {
    const p = named.trim().toLowerCase();
    if (!isProvider(p)) throw new CliUsageError(`Unknown provider '${named}'; use one of: ${PROVIDERS.join(', ')}.`);
    provider = p;
    source = flags.provider !== undefined ? '--provider' : 'config';
  } else {
    const fromEnv = providerFromEnv(env);
    if (!fromEnv) throw new NoProviderError();
    ({ provider, source } = fromEnv);
  }

  let model = flags.model ?? config.model ?? (set(env, 'MIXTAPE_MODEL') ? env.MIXTAPE_MODEL!.trim() : undefined);
  if (model === undefined && provider === 'openai' && set(env, 'OPENAI_MODEL')) model = env.OPENAI_MODEL!.trim();
  if (model === undefined) {
    if (provider === 'openai') {
      if (set(env, 'OPENAI_BASE_URL') || flags.baseURL || config.baseURL) {
        throw new CliUsageError(
          'An OpenAI-compatible server needs a model id: pass --model <id> (e.g. --model llama3.2) or set OPENAI_MODEL.',
        );
      }
      throw new CliUsageError('The openai provider needs a model id: pass --model <id> (e.g. --model gpt-4.1) or set OPENAI_MODEL.');
    }
    model = (provider === 'anthropic' ? DEFAULT_MODEL.anthropicId : DEFAULT_MODEL.bedrockId) ?? DEFAULT_MODEL.name;
  }
  const info = findModel(model);
  const baseURL = flags.baseURL ?? config.baseURL;
  return { provider, model, ...(info && { info }), ...(baseURL && { baseURL }), source };
}

/** The AWS region Bedrock would use: AWS_REGION, AWS_DEFAULT_REGION, or the profile's `region` in the AWS config file. */
export function awsRegion(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) if (set(env, name)) return env[name]!.trim();
  const file = env.AWS_CONFIG_FILE ?? (env.HOME ? path.join(env.HOME, '.aws', 'config') : undefined);
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const profile = env.AWS_PROFILE?.trim() || 'default';
  const header =
    profile === 'default'
      ? /^\[\s*(default|profile\s+default)\s*\]/
      : new RegExp(`^\\[\\s*profile\\s+${profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\]`);
  let inSection = false;
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t.startsWith('[')) inSection = header.test(t);
    else if (inSection) {
      const m = /^region\s*=\s*(\S+)/.exec(t);
      if (m) return m[1];
    }
  }
  return undefined;
}

/**
 * Checks that the chosen provider has what it needs before anything runs, so a missing key is a
 * configuration error (exit 2) with the variable to set, not a failed run.
 * @throws CliUsageError naming the variable (and flag) to set.
 */
export function checkCredentials(choice: ProviderChoice, env: NodeJS.ProcessEnv): void {
  const via =
    choice.source.startsWith('-') || choice.source === 'config'
      ? ` (chosen by ${choice.source === 'config' ? '"provider" in mixtape.config.json' : choice.source})`
      : '';
  switch (choice.provider) {
    case 'anthropic':
      if (!choice.apiKey && !set(env, 'ANTHROPIC_API_KEY') && !set(env, 'ANTHROPIC_AUTH_TOKEN')) {
        throw new CliUsageError(
          `mixtape: the Anthropic provider${via} needs an API key: export ANTHROPIC_API_KEY=sk-ant-... (or ANTHROPIC_AUTH_TOKEN), or pick another provider with --provider. To try mixtape without an account: mixtape --replay tour`,
        );
      }
      return;
    case 'openai':
      if (!choice.apiKey && !choice.baseURL && !set(env, 'OPENAI_BASE_URL') && !set(env, 'OPENAI_API_KEY')) {
        throw new CliUsageError(
          `mixtape: the OpenAI provider${via} needs OPENAI_API_KEY (export OPENAI_API_KEY=sk-...), or a local server: --base-url http://127.0.0.1:11434/v1 (or OPENAI_BASE_URL) with --model <id>.`,
        );
      }
      return;
    case 'bedrock':
      if (!awsRegion(env)) {
        throw new CliUsageError(
          `mixtape: Amazon Bedrock${via} needs a region: export AWS_REGION=us-east-1 (a region where the model is enabled), or set region in the profile of ~/.aws/config.`,
        );
      }
      return;
  }
}

/** Thrown when a provider package is missing or does not export what the CLI needs. */
export class ProviderLoadError extends Error {
  override readonly name = 'ProviderLoadError';
}

async function importProvider(name: ProviderName): Promise<Record<string, unknown>> {
  const pkg = `@mixtape/${name}`;
  try {
    return (await import(pkg)) as Record<string, unknown>;
  } catch (error) {
    throw new ProviderLoadError(
      `Could not load ${pkg}: ${(error as Error).message}. Install it next to @mixtape/cli (npm install ${pkg}).`,
      { cause: error },
    );
  }
}

/** Creates the provider's model now (imports its package). */
export async function createModel(choice: ProviderChoice): Promise<Model> {
  const mod = await importProvider(choice.provider);
  switch (choice.provider) {
    case 'anthropic': {
      const factory = mod.anthropic as (m: ModelInfo | string, o?: object) => Model;
      // The provider looks the id up in the catalogue itself.
      return factory(choice.model, { ...(choice.baseURL && { baseURL: choice.baseURL }), ...(choice.apiKey && { apiKey: choice.apiKey }) });
    }
    case 'bedrock': {
      const factory = mod.bedrock as (m: ModelInfo | string, o?: object) => Model;
      return factory(choice.model, { ...(choice.baseURL && { endpoint: choice.baseURL }) });
    }
    case 'openai': {
      const baseURL = choice.baseURL ?? process.env.OPENAI_BASE_URL;
      if (baseURL) {
        const factory = mod.openaiCompatible as (o: object) => Model;
        return factory({ baseURL, model: choice.model, ...(choice.apiKey && { apiKey: choice.apiKey }) });
      }
      const factory = mod.openai as (m: string, o?: object) => Model;
      return factory(choice.model, { ...(choice.apiKey && { apiKey: choice.apiKey }) });
    }
  }
}

/**
 * A Model that creates the real one on its first request. Its `info` (context window, prices)
 * comes from the catalogue, so context usage and cost are known before the provider loads.
 */
export function lazyModel(choice: ProviderChoice): Model & { load(): Promise<Model> } {
  let real: Promise<Model> | undefined;
  const load = () => {
    real ??= createModel(choice);
    real.catch(() => {
      real = undefined;
    });
    return real;
  };
  const modelId =
    choice.provider === 'anthropic'
      ? (choice.info?.anthropicId ?? choice.model)
      : choice.provider === 'bedrock'
        ? (choice.info?.bedrockId ?? choice.model)
        : choice.model;
  return {
    provider: choice.provider,
    modelId,
    ...(choice.info && { info: choice.info }),
    load,
    async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
      const model = await load();
      yield* model.stream(request);
    },
  };
}
