/**
 * Models served by AWS Bedrock that are not Claude: Amazon Nova, Cohere, DeepSeek, Z.ai GLM,
 * Google Gemma, Moonshot Kimi, Meta Llama, MiniMax, Mistral and Qwen — the Rust original's set.
 *
 * Prices are Bedrock on-demand prices (US regions) per million tokens where they are publicly
 * listed and known to this catalogue; entries without `pricing` have no cost computed. Nova's
 * prompt cache reads cost 25% of input and writes cost the input price.
 * @module
 */
import type { ModelInfo, ModelPricing } from './catalogue.js';

const flat = (perMTok: number): ModelPricing => ({ inputPerMTok: perMTok, outputPerMTok: perMTok });
const nova = (input: number, output: number): ModelPricing => ({
  inputPerMTok: input,
  outputPerMTok: output,
  cacheReadPerMTok: input * 0.25,
  cacheWritePerMTok: input,
});

// --- Amazon Nova ------------------------------------------------------------------------------

export const NovaMicro: ModelInfo = {
  name: 'Nova Micro',
  vendor: 'amazon',
  bedrockId: 'amazon.nova-micro-v1:0',
  contextWindow: 128_000,
  maxOutputTokens: 5_000,
  pricing: nova(0.035, 0.14),
};

export const NovaLite: ModelInfo = {
  name: 'Nova Lite',
  vendor: 'amazon',
  bedrockId: 'amazon.nova-lite-v1:0',
  contextWindow: 300_000,
  maxOutputTokens: 5_000,
  pricing: nova(0.06, 0.24),
};

export const Nova2Lite: ModelInfo = {
  name: 'Nova 2 Lite',
  vendor: 'amazon',
  bedrockId: 'amazon.nova-2-lite-v1:0',
  bedrockProfile: 'global',
  contextWindow: 1_000_000,
  maxOutputTokens: 65_535,
};

export const NovaPro: ModelInfo = {
  name: 'Nova Pro',
  vendor: 'amazon',
  bedrockId: 'amazon.nova-pro-v1:0',
  contextWindow: 300_000,
  maxOutputTokens: 5_000,
  pricing: nova(0.8, 3.2),
};

export const NovaPremier: ModelInfo = {
  name: 'Nova Premier',
  vendor: 'amazon',
  bedrockId: 'amazon.nova-premier-v1:0',
  contextWindow: 1_000_000,
  maxOutputTokens: 5_000,
  pricing: nova(2.5, 12.5),
};

export const Nova2Sonic: ModelInfo = {
  name: 'Nova 2 Sonic',
  vendor: 'amazon',
  bedrockId: 'amazon.nova-2-sonic-v1:0',
  bedrockProfile: 'global',
  contextWindow: 1_000_000,
  maxOutputTokens: 65_535,
};

// --- Cohere -----------------------------------------------------------------------------------

export const CohereCommandRPlus: ModelInfo = {
  name: 'Command R+',
  vendor: 'cohere',
  bedrockId: 'cohere.command-r-plus-v1:0',
  contextWindow: 128_000,
  maxOutputTokens: 4_096,
  pricing: { inputPerMTok: 3, outputPerMTok: 15 },
};

// --- DeepSeek ---------------------------------------------------------------------------------

export const DeepSeekR1: ModelInfo = {
  name: 'DeepSeek R1',
  vendor: 'deepseek',
  bedrockId: 'deepseek.r1-v1:0',
  contextWindow: 128_000,
  maxOutputTokens: 8_192,
  pricing: { inputPerMTok: 1.35, outputPerMTok: 5.4 },
  supportsTools: false,
};

export const DeepSeekV3_1: ModelInfo = {
  name: 'DeepSeek V3.1',
  vendor: 'deepseek',
  bedrockId: 'deepseek.v3-v1:0',
  contextWindow: 128_000,
  maxOutputTokens: 8_192,
};

export const DeepSeekV3_2: ModelInfo = {
  name: 'DeepSeek V3.2',
  vendor: 'deepseek',
  bedrockId: 'deepseek.v3.2',
  contextWindow: 128_000,
  maxOutputTokens: 8_192,
};

// --- Z.ai GLM ---------------------------------------------------------------------------------

