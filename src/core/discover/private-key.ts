// Whether text holds a private key: a PEM or OpenPGP armored block whose body is real base64, not a documentation
// placeholder such as "-----BEGIN RSA PRIVATE KEY-----\n...\nKh9NV...\n-----END RSA PRIVATE KEY-----".

const BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/g;
/** The smallest real body: an Ed25519 key in PKCS#8 is 48 bytes, 64 base64 characters. */
const MIN_BODY_CHARS = 64;
/** The largest: a 16384-bit RSA key is about 12 KB of base64; a longer span between BEGIN and END is not one block. */
const MAX_BLOCK_CHARS = 64 * 1024;
/** A key inside a string literal breaks its lines with `\n` escapes (JSON service-account files, .env values). */
const LINE_BREAK = /\r?\n|(?:\\r)?\\n/;
/** What wraps the lines of a key written into code: indentation, quotes, concatenation, list separators. */
const WRAPPING = /^[\s'"`+,;]+|[\s'"`+,;]+$/g;
/** RFC 1421 and OpenPGP armor headers before the body: Proc-Type, DEK-Info, Version, Comment. */
const HEADER = /^[A-Za-z][A-Za-z0-9-]*: /;
/** Runs of base64 within a line; a key pasted on one line may have spaces for its line breaks. */
const BASE64_RUN = /^[A-Za-z0-9+/]+={0,2}$/;
/** The CRC-24 line that ends an OpenPGP body. */
const ARMOR_CHECKSUM = /^=[A-Za-z0-9+/]{4}$/;
/** No word of prose is this long; a base64 body has runs of 64 or 76 characters. */
const MIN_LONGEST_RUN = 32;

/** True when the text holds a BEGIN … PRIVATE KEY line, a base64 body of key size and the matching END line. */
export function containsPrivateKey(text: string): boolean {
  for (const begin of text.matchAll(BEGIN)) {
    const from = begin.index + begin[0].length;
    const end = text.indexOf(`-----END ${begin[1]}-----`, from);
    if (end !== -1 && end - from <= MAX_BLOCK_CHARS && isKeyBody(text.slice(from, end))) return true;
  }
  return false;
}

function isKeyBody(body: string): boolean {
  const lines = body.split(LINE_BREAK).map((l) => l.replace(WRAPPING, '')).filter((l) => l !== '');
  let i = 0;
  while (i < lines.length && HEADER.test(lines[i])) i++;
  let chars = 0;
  let longest = 0;
  for (const line of lines.slice(i)) {
    for (const run of line.split(/\s+/)) {
      if (ARMOR_CHECKSUM.test(run)) continue;
      if (!BASE64_RUN.test(run)) return false;
      chars += run.length;
      longest = Math.max(longest, run.length);
    }
  }
  return chars >= MIN_BODY_CHARS && longest >= MIN_LONGEST_RUN;
}
