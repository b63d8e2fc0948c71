export * from './catalogue.js';
export * from './anthropic-models.js';
