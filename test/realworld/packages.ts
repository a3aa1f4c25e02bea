// The real npm packages of the real-world suite, pinned by version and by the sha512 integrity the registry publishes
// (`npm view NAME@VERSION dist.integrity`), with what each brings and the questions asked of it.

export interface Question {
  question: string;
  /** A path among the sources must match: the package file that holds the answer. */
  expect: RegExp;
}

export interface RealPackage {
  name: string;
  version: string;
  /** The registry's dist.integrity: a cached or fresh tarball must hash to it. */
  integrity: string;
  /**
   * Folders left out by default (dist/, build output) that this package's compiled code lives in: the run's include
   * globs reopen them, so the whole package is indexed, its compiled JavaScript and .d.ts files included. Files skipped
   * by name (source maps, *.min.js) stay skipped, with their reason.
   */
  reopen: string[];
  /** What the package brings, for the reader. */
  mix: string;
  questions: Question[];
}

export const PACKAGES: RealPackage[] = [
  {
    name: 'rxjs',
    version: '7.8.1',
    integrity: 'sha512-AA3TVj+0A2iuIoQkWEK/tqFjBq2j+6PO6Y0zJcvzLAFhEFIO3HL0vls9hWLncZbAAbK0mar7oZ4V079I/qPMxg==',
    reopen: ['dist'],
    mix: 'TypeScript sources, tsc-compiled CommonJS and ESM (es5 and es2015), .d.ts, 1,003 source maps, UMD bundles, Markdown',
    questions: [
      { question: 'How does switchMap cancel the previous inner observable?', expect: /switchMap/ },
      { question: 'What does the retry operator do when the source errors?', expect: /retry/i },
      { question: 'How do I create an Observable from an array with from()?', expect: /from|Observable/i },
    ],
  },
  {
    // This project's own dependency, and the kind of package issue 8 began with: tsc down-levels #private methods of
    // classes that also have a computed method name ([Symbol.asyncIterator]) into that name, so lib/ChatCompletionStream.js
    // holds a "method name" of 16.7 KB.
    name: 'openai',
    version: '6.49.0',
    integrity: 'sha512-aYCc0C6L864eR6WSYIwQGyXriw/nIyZx0ObvhzOEVuk0zoBDpynjSbrionWI7q65B5H8jJX0DXR9snEzM6bfPg==',
    reopen: [],
    mix: 'TypeScript sources in src/, tsc-compiled CommonJS (.js) and ESM (.mjs), .d.ts and .d.mts, 1,490 source maps, Markdown',
    questions: [
      { question: 'How does the client retry a request after a 429 rate limit response?', expect: /client|core|retr/i },
      { question: 'How do I stream chat completions with ChatCompletionStream?', expect: /ChatCompletionStream|streaming/ },
    ],
  },
  {
    name: 'marked',
    version: '12.0.2',
    integrity: 'sha512-qXUm7e/YKFoqFPYPa3Ukg9xlI5cyAtGmyEIzMfW//m6kXwCy2Ps9DYf5ioijFKQ8qyuscrHoY04iJGctu2Kg0Q==',
    reopen: [],
    mix: 'compiled ESM/UMD JavaScript, .d.ts, a minified bundle, source maps, a man page, Markdown',
    questions: [
      { question: 'How do I add a custom extension to marked?', expect: /lib\/|README|man\// },
      { question: 'How does the lexer tokenize a fenced code block?', expect: /lib\// },
    ],
  },
  {
    name: 'js-yaml',
    version: '4.1.0',
    integrity: 'sha512-wpxZs9NoxZaJESJGIZTyDEaYpl0FKSA+FB9aJiyemKhMwkxQg63h4T1KJgUGHpTqPDNRcmmYLugrRjJlBtWvRA==',
    reopen: ['dist'],
    mix: 'CommonJS sources, rollup bundles (plain and minified), a CLI, Markdown',
    questions: [
      { question: 'How do I load a YAML document safely with a schema?', expect: /loader|README|index/i },
      { question: 'How does dump serialize a multi-line string?', expect: /dumper/ },
    ],
  },
  {
    name: 'yaml',
    version: '2.5.0',
    integrity: 'sha512-2wWLbGbYDiSqqIKoPjar3MPgB94ErzCtrNE1FdqGuaO0pi2JGjmE8aW8TDZwzU7vuxcGRdL/4gPQwQ7hD5AMSw==',
    reopen: ['dist', 'browser/dist'],
    mix: 'tsc-compiled CommonJS and browser ESM, .d.ts, a CLI, Markdown',
    questions: [
      { question: 'How do I parse a YAML string into a Document and read its errors?', expect: /parse|Document|README/i },
      { question: 'What does the Lexer do with flow collections?', expect: /lexer/i },
    ],
  },
  {
    name: 'object-inspect',
    version: '1.13.1',
    integrity: 'sha512-5qoj1RUiKOMsCCNLV1CBiPYE10sziTsnmNxkAI/rZhiD63CF7IqdFGC/XzjWjpSgLf0LxXX3bDFIh0E18f6UhQ==',
    reopen: [],
    mix: 'plain JavaScript, tests, .github/FUNDING.yml, .eslintrc/.nycrc JSON, readme.markdown',
    questions: [
      { question: 'How does inspect print a circular reference?', expect: /index\.js|test\/circular|readme/ },
      { question: 'What options does inspect accept, such as depth and quoteStyle?', expect: /index\.js|readme/ },
    ],
  },
  {
    name: 'dotenv',
    version: '16.4.5',
    integrity: 'sha512-ZmdL2rui+eB2YwhsWzjInR8LldtZHGDoQ1ugH85ppHKwpUHL7j7rN0Ti9NCnGiQbhaZ11FpR+7ao1dNsmduNUg==',
    reopen: [],
    mix: 'a README full of .env examples (in two languages), small JavaScript with .d.ts',
    questions: [
      { question: 'How do I preload dotenv with node -r dotenv/config?', expect: /^README\.md$/ },
      { question: 'How does dotenv parse a multiline value?', expect: /lib\/main|README/ },
    ],
  },
];

export const specOf = (p: Pick<RealPackage, 'name' | 'version'>): string => `${p.name}@${p.version}`;
