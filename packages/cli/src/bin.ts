/**
 * Entry point of the `mixtape` executable.
 * @module
 */
import { main } from './cli.js';

process.exit(await main(process.argv.slice(2)));
