import { describe, expect, it } from 'vitest';
import {
  ALL_MODELS,
  DEFAULT_MODEL,
  applyInferenceProfile,
  ClaudeHaiku4_5,
  ClaudeMythosPreview,
  ClaudeOpus4_5,
  ClaudeSonnet4_5,
  ClaudeSonnet4_6,
  costOf,
  daysUntilEndOfLife,
  DeepSeekR1,
  findModel,
  Gemma3_4B,
  isNearEndOfLife,
  isRetired,
  Llama3_2_1B,
  Llama3_3_70B,
  modelExportName,
  NovaMicro,
  NovaPro,
  Qwen3Coder480B,
} from '@mixtape/core';

const TODAY = new Date('2026-11-25T12:00:00Z');

/** The 52 models of the Rust original, by the names it exports. */
const RUST_NAMES = [
  'Claude3_7Sonnet',
  'ClaudeOpus4',
  'ClaudeOpus4_1',
  'ClaudeOpus4_5',
  'ClaudeOpus4_6',
  'ClaudeSonnet4',
  'ClaudeSonnet4_5',
  'ClaudeSonnet4_6',
  'ClaudeHaiku4_5',
  'NovaMicro',
  'NovaLite',
  'Nova2Lite',
  'NovaPro',
  'NovaPremier',
  'Nova2Sonic',
  'CohereCommandRPlus',
  'DeepSeekR1',
  'DeepSeekV3_1',
  'DeepSeekV3_2',
  'GLM4_7',
  'GLM4_7Flash',
  'Gemma3_27B',
  'Gemma3_12B',
  'Gemma3_4B',
  'KimiK2Thinking',
  'KimiK2_5',
  'Llama4Scout17B',
  'Llama4Maverick17B',
  'Llama3_3_70B',
  'Llama3_2_90B',
  'Llama3_2_11B',
  'Llama3_2_3B',
  'Llama3_2_1B',
  'Llama3_1_405B',
  'Llama3_1_70B',
  'Llama3_1_8B',
  'MiniMaxM2_1',
  'MistralLarge3',
  'MagistralSmall',
  'Ministral3B',
  'Ministral8B',
  'Ministral14B',
  'PixtralLarge',
  'VoxtralMini3B',
  'VoxtralSmall24B',
  'Qwen3_235B',
  'Qwen3Coder480B',
  'Qwen3_32B',
  'Qwen3Coder30B',
  'Qwen3Next80B',
  'Qwen3VL235B',
  'Qwen3CoderNext',
];

/** Models named in @anthropic-ai/sdk 1.14.0's `Model` type. */
const SDK_MODEL_IDS = [
  'claude-fable-5-2',
  'claude-mythos-5-2',
  'claude-haiku-5-5',
  'claude-sonnet-5-5',
  'claude-fable-5-1',
  'claude-opus-5-5',
  'claude-mythos-5-1',
  'claude-sonnet-5',
  'claude-fable-5',
  'claude-mythos-5',
  'claude-opus-5',
  'claude-opus-4-8',
  'claude-opus-4-7',
  'claude-mythos-preview',
  'claude-opus-4-6',
  'claude-sonnet-4-6',
  'claude-haiku-4-5',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-5',
  'claude-opus-4-5-20251101',
  'claude-sonnet-4-5',
  'claude-sonnet-4-5-20250929',
];