export const GLM4_7: ModelInfo = {
  name: 'GLM 4.7',
  vendor: 'zai',
  bedrockId: 'zai.glm-4.7',
  contextWindow: 202_752,
  maxOutputTokens: 131_072,
};

export const GLM4_7Flash: ModelInfo = {
  name: 'GLM 4.7 Flash',
  vendor: 'zai',
  bedrockId: 'zai.glm-4.7-flash',
  contextWindow: 202_752,
  maxOutputTokens: 131_072,
};

// --- Google Gemma (no tool use) ---------------------------------------------------------------

const gemma = (size: string): ModelInfo => ({
  name: `Gemma 3 ${size.toUpperCase()}`,
  vendor: 'google',
  bedrockId: `google.gemma-3-${size}-it`,
  contextWindow: 128_000,
  maxOutputTokens: 8_192,
  supportsTools: false,
});
export const Gemma3_27B: ModelInfo = gemma('27b');
export const Gemma3_12B: ModelInfo = gemma('12b');
export const Gemma3_4B: ModelInfo = gemma('4b');

// --- Moonshot Kimi ----------------------------------------------------------------------------

export const KimiK2Thinking: ModelInfo = {
  name: 'Kimi K2 Thinking',
  vendor: 'moonshot',
  bedrockId: 'moonshot.kimi-k2-thinking',
  contextWindow: 128_000,
  maxOutputTokens: 8_192,
};

export const KimiK2_5: ModelInfo = {
  name: 'Kimi K2.5',
  vendor: 'moonshot',
  bedrockId: 'moonshotai.kimi-k2.5',
  contextWindow: 256_000,
  maxOutputTokens: 8_192,
};

// --- Meta Llama -------------------------------------------------------------------------------

export const Llama4Scout17B: ModelInfo = {
  name: 'Llama 4 Scout 17B',
  vendor: 'meta',
  bedrockId: 'meta.llama4-scout-17b-instruct-v1:0',
  contextWindow: 10_000_000,
  maxOutputTokens: 4_096,
  pricing: { inputPerMTok: 0.17, outputPerMTok: 0.66 },
};

export const Llama4Maverick17B: ModelInfo = {
  name: 'Llama 4 Maverick 17B',
  vendor: 'meta',
  bedrockId: 'meta.llama4-maverick-17b-instruct-v1:0',
  contextWindow: 1_000_000,
  maxOutputTokens: 4_096,
  pricing: { inputPerMTok: 0.24, outputPerMTok: 0.97 },
};

const llama = (version: '3.3' | '3.2' | '3.1', size: string, pricePerMTok: number, tools = true): ModelInfo => ({
  name: `Llama ${version} ${size.toUpperCase()}`,
  vendor: 'meta',
  bedrockId: `meta.llama${version.replace('.', '-')}-${size}-instruct-v1:0`,
  contextWindow: 128_000,
  maxOutputTokens: 4_096,
  pricing: flat(pricePerMTok),
  ...(tools ? {} : { supportsTools: false }),
});
export const Llama3_3_70B: ModelInfo = llama('3.3', '70b', 0.72);
export const Llama3_2_90B: ModelInfo = llama('3.2', '90b', 0.72);
export const Llama3_2_11B: ModelInfo = llama('3.2', '11b', 0.16);
export const Llama3_2_3B: ModelInfo = llama('3.2', '3b', 0.15, false);
export const Llama3_2_1B: ModelInfo = llama('3.2', '1b', 0.1, false);
export const Llama3_1_405B: ModelInfo = llama('3.1', '405b', 2.4);
export const Llama3_1_70B: ModelInfo = llama('3.1', '70b', 0.72);
export const Llama3_1_8B: ModelInfo = llama('3.1', '8b', 0.22);

// --- MiniMax ----------------------------------------------------------------------------------

export const MiniMaxM2_1: ModelInfo = {
  name: 'MiniMax M2.1',
  vendor: 'minimax',
  bedrockId: 'minimax.minimax-m2.1',
  contextWindow: 204_800,
  maxOutputTokens: 131_072,
};

// --- Mistral ----------------------------------------------------------------------------------

