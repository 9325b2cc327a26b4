import { fileTypeFromBuffer } from 'file-type';

/** Types accepted as attachments, decided from the bytes (never from the name or the client's header). */
export const ALLOWED_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'application/zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'message/rfc822',
  'text/plain',
]);

/** Plain text: valid UTF-8 with no control bytes other than tab, newline, carriage return and form feed. */
function isPlainText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 64 * 1024);
  for (const b of sample) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.length === bytes.length ? sample : trimPartial(sample));
    return true;
  } catch {
    return false;
  }
}

/** A sample cut mid-character is not an error: drop a trailing incomplete UTF-8 sequence. */
function trimPartial(b: Buffer): Buffer {
  let i = b.length - 1;
  let back = 0;
  while (i >= 0 && back < 4 && (b[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  return i >= 0 && b[i]! >= 0xc0 ? b.subarray(0, i) : b;
}

/** The content type of the bytes, or null when it is not one we accept. */
export async function sniffType(bytes: Buffer): Promise<{ mime: string; ext: string } | null> {
  if (bytes.length === 0) return null;
  const found = await fileTypeFromBuffer(bytes);
  if (found) return ALLOWED_TYPES.has(found.mime) ? { mime: found.mime, ext: found.ext } : null;
  return isPlainText(bytes) ? { mime: 'text/plain', ext: 'txt' } : null;
}
