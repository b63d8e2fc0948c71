/**
 * Media type of a file: magic bytes first (file-type), then the extension (mime-types).
 * @module
 */
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type mimeTypes from 'mime-types';

const TEXTUAL = /^text\/|[/+](json|xml|javascript|ecmascript|yaml|x-sh|x-python|x-httpd-php|sql|toml)$/;
const decoder = new TextDecoder('utf-8', { fatal: true });
let mime: typeof mimeTypes | undefined;

/** True when the first 8 KiB have no NUL byte and decode as UTF-8 (a cut last character is allowed). */
async function looksLikeText(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.includes(0)) return false;
    for (let trim = 0; trim < 4 && trim <= head.length; trim++) {
      try {
        decoder.decode(head.subarray(0, head.length - trim));
        return true;
      } catch {
        if (bytesRead < buffer.length) return false; // whole file read: no cut character to excuse
      }
    }
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * The media type of a regular file, or null when neither its bytes nor its name tell. `name`
 * (default `file`) is the name whose extension is used, when `file` is a descriptor path.
 */
export async function mediaTypeOf(file: string, name: string = file): Promise<string | null> {
  try {
    const { fileTypeFromFile } = await import('file-type'); // loaded on first use
    const sniffed = await fileTypeFromFile(file);
    if (sniffed) return sniffed.mime;
  } catch {
    // Unreadable or not a regular file: fall back to the name.
  }
  mime ??= createRequire(import.meta.url)('mime-types') as typeof mimeTypes;
  const byName = mime.lookup(name);
  // Text files: trust the extension only when it names a text type (mime-types maps .ts to video/mp2t).
  if (await looksLikeText(file).catch(() => false)) return byName !== false && TEXTUAL.test(byName) ? byName : 'text/plain';
  return byName === false ? null : byName;
}
