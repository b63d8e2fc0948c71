export * from './catalogue.js';
export * from './anthropic-models.js';
export * from './bedrock-models.js';
export * from './lookup.js';
