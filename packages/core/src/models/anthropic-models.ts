/**
 * Claude models (Anthropic API and Bedrock).
 *
 * Prices are Anthropic's list prices per million tokens (cache reads 10% and 5-minute cache
 * writes 125% of input, the defaults of `costOf`). End-of-life dates come from
 * `DEPRECATED_MODELS` of @anthropic-ai/sdk 1.14.0 (and Anthropic's deprecation notices for
 * older models). Models newer than the limits this catalogue knows carry their predecessor's
 * limits with `limitsEstimated: true`, no price and no Bedrock id (pass a Bedrock id string to
 * `bedrock()` for those).
 * @module
 */
import type { ModelInfo } from './catalogue.js';

const opusLegacyPricing = { inputPerMTok: 15, outputPerMTok: 75 };
const opusPricing = { inputPerMTok: 5, outputPerMTok: 25 };
const sonnetPricing = { inputPerMTok: 3, outputPerMTok: 15 };
const haikuPricing = { inputPerMTok: 1, outputPerMTok: 5 };

const claude = { vendor: 'anthropic', contextWindow: 200_000 } as const;

// --- The Rust original's Claude models -------------------------------------------------------

export const Claude3_7Sonnet: ModelInfo = {
  ...claude,
  name: 'Claude 3.7 Sonnet',
  anthropicId: 'claude-3-7-sonnet-20250219',
  aliases: ['claude-3-7-sonnet-latest'],
  bedrockId: 'anthropic.claude-3-7-sonnet-20250219-v1:0',
  maxOutputTokens: 64_000,
  pricing: sonnetPricing,
  // Anthropic retired Claude Sonnet 3.7 on its API on 2026-02-19.
  endOfLife: '2026-02-19',
};

export const ClaudeOpus4: ModelInfo = {
  ...claude,
  name: 'Claude Opus 4',
  anthropicId: 'claude-opus-4-20250514',
  aliases: ['claude-opus-4-0'],
  bedrockId: 'anthropic.claude-opus-4-20250514-v1:0',
  bedrockProfile: 'global',
  maxOutputTokens: 32_000,
  pricing: opusLegacyPricing,
};

export const ClaudeOpus4_1: ModelInfo = {
  ...claude,
  name: 'Claude Opus 4.1',
  anthropicId: 'claude-opus-4-1-20250805',
  aliases: ['claude-opus-4-1'],
  bedrockId: 'anthropic.claude-opus-4-1-20250805-v1:0',
  bedrockProfile: 'global',
  maxOutputTokens: 32_000,
  pricing: opusLegacyPricing,
};

export const ClaudeOpus4_5: ModelInfo = {
  ...claude,
  name: 'Claude Opus 4.5',
  anthropicId: 'claude-opus-4-5-20251101',
  aliases: ['claude-opus-4-5'],
  bedrockId: 'anthropic.claude-opus-4-5-20251101-v1:0',
  bedrockProfile: 'global',
  maxOutputTokens: 64_000,
  pricing: opusPricing,
  endOfLife: '2027-01-22',
};

export const ClaudeOpus4_6: ModelInfo = {
  ...claude,
  name: 'Claude Opus 4.6',
  anthropicId: 'claude-opus-4-6',
  bedrockId: 'anthropic.claude-opus-4-6-v1',
  bedrockProfile: 'global',
  maxOutputTokens: 128_000,
  pricing: opusPricing,
};

export const ClaudeSonnet4: ModelInfo = {
  ...claude,
  name: 'Claude Sonnet 4',
  anthropicId: 'claude-sonnet-4-20250514',
  aliases: ['claude-sonnet-4-0'],
  bedrockId: 'anthropic.claude-sonnet-4-20250514-v1:0',
  bedrockProfile: 'global',
  maxOutputTokens: 64_000,
  pricing: sonnetPricing,
};

export const ClaudeSonnet4_5: ModelInfo = {
  ...claude,
  name: 'Claude Sonnet 4.5',
  anthropicId: 'claude-sonnet-4-5-20250929',
  aliases: ['claude-sonnet-4-5'],
  bedrockId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
  bedrockProfile: 'global',
  maxOutputTokens: 64_000,
  pricing: sonnetPricing,
  endOfLife: '2026-11-30',
};

export const ClaudeSonnet4_6: ModelInfo = {
  ...claude,
  name: 'Claude Sonnet 4.6',
  anthropicId: 'claude-sonnet-4-6',
  bedrockId: 'anthropic.claude-sonnet-4-6',
  bedrockProfile: 'global',
  maxOutputTokens: 64_000,
  pricing: sonnetPricing,
};

