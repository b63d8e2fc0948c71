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

/** One catalogue entry. */
export interface ModelInfo {
  /** Display name, e.g. "Claude Sonnet 4.5". */
  name: string;
  /** Model id on the Anthropic API. */
  anthropicId?: string;
  /** Base model id on Bedrock (without inference-profile prefix). */
  bedrockId?: string;
  /** Default Bedrock inference profile, when the model needs one. */
  bedrockProfile?: InferenceProfile;
  /** Model id on OpenAI-compatible servers. */
  openaiId?: string;
  contextWindow: number;
  maxOutputTokens: number;
  pricing?: ModelPricing;
  /** Retirement date (ISO yyyy-mm-dd) where the provider has announced one. */
  endOfLife?: string;
  /** Whether the model supports tool use (default true). */
  supportsTools?: boolean;
}

/** Applies an inference profile prefix to a Bedrock model id. */
export function applyInferenceProfile(bedrockId: string, profile?: InferenceProfile): string {
  return profile ? `${profile}.${bedrockId}` : bedrockId;
}

/** Cost in US dollars of the given usage at the model's prices; undefined when prices are unknown. */
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
