export * from './permissions.js';
export * from './analyse.js';
export * from './tools.js';