const mistral = (name: string, bedrockId: string, contextWindow = 128_000): ModelInfo => ({
  name,
  vendor: 'mistral',
  bedrockId,
  contextWindow,
  maxOutputTokens: 8_192,
});
export const MistralLarge3: ModelInfo = mistral('Mistral Large 3', 'mistral.mistral-large-3-675b-instruct', 256_000);
export const MagistralSmall: ModelInfo = mistral('Magistral Small', 'mistral.magistral-small-2509');
export const Ministral3B: ModelInfo = mistral('Ministral 3B', 'mistral.ministral-3-3b-instruct');
export const Ministral8B: ModelInfo = mistral('Ministral 8B', 'mistral.ministral-3-8b-instruct');
export const Ministral14B: ModelInfo = mistral('Ministral 14B', 'mistral.ministral-3-14b-instruct');
export const PixtralLarge: ModelInfo = {
  ...mistral('Pixtral Large', 'mistral.pixtral-large-2502-v1:0'),
  pricing: { inputPerMTok: 2, outputPerMTok: 6 },
};
export const VoxtralMini3B: ModelInfo = mistral('Voxtral Mini 3B', 'mistral.voxtral-mini-3b-2507');
export const VoxtralSmall24B: ModelInfo = mistral('Voxtral Small 24B', 'mistral.voxtral-small-24b-2507');

// --- Qwen -------------------------------------------------------------------------------------

const qwen = (name: string, bedrockId: string, pricing?: ModelPricing, contextWindow = 256_000, maxOutputTokens = 8_192): ModelInfo => ({
  name,
  vendor: 'qwen',
  bedrockId,
  contextWindow,
  maxOutputTokens,
  ...(pricing ? { pricing } : {}),
});
export const Qwen3_235B: ModelInfo = qwen('Qwen3 235B', 'qwen.qwen3-235b-a22b-2507-v1:0', { inputPerMTok: 0.22, outputPerMTok: 0.88 });
export const Qwen3Coder480B: ModelInfo = qwen('Qwen3 Coder 480B', 'qwen.qwen3-coder-480b-a35b-v1:0', {
  inputPerMTok: 0.22,
  outputPerMTok: 1.8,
});
export const Qwen3_32B: ModelInfo = qwen('Qwen3 32B', 'qwen.qwen3-32b-v1:0', { inputPerMTok: 0.15, outputPerMTok: 0.6 });
export const Qwen3Coder30B: ModelInfo = qwen('Qwen3 Coder 30B', 'qwen.qwen3-coder-30b-a3b-v1:0', {
  inputPerMTok: 0.15,
  outputPerMTok: 0.6,
});
export const Qwen3Next80B: ModelInfo = qwen('Qwen3 Next 80B', 'qwen.qwen3-next-80b-a3b');
export const Qwen3VL235B: ModelInfo = qwen('Qwen3 VL 235B', 'qwen.qwen3-vl-235b-a22b');
export const Qwen3CoderNext: ModelInfo = qwen('Qwen3 Coder Next', 'qwen.qwen3-coder-next', undefined, 262_144, 65_536);

/** Every non-Claude model of the catalogue, in the Rust original's order. */
export const BEDROCK_MODELS: readonly ModelInfo[] = [
  NovaMicro,
  NovaLite,
  Nova2Lite,
  NovaPro,
  NovaPremier,
  Nova2Sonic,
  CohereCommandRPlus,
  DeepSeekR1,
  DeepSeekV3_1,
  DeepSeekV3_2,
  GLM4_7,
  GLM4_7Flash,
  Gemma3_27B,
  Gemma3_12B,
  Gemma3_4B,
  KimiK2Thinking,
  KimiK2_5,
  Llama4Scout17B,
  Llama4Maverick17B,
  Llama3_3_70B,
  Llama3_2_90B,
  Llama3_2_11B,
  Llama3_2_3B,
  Llama3_2_1B,
  Llama3_1_405B,
  Llama3_1_70B,
  Llama3_1_8B,
  MiniMaxM2_1,
  MistralLarge3,
  MagistralSmall,
  Ministral3B,
  Ministral8B,
  Ministral14B,
  PixtralLarge,
  VoxtralMini3B,
  VoxtralSmall24B,
  Qwen3_235B,
  Qwen3Coder480B,
  Qwen3_32B,
  Qwen3Coder30B,
  Qwen3Next80B,
  Qwen3VL235B,
  Qwen3CoderNext,
];
