export * from './manager.js';
export * from './tools.js';
