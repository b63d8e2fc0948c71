/**
 * Picks the model for the examples: a real provider when credentials are present, otherwise a
 * ScriptedModel (canned answers) — and says which, so output is never mistaken for a real model.
 *
 * - ANTHROPIC_API_KEY                      → Anthropic (DEFAULT_MODEL)
 * - AWS_ACCESS_KEY_ID or AWS_PROFILE       → Bedrock (DEFAULT_MODEL, region from AWS_REGION)
 * - OPENAI_BASE_URL or OPENAI_API_KEY      → OpenAI-compatible (OPENAI_MODEL, default gpt-4o-mini)
 */
import { DEFAULT_MODEL, type Model } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';

export async function pickModel(script: (m: ScriptedModel) => ScriptedModel): Promise<{ model: Model; label: string }> {
  const env = process.env;
  if (env.ANTHROPIC_API_KEY) {
    const { anthropic } = await import('@mixtape/anthropic');
    return { model: anthropic(DEFAULT_MODEL), label: `Anthropic ${DEFAULT_MODEL.name}` };
  }
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) {
    const { bedrock } = await import('@mixtape/bedrock');
    return { model: bedrock(DEFAULT_MODEL), label: `Bedrock ${DEFAULT_MODEL.name}` };
  }
  if (env.OPENAI_BASE_URL || env.OPENAI_API_KEY) {
    const { openaiCompatible } = await import('@mixtape/openai');
    const model = env.OPENAI_MODEL ?? 'gpt-4o-mini';
    return {
      model: openaiCompatible({
        baseURL: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
        model,
        ...(env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}),
      }),
      label: `OpenAI-compatible ${model}`,
    };
  }
  return {
    model: script(new ScriptedModel()),
    label:
      'ScriptedModel (canned answers, no real model). To use a real one set ANTHROPIC_API_KEY, ' +
      'or AWS credentials (AWS_ACCESS_KEY_ID/AWS_PROFILE + AWS_REGION), or OPENAI_BASE_URL/OPENAI_API_KEY',
  };
}
