// The content checks, made when the indexer reads a file: size, binary, UTF-8 (or UTF-16 with a BOM), private keys and
// minified code.
import { indexingSchema } from '../config';
import type { DiscoveredFile, FileSystem, SkipReason } from '../types';
import { failureOf } from './fs-errors';
import { containsPrivateKey } from './private-key';

export type ContentCheck = { ok: true; text: string } | { ok: false; reason: SkipReason; detail?: string };

const DEFAULTS = indexingSchema.parse({});
/** Binary sniffing looks at the start only, as git and editors do. */
const SNIFF_BYTES = 8 * 1024;
/** Share of control characters (other than tab, line breaks, form feed and ESC) above which bytes are not text. */
const MAX_CONTROL_RATIO = 0.1;
/** Formats that minifiers and generators emit on a few enormous lines; prose (Markdown, text) legitimately has long lines. */
const MINIFIABLE = /\.(?:[cm]?js|jsx|tsx?|css|scss|sass|less|json|jsonc|html?|xml|svg)$/i;
const MINIFIED_MIN_CHARS = 1024;
/** Hand-written code averages well under 100 characters a line, blank lines included. */
const MINIFIED_AVG_LINE = 200;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Judges the bytes of a file: its text when it is worth indexing, or why not. The BOM is dropped and lone CR line
 * breaks become LF (editors count them as lines, so citations stay exact); CRLF is kept, since chunkers count '\n'.
 */
export function classifyContent(filePath: string, bytes: Uint8Array): ContentCheck {
  let text: string;
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
  if (utf16) {
    try {
      text = new TextDecoder(utf16, { fatal: true }).decode(bytes);
    } catch {
      return { ok: false, reason: 'invalid-utf8', detail: `not valid ${utf16.toUpperCase()} despite its byte-order mark` };
    }
  } else {
    const binary = binaryEvidence(bytes.subarray(0, SNIFF_BYTES));
    if (binary) return { ok: false, reason: 'binary', detail: binary };
    try {
      text = UTF8.decode(bytes);
    } catch {
      return { ok: false, reason: 'invalid-utf8', detail: 'not valid UTF-8 (a legacy encoding such as Latin-1?)' };
    }
  }
  text = text.replace(/\r(?!\n)/g, '\n');
  if (containsPrivateKey(text)) return { ok: false, reason: 'secret', detail: 'contains a private key' };
  const minified = minifiedEvidence(filePath, text);
  if (minified) return { ok: false, reason: 'minified', detail: minified };
  return { ok: true, text };
}

function binaryEvidence(sample: Uint8Array): string | undefined {
  let control = 0;
  for (const b of sample) {
    if (b === 0) return 'contains NUL bytes';
    if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b) || b === 0x7f) control++;
  }
  return sample.length > 0 && control / sample.length > MAX_CONTROL_RATIO
    ? `${Math.round((100 * control) / sample.length)}% control characters in its first ${sample.length} bytes`
    : undefined;
}

function minifiedEvidence(filePath: string, text: string): string | undefined {
  if (text.length < MINIFIED_MIN_CHARS || !MINIFIABLE.test(filePath)) return undefined;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  const average = text.length / lines;
  return average > MINIFIED_AVG_LINE ? `${lines} line${lines === 1 ? '' : 's'} averaging ${Math.round(average)} characters` : undefined;
}

/** Reads a discovered file and judges it. A file gone since discovery is 'vanished'; one grown past the limit is 'too-large'. */
export async function readAndClassify(fs: FileSystem, file: DiscoveredFile, maxBytes: number = DEFAULTS.maxFileBytes): Promise<ContentCheck> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file.absPath);
  } catch (error) {
    const failure = failureOf(error);
    return failure.kind === 'missing' ? { ok: false, reason: 'vanished' } : { ok: false, reason: 'unreadable', detail: failure.message };
  }
  if (bytes.byteLength > maxBytes) return { ok: false, reason: 'too-large', detail: `${bytes.byteLength} bytes, limit ${maxBytes}` };
  return classifyContent(file.path, bytes);
}