describe('models catalogue', () => {
  it('has every model of the Rust original under its Rust name', async () => {
    const core = (await import('@mixtape/core')) as Record<string, unknown>;
    expect(RUST_NAMES).toHaveLength(52);
    for (const name of RUST_NAMES) {
      const model = core[name];
      expect(model, name).toBeDefined();
      expect(ALL_MODELS).toContain(model);
      expect(modelExportName(model as never)).toBe(name);
    }
  });

  it("knows every model of the Anthropic SDK's Model type", () => {
    for (const id of SDK_MODEL_IDS) expect(findModel(id)?.anthropicId, id).toMatch(/^claude-/);
  });

  it('has unique ids, aliases and names across all entries', () => {
    const seen = new Map<string, string>();
    for (const m of ALL_MODELS) {
      for (const key of [m.name, m.anthropicId, m.bedrockId, m.openaiId, ...(m.aliases ?? [])]) {
        if (!key) continue;
        const k = key.toLowerCase();
        expect(seen.get(k), `${key} is used by ${seen.get(k)} and ${m.name}`).toBeUndefined();
        seen.set(k, m.name);
      }
    }
    expect(ALL_MODELS.length).toBeGreaterThanOrEqual(52 + 14);
  });

  it('gives every entry sane limits and at least one provider id', () => {
    for (const m of ALL_MODELS) {
      expect(m.anthropicId ?? m.bedrockId ?? m.openaiId, m.name).toBeTruthy();
      expect(m.contextWindow).toBeGreaterThanOrEqual(100_000);
      expect(m.maxOutputTokens).toBeGreaterThan(0);
      expect(m.maxOutputTokens).toBeLessThanOrEqual(m.contextWindow);
      if (m.pricing) {
        expect(m.pricing.inputPerMTok).toBeGreaterThan(0);
        expect(m.pricing.outputPerMTok).toBeGreaterThanOrEqual(m.pricing.inputPerMTok);
      }
      if (m.endOfLife) expect(m.endOfLife).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('finds models by provider id, profile-prefixed id, ARN, alias, display name and export name', () => {
    expect(findModel('claude-sonnet-4-5-20250929')).toBe(ClaudeSonnet4_5);
    expect(findModel('claude-sonnet-4-5')).toBe(ClaudeSonnet4_5);
    expect(findModel('anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(ClaudeSonnet4_5);
    expect(findModel('global.anthropic.claude-haiku-4-5-20251001-v1:0')).toBe(ClaudeHaiku4_5);
    expect(findModel('us.amazon.nova-pro-v1:0')).toBe(NovaPro);
    expect(findModel('eu.amazon.nova-micro-v1:0')).toBe(NovaMicro);
    expect(findModel('arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-3-70b-instruct-v1:0')).toBe(Llama3_3_70B);
    expect(findModel('arn:aws:bedrock:us-east-1:123456789012:inference-profile/apac.amazon.nova-pro-v1:0')).toBe(NovaPro);
    expect(findModel('Claude Opus 4.5')).toBe(ClaudeOpus4_5);
    expect(findModel('qwen3 coder 480b')).toBe(Qwen3Coder480B);
    expect(findModel('ClaudeSonnet4_6')).toBe(ClaudeSonnet4_6);
    expect(findModel('  deepseek.r1-v1:0 ')).toBe(DeepSeekR1);
  });

  it('returns undefined for unknown ids instead of guessing', () => {
    expect(findModel('gpt-4o')).toBeUndefined();
    expect(findModel('')).toBeUndefined();
    expect(findModel('us.')).toBeUndefined();
    expect(findModel('claude-sonnet')).toBeUndefined();
  });

  it("carries the SDK's end-of-life dates and tells retired and near-retirement models apart", () => {
    expect(ClaudeSonnet4_5.endOfLife).toBe('2026-11-30');
    expect(ClaudeOpus4_5.endOfLife).toBe('2027-01-22');
    expect(ClaudeMythosPreview.endOfLife).toBe('2026-06-30');
    expect(daysUntilEndOfLife(ClaudeSonnet4_5, TODAY)).toBe(5);
    expect(daysUntilEndOfLife(ClaudeOpus4_5, TODAY)).toBe(58);
    expect(daysUntilEndOfLife(ClaudeSonnet4_6, TODAY)).toBeUndefined();
    expect(isRetired(ClaudeSonnet4_5, TODAY)).toBe(false);
    expect(isRetired(ClaudeSonnet4_5, new Date('2026-11-30T08:00:00Z'))).toBe(true);
    expect(isRetired(ClaudeMythosPreview, TODAY)).toBe(true);
    expect(isNearEndOfLife(ClaudeSonnet4_5, TODAY)).toBe(true);
    expect(isNearEndOfLife(ClaudeOpus4_5, TODAY, 30)).toBe(false);
    expect(isNearEndOfLife(ClaudeSonnet4_6, TODAY)).toBe(false);
  });

  it('defaults to a current Claude model with prices, far from any end of life', () => {
    expect(DEFAULT_MODEL).not.toBe(ClaudeSonnet4_5);
    expect(DEFAULT_MODEL.vendor).toBe('anthropic');
    expect(SDK_MODEL_IDS).toContain(DEFAULT_MODEL.anthropicId);
    expect(isNearEndOfLife(DEFAULT_MODEL, TODAY)).toBe(false);
    expect(DEFAULT_MODEL.pricing).toBeDefined();
    expect(DEFAULT_MODEL.bedrockId).toBeDefined();
  });

  it('marks the models without tool use that the Rust original marks', () => {
    const noTools = ALL_MODELS.filter((m) => m.supportsTools === false)
      .map((m) => modelExportName(m))
      .sort();
    expect(noTools).toEqual(['DeepSeekR1', 'Gemma3_12B', 'Gemma3_27B', 'Gemma3_4B', 'Llama3_2_1B', 'Llama3_2_3B']);
    expect(Gemma3_4B.supportsTools).toBe(false);
    expect(Llama3_2_1B.supportsTools).toBe(false);
  });

  it('computes cost from list prices, cache reads and writes included', () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 100_000, cacheReadTokens: 2_000_000, cacheWriteTokens: 400_000 };
    // Sonnet: $3 in, $15 out, reads 10% of input, writes 125% of input.
    expect(costOf(usage, ClaudeSonnet4_6.pricing)).toBeCloseTo(3 + 1.5 + 0.6 + 1.5, 10);
    expect(costOf({ inputTokens: 1000, outputTokens: 500 }, ClaudeHaiku4_5.pricing)).toBeCloseTo(0.001 + 0.0025, 12);
    // Nova: reads 25% of input, writes at the input price.
    expect(costOf(usage, NovaPro.pricing)).toBeCloseTo(0.8 + 0.32 + 0.4 + 0.32, 10);
    expect(costOf(usage, findModel('zai.glm-4.7')?.pricing)).toBeUndefined();
  });

  it('applies inference profiles to Bedrock ids', () => {
    expect(applyInferenceProfile(ClaudeSonnet4_6.bedrockId!, ClaudeSonnet4_6.bedrockProfile)).toBe('global.anthropic.claude-sonnet-4-6');
    expect(applyInferenceProfile(NovaPro.bedrockId!, NovaPro.bedrockProfile)).toBe('amazon.nova-pro-v1:0');
    expect(applyInferenceProfile(NovaPro.bedrockId!, 'eu')).toBe('eu.amazon.nova-pro-v1:0');
  });
});
