/** Claude models (Anthropic API and Bedrock). @module */
import type { ModelInfo } from './catalogue.js';

const sonnetPricing = { inputPerMTok: 3, outputPerMTok: 15 };

export const ClaudeSonnet4_5: ModelInfo = {
  name: 'Claude Sonnet 4.5',
  anthropicId: 'claude-sonnet-4-5-20250929',
  bedrockId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
  bedrockProfile: 'global',
  contextWindow: 200_000,
  maxOutputTokens: 64_000,
  pricing: sonnetPricing,
  endOfLife: '2026-11-30',
};

export const ClaudeSonnet4_6: ModelInfo = {
  name: 'Claude Sonnet 4.6',
  anthropicId: 'claude-sonnet-4-6',
  bedrockId: 'anthropic.claude-sonnet-4-6',
  bedrockProfile: 'global',
  contextWindow: 200_000,
  maxOutputTokens: 64_000,
  pricing: sonnetPricing,
};

export const ClaudeHaiku4_5: ModelInfo = {
  name: 'Claude Haiku 4.5',
  anthropicId: 'claude-haiku-4-5-20251001',
  bedrockId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
  bedrockProfile: 'global',
  contextWindow: 200_000,
  maxOutputTokens: 64_000,
  pricing: { inputPerMTok: 1, outputPerMTok: 5 },
};
