/**
 * The whole catalogue, lookups by id or name, and the default model.
 * @module
 */
import * as claudeModels from './anthropic-models.js';
import * as bedrockModels from './bedrock-models.js';
import type { InferenceProfile, ModelInfo } from './catalogue.js';

/** Every model of the catalogue: the Claude models, then the other Bedrock models. */
export const ALL_MODELS: readonly ModelInfo[] = [...claudeModels.CLAUDE_MODELS, ...bedrockModels.BEDROCK_MODELS];

/**
 * The model examples, the CLI and the README use when none is given: a current Claude model that
 * is neither past nor near its end of life, with known prices, on both the Anthropic API and Bedrock.
 */
export const DEFAULT_MODEL: ModelInfo = claudeModels.ClaudeSonnet4_6;

/** Bedrock inference-profile prefixes accepted in front of a Bedrock model id. */
export const INFERENCE_PROFILES: readonly InferenceProfile[] = ['us', 'eu', 'apac', 'global'];

/** The exported (Rust original's) name of each entry, e.g. `ClaudeSonnet4_5`. */
const exportNames = new Map<ModelInfo, string>();
for (const mod of [claudeModels, bedrockModels] as Record<string, unknown>[]) {
  for (const [key, value] of Object.entries(mod)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && 'contextWindow' in value) {
      exportNames.set(value as ModelInfo, key);
    }
  }
}

/** The name a catalogue entry is exported under (`ClaudeSonnet4_5`), or undefined for other objects. */
export function modelExportName(model: ModelInfo): string | undefined {
  return exportNames.get(model);
}

const index = new Map<string, ModelInfo>();
for (const model of ALL_MODELS) {
  const keys = [model.name, model.anthropicId, model.bedrockId, model.openaiId, exportNames.get(model), ...(model.aliases ?? [])];
  for (const key of keys) if (key) index.set(key.toLowerCase(), model);
}

/**
 * Strips what may surround a Bedrock model id: a foundation-model or inference-profile ARN
 * (`arn:aws:bedrock:…:foundation-model/<id>`) and an inference-profile prefix (`us.`, `global.`, …).
 */
export function baseBedrockId(id: string): string {
  let out = id.trim();
  if (out.startsWith('arn:')) out = out.slice(out.lastIndexOf('/') + 1);
  const dot = out.indexOf('.');
  if (dot > 0 && (INFERENCE_PROFILES as readonly string[]).includes(out.slice(0, dot))) out = out.slice(dot + 1);
  return out;
}

/**
 * Finds a catalogue entry by any of its ids (Anthropic id or alias, Bedrock id with or without an
 * inference-profile prefix or ARN, OpenAI id), its display name ("Claude Sonnet 4.5") or its exported
 * name ("ClaudeSonnet4_5"); case-insensitive. Undefined when nothing matches.
 */
export function findModel(idOrName: string): ModelInfo | undefined {
  const key = idOrName.trim().toLowerCase();
  if (!key) return undefined;
  return index.get(key) ?? index.get(baseBedrockId(key));
}
