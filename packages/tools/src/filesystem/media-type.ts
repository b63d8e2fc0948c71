/**
 * Media type of a file: magic bytes first (file-type), then the extension (mime-types).
 * @module
 */
import { fileTypeFromFile } from 'file-type';
import mime from 'mime-types';

/** The media type of a regular file, or null when neither its bytes nor its name tell. */
export async function mediaTypeOf(file: string): Promise<string | null> {
  try {
    const sniffed = await fileTypeFromFile(file);
    if (sniffed) return sniffed.mime;
  } catch {
    // Unreadable or not a regular file: fall back to the name.
  }
  const byName = mime.lookup(file);
  return byName === false ? null : byName;
}
