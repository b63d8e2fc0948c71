/**
 * Sessions: the seed's types and store interface, the in-memory store, conversion and repair.
 * @module
 */
export * from './types.js';
export * from './convert.js';
export * from './codec.js';
export * from './memory-store.js';
export * from './portable.js';