export const ClaudeHaiku4_5: ModelInfo = {
  ...claude,
  name: 'Claude Haiku 4.5',
  anthropicId: 'claude-haiku-4-5-20251001',
  aliases: ['claude-haiku-4-5'],
  bedrockId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
  bedrockProfile: 'global',
  maxOutputTokens: 64_000,
  pricing: haikuPricing,
};

// --- Newer models named in @anthropic-ai/sdk 1.14.0's `Model` type ----------------------------
// Limits are the predecessor's (limitsEstimated); prices and Bedrock ids are not known here.

const opusLimits = { contextWindow: 200_000, maxOutputTokens: 128_000, limitsEstimated: true } as const;
const sonnetLimits = { contextWindow: 200_000, maxOutputTokens: 64_000, limitsEstimated: true } as const;

export const ClaudeOpus4_7: ModelInfo = { ...claude, ...opusLimits, name: 'Claude Opus 4.7', anthropicId: 'claude-opus-4-7' };
export const ClaudeOpus4_8: ModelInfo = { ...claude, ...opusLimits, name: 'Claude Opus 4.8', anthropicId: 'claude-opus-4-8' };
export const ClaudeOpus5: ModelInfo = { ...claude, ...opusLimits, name: 'Claude Opus 5', anthropicId: 'claude-opus-5' };
export const ClaudeOpus5_5: ModelInfo = { ...claude, ...opusLimits, name: 'Claude Opus 5.5', anthropicId: 'claude-opus-5-5' };
export const ClaudeSonnet5: ModelInfo = { ...claude, ...sonnetLimits, name: 'Claude Sonnet 5', anthropicId: 'claude-sonnet-5' };
export const ClaudeSonnet5_5: ModelInfo = { ...claude, ...sonnetLimits, name: 'Claude Sonnet 5.5', anthropicId: 'claude-sonnet-5-5' };
export const ClaudeHaiku5_5: ModelInfo = { ...claude, ...sonnetLimits, name: 'Claude Haiku 5.5', anthropicId: 'claude-haiku-5-5' };
export const ClaudeFable5: ModelInfo = { ...claude, ...sonnetLimits, name: 'Claude Fable 5', anthropicId: 'claude-fable-5' };
export const ClaudeFable5_1: ModelInfo = { ...claude, ...sonnetLimits, name: 'Claude Fable 5.1', anthropicId: 'claude-fable-5-1' };
export const ClaudeFable5_2: ModelInfo = { ...claude, ...sonnetLimits, name: 'Claude Fable 5.2', anthropicId: 'claude-fable-5-2' };
export const ClaudeMythos5: ModelInfo = { ...claude, ...opusLimits, name: 'Claude Mythos 5', anthropicId: 'claude-mythos-5' };
export const ClaudeMythos5_1: ModelInfo = { ...claude, ...opusLimits, name: 'Claude Mythos 5.1', anthropicId: 'claude-mythos-5-1' };
export const ClaudeMythos5_2: ModelInfo = { ...claude, ...opusLimits, name: 'Claude Mythos 5.2', anthropicId: 'claude-mythos-5-2' };
export const ClaudeMythosPreview: ModelInfo = {
  ...claude,
  ...opusLimits,
  name: 'Claude Mythos Preview',
  anthropicId: 'claude-mythos-preview',
  endOfLife: '2026-06-30',
};

/** Every Claude model of the catalogue, the Rust original's first. */
export const CLAUDE_MODELS: readonly ModelInfo[] = [
  Claude3_7Sonnet,
  ClaudeOpus4,
  ClaudeOpus4_1,
  ClaudeOpus4_5,
  ClaudeOpus4_6,
  ClaudeSonnet4,
  ClaudeSonnet4_5,
  ClaudeSonnet4_6,
  ClaudeHaiku4_5,
  ClaudeOpus4_7,
  ClaudeOpus4_8,
  ClaudeOpus5,
  ClaudeOpus5_5,
  ClaudeSonnet5,
  ClaudeSonnet5_5,
  ClaudeHaiku5_5,
  ClaudeFable5,
  ClaudeFable5_1,
  ClaudeFable5_2,
  ClaudeMythos5,
  ClaudeMythos5_1,
  ClaudeMythos5_2,
  ClaudeMythosPreview,
];
