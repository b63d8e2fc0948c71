/**
 * The models catalogue: ids per provider, limits and prices.
 * Entries are exported under the Rust original's names (`ClaudeSonnet4_5`, `NovaPro`, ...).
 * @module
 */

/** Bedrock cross-region inference profile prefix. */
export type InferenceProfile = 'us' | 'eu' | 'apac' | 'global';

/** Price in US dollars per million tokens. */
export interface ModelPricing {
  inputPerMTok: number;
  outputPerMTok: number;
  /** Price of cache reads; defaults to 10% of input for Anthropic models. */
  cacheReadPerMTok?: number;
  /** Price of cache writes (5-minute TTL); defaults to 125% of input for Anthropic models. */
  cacheWritePerMTok?: number;
}

/** Who makes a model (decides provider-specific request fields such as prompt caching). */
export type ModelVendor =
  'anthropic' | 'amazon' | 'cohere' | 'deepseek' | 'zai' | 'google' | 'moonshot' | 'meta' | 'minimax' | 'mistral' | 'qwen';

/** One catalogue entry. */
export interface ModelInfo {
  /** Display name, e.g. "Claude Sonnet 4.5". */
  name: string;
  /** Who makes the model. */
  vendor?: ModelVendor;
  /** Model id on the Anthropic API. */
  anthropicId?: string;
  /** Other ids that name the same model (e.g. the undated Anthropic alias `claude-sonnet-4-5`). */
  aliases?: readonly string[];
  /** Base model id on Bedrock (without inference-profile prefix). */
  bedrockId?: string;
  /** Default Bedrock inference profile, when the model needs one. */
  bedrockProfile?: InferenceProfile;
  /** Model id on OpenAI-compatible servers. */
  openaiId?: string;
  /** Context window in tokens. */
  contextWindow: number;
  /** Maximum output tokens of one call. */
  maxOutputTokens: number;
  /**
   * True when `contextWindow`/`maxOutputTokens` are not published values but carried over from
   * the model's predecessor (models newer than the published limits this catalogue knows).
   */
  limitsEstimated?: boolean;
  /** List prices; undefined where no public price is known (cost is then not computed). */
  pricing?: ModelPricing;
  /** Retirement date (ISO yyyy-mm-dd) where the provider has announced one. */
  endOfLife?: string;
  /** Whether the model supports tool use (default true). */
  supportsTools?: boolean;
}

/** Days before its end of life from which a model counts as near it. */
export const DEFAULT_END_OF_LIFE_WARNING_DAYS = 90;

const DAY_MS = 86_400_000;

/**
 * Whole days from `now` until the model's end of life (negative once past it; 0 on the day);
 * undefined when no date is known.
 */
export function daysUntilEndOfLife(model: ModelInfo, now: Date = new Date()): number | undefined {
  if (!model.endOfLife) return undefined;
  const eol = Date.parse(`${model.endOfLife}T00:00:00Z`);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((eol - today) / DAY_MS);
}

/** True when the model's end-of-life date has been reached. */
export function isRetired(model: ModelInfo, now: Date = new Date()): boolean {
  const days = daysUntilEndOfLife(model, now);
  return days !== undefined && days <= 0;
}

/** True when the model is retired or retires within `withinDays` days. */
export function isNearEndOfLife(model: ModelInfo, now: Date = new Date(), withinDays: number = DEFAULT_END_OF_LIFE_WARNING_DAYS): boolean {
  const days = daysUntilEndOfLife(model, now);
  return days !== undefined && days <= withinDays;
}

/** Applies an inference profile prefix to a Bedrock model id. */
export function applyInferenceProfile(bedrockId: string, profile?: InferenceProfile): string {
  return profile ? `${profile}.${bedrockId}` : bedrockId;
}

/**
 * Cost in US dollars of the given usage at the given prices; undefined when prices are unknown.
 * `inputTokens` are the uncached input tokens (as every provider reports them); cache reads and
 * writes are priced separately.
 */
export function costOf(
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens?: number; cacheWriteTokens?: number },
  pricing: ModelPricing | undefined,
): number | undefined {
  if (!pricing) return undefined;
  const read = pricing.cacheReadPerMTok ?? pricing.inputPerMTok * 0.1;
  const write = pricing.cacheWritePerMTok ?? pricing.inputPerMTok * 1.25;
  return (
    (usage.inputTokens * pricing.inputPerMTok +
      usage.outputTokens * pricing.outputPerMTok +
      (usage.cacheReadTokens ?? 0) * read +
      (usage.cacheWriteTokens ?? 0) * write) /
    1_000_000
  );
}
