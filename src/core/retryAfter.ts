// How long a throttled response (HTTP 429) asks the client to wait, read from its headers. One parser for every client
// of the engine, so the chat and the embeddings agree on what a server meant.

/** Response headers: a fetch `Headers`, or anything else that looks names up case-insensitively. */
export interface HeaderLookup {
  get(name: string): string | null | undefined;
}

/** A non-negative decimal number, nothing around it but blanks (`5`, `0.2`); `-1`, `5s` or `1e3` are not. */
const DECIMAL = /^\d+(?:\.\d+)?$/;

/**
 * Milliseconds to wait before retrying, or undefined when the headers do not say:
 * - `retry-after-ms` (Azure OpenAI): milliseconds, taken first when it is a valid number;
 * - else `retry-after` (RFC 9110 §10.2.3): delta-seconds (decimals accepted), or an HTTP date counted from `now`.
 * Never negative: a date in the past means "now" (0).
 */
export function parseRetryAfter(headers: HeaderLookup | undefined, now: number = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms')?.trim();
  if (ms && DECIMAL.test(ms)) return Number(ms);
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (DECIMAL.test(value)) return Number(value) * 1000;
  const date = parseHttpDate(value, now);
  return date === undefined ? undefined : Math.max(0, date - now);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** `Sun, 06 Nov 1994 08:49:37 GMT`, the form servers send. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
/** `Sunday, 06-Nov-94 08:49:37 GMT`, obsolete but still to be accepted. */
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
/** `Sun Nov  6 08:49:37 1994` (C's asctime, in UTC), obsolete but still to be accepted. */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

/**
 * An HTTP date (RFC 9110 §5.6.7) as epoch milliseconds, or undefined when `value` is none of its three forms or names
 * no real time. Stricter than Date.parse, which reads `1` as the year 2001 and asctime as local time.
 */
export function parseHttpDate(value: string, now: number = Date.now()): number | undefined {
  let m = IMF_FIXDATE.exec(value);
  if (m) return utc(Number(m[3]), m[2], Number(m[1]), m[4], m[5], m[6]);
  m = RFC_850.exec(value);
  if (m) return utc(fullYear(Number(m[3]), now), m[2], Number(m[1]), m[4], m[5], m[6]);
  m = ASCTIME.exec(value);
  if (m) return utc(Number(m[6]), m[1], Number(m[2].trim()), m[3], m[4], m[5]);
  return undefined;
}

/** A two-digit year more than 50 years ahead of `now` is the most recent past year with those digits (RFC 9110). */
function fullYear(yy: number, now: number): number {
  const current = new Date(now).getUTCFullYear();
  const year = current - (current % 100) + yy;
  return year > current + 50 ? year - 100 : year;
}

function utc(year: number, month: string, day: number, hh: string, mm: string, ss: string): number | undefined {
  const [h, min, s] = [Number(hh), Number(mm), Number(ss)];
  // 60 is a leap second (Date has none, so it reads as the next minute's first).
  if (h > 23 || min > 59 || s > 60) return undefined;
  // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as they are; it rolls 31 Feb over into March, which names no date.
  const midnight = new Date(0).setUTCFullYear(year, MONTHS.indexOf(month.toLowerCase()), day);
  if (new Date(midnight).getUTCDate() !== day) return undefined;
  return midnight + ((h * 60 + min) * 60 + s) * 1000;
}
