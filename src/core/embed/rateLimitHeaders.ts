// What an Azure OpenAI answer says about the deployment's quota, read from its headers: what is left of the tokens and
// requests it admits (x-ratelimit-remaining-*), and, on a 429, how long to wait (retry-after-ms, retry-after). Every
// header is validated here with zod; a value that is not what Azure sends is treated as absent, never as a number.
import { z } from 'zod';
import { parseRetryAfter, type HeaderLookup } from '../retryAfter';

export interface RateLimitHeaders {
  remainingTokens?: number;
  remainingRequests?: number;
  /** From retry-after-ms, else retry-after (seconds or an HTTP date). */
  retryAfterMs?: number;
}

/** A count as Azure writes it: decimal digits, nothing else. */
const count = z
  .string()
  .trim()
  .regex(/^\d{1,15}$/)
  .transform(Number)
  .optional()
  .catch(undefined);
const text = z.string().trim().min(1).optional().catch(undefined);

const headersSchema = z.object({
  'x-ratelimit-remaining-tokens': count,
  'x-ratelimit-remaining-requests': count,
  'retry-after-ms': text,
  'retry-after': text,
});

const NAMES = Object.keys(headersSchema.shape) as Array<keyof typeof headersSchema.shape>;

export function readRateLimitHeaders(headers: HeaderLookup | undefined, now: number = Date.now()): RateLimitHeaders {
  const raw = Object.fromEntries(NAMES.map((name) => [name, headers?.get(name) ?? undefined]));
  const parsed = headersSchema.parse(raw);
  // parseRetryAfter is the engine's one reading of the two retry headers (decimal ms first, then seconds or a date).
  const retry = { get: (name: string) => (name === 'retry-after-ms' ? parsed['retry-after-ms'] : name === 'retry-after' ? parsed['retry-after'] : undefined) };
  return {
    remainingTokens: parsed['x-ratelimit-remaining-tokens'],
    remainingRequests: parsed['x-ratelimit-remaining-requests'],
    retryAfterMs: parseRetryAfter(retry, now),
  };
}
