export * from './address-policy.js';
export * from './safe-http.js';
export * from './fetch-tool.js';
