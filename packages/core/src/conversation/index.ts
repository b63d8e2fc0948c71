export * from './managers.js';
