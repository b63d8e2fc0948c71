export * from './agent.js';
export * from './errors.js';
export * from './options.js';
export { EventStream } from './event-stream.js';
export { mapBounded } from './tool-runner.js';
