/**
 * Filesystem tools, confined to a root folder.
 * @module
 */
import type { Tool } from '@mixtape/core';
import type { RootOptions } from '../confine.js';
import { fileInfoTool, listDirectoryTool } from './list-directory.js';
import { readFileTool, readMultipleFilesTool, type ReadFileOptions } from './read-file.js';
import { createDirectoryTool, moveFileTool, writeFileTool } from './write-file.js';

export * from './read-file.js';
export * from './write-file.js';
export * from './list-directory.js';
export { mediaTypeOf } from './media-type.js';

/** Options of the filesystem tool groups. */
export type FilesystemToolsOptions = RootOptions & ReadFileOptions;

/** read_file, read_multiple_files, list_directory, file_info. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a group holds tools of different input types
export function readOnlyFilesystemTools(options: FilesystemToolsOptions = {}): Tool<any>[] {
  return [readFileTool(options), readMultipleFilesTool(options), listDirectoryTool(options), fileInfoTool(options)];
}

/** write_file, create_directory, move_file. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a group holds tools of different input types
export function mutativeFilesystemTools(options: RootOptions = {}): Tool<any>[] {
  return [writeFileTool(options), createDirectoryTool(options), moveFileTool(options)];
}

/** All seven filesystem tools. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a group holds tools of different input types
export function filesystemTools(options: FilesystemToolsOptions = {}): Tool<any>[] {
  return [...readOnlyFilesystemTools(options), ...mutativeFilesystemTools(options)];
}
