// The one retry-after parser of the chat and embeddings clients: Azure's retry-after-ms, delta-seconds, HTTP dates.
import assert from 'node:assert/strict';
import { parseHttpDate, parseRetryAfter } from '../../src/core/retryAfter';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0); // Sun, 01 Jun 2025 12:00:00 GMT
const headers = (entries: Record<string, string>) => new Headers(entries);

describe('parseRetryAfter', () => {
  it('is undefined when neither header is present, or there are no headers', () => {
    assert.equal(parseRetryAfter(headers({}), NOW), undefined);
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
    assert.equal(parseRetryAfter(headers({ 'retry-after': '' }), NOW), undefined);
  });

  it('takes retry-after-ms first, in milliseconds', () => {
    assert.equal(parseRetryAfter(headers({ 'retry-after-ms': '300', 'retry-after': '5' }), NOW), 300);
    assert.equal(parseRetryAfter(headers({ 'retry-after-ms': '12.5' }), NOW), 12.5);
    assert.equal(parseRetryAfter(headers({ 'Retry-After-Ms': ' 0 ' }), NOW), 0);
  });

  it('falls back to retry-after when retry-after-ms is not a valid number', () => {
    assert.equal(parseRetryAfter(headers({ 'retry-after-ms': 'soon', 'retry-after': '2' }), NOW), 2000);
    assert.equal(parseRetryAfter(headers({ 'retry-after-ms': '-100', 'retry-after': '2' }), NOW), 2000);
    assert.equal(parseRetryAfter(headers({ 'retry-after-ms': '-100' }), NOW), undefined);
  });

  it('reads retry-after as delta-seconds, decimals included', () => {
    assert.equal(parseRetryAfter(headers({ 'Retry-After': '7' }), NOW), 7000);
    assert.equal(parseRetryAfter(headers({ 'retry-after': '0.2' }), NOW), 200);
    assert.equal(parseRetryAfter(headers({ 'retry-after': '600' }), NOW), 600_000);
    assert.equal(parseRetryAfter(headers({ 'retry-after': '0' }), NOW), 0);
  });

  it('reads retry-after as an HTTP date, counted from now', () => {
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' }), NOW), 30_000);
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'Sunday, 01-Jun-25 12:01:00 GMT' }), NOW), 60_000);
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'Sun Jun  1 12:00:05 2025' }), NOW), 5000);
  });

  it('is never negative: a date in the past means now', () => {
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'Sat, 31 May 2025 12:00:00 GMT' }), NOW), 0);
  });

  it('is undefined for a value that is neither seconds nor an HTTP date', () => {
    const invalid = ['-5', '5s', '1e3', 'soon', '2025-06-01T12:00:30Z', 'Sun, 01 Jun 2025 12:00:30', 'Sun, 31 Feb 2025 12:00:00 GMT', 'Sun, 01 Jun 2025 24:00:00 GMT'];
    for (const value of invalid) assert.equal(parseRetryAfter(headers({ 'retry-after': value }), NOW), undefined, value);
  });

  it('uses the clock when no time is given', () => {
    const inAMinute = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000).toUTCString();
    const wait = parseRetryAfter(headers({ 'retry-after': inAMinute }));
    assert.ok(wait !== undefined && wait > 59_000 && wait <= 61_000, `${wait}`);
  });

  it('accepts any object with a get', () => {
    const map = new Map([['retry-after', '3']]);
    assert.equal(parseRetryAfter({ get: (name) => map.get(name) }, NOW), 3000);
  });
});

describe('parseHttpDate', () => {
  it('reads the three forms of RFC 9110 as UTC', () => {
    const expected = Date.UTC(1994, 10, 6, 8, 49, 37);
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW), expected);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW), expected);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW), expected);
    assert.equal(parseHttpDate('sun, 06 nov 1994 08:49:37 gmt', NOW), expected, 'case-insensitive');
  });

  it('reads a two-digit year more than 50 years ahead as the past century', () => {
    assert.equal(new Date(parseHttpDate('Monday, 01-Jan-75 00:00:00 GMT', NOW) ?? NaN).getUTCFullYear(), 2075);
    assert.equal(new Date(parseHttpDate('Friday, 01-Jan-76 00:00:00 GMT', NOW) ?? NaN).getUTCFullYear(), 2076 - 100);
  });

  it('accepts a leap second and refuses days a month does not have', () => {
    assert.equal(parseHttpDate('Tue, 30 Jun 2015 23:59:60 GMT', NOW), Date.UTC(2015, 6, 1));
    assert.equal(parseHttpDate('Mon, 29 Feb 2021 00:00:00 GMT', NOW), undefined);
    assert.equal(parseHttpDate('Mon, 00 Feb 2021 00:00:00 GMT', NOW), undefined);
  });
});
