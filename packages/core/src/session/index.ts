/**
 * Sessions: the seed's types and store interface, the in-memory store, conversion and repair.
 * @module
 */
export * from './types.js';
export * from './convert.js';
