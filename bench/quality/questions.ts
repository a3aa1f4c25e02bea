// The question set of the retrieval quality benchmark (issue 9): questions a user of fastify@4.28.1 would ask, each
// with the exact lines of the package that answer it, on a corpus that has both docs and code (docs/**/*.md,
// README.md, the CommonJS sources lib/**/*.js and fastify.js, the .d.ts typings). The set lives in
// corpus/questions.json; this file loads it, fetches and unpacks the pinned tarball through the real-world suite's cache
// (test/realworld/fetch.ts), keeps only the selected files, and checks every gold range against them.
//
// Run alone to check the set and print every gold range's text for a reviewer (no indexing, no model):
//   npx tsx bench/quality/questions.ts            every question with its gold text
//   npx tsx bench/quality/questions.ts --quiet    the summary only
//   npx tsx bench/quality/questions.ts --chunks   also count the corpus's chunks with this project's chunker
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { chunkFile } from '../../src/core/chunk';
import { compileGlobs } from '../../src/core/discover/globs';
import { fetchPackage, filesOnDisk, unpack } from '../../test/realworld/fetch';
import type { RealPackage } from '../../test/realworld/packages';

const QUESTION_TYPES = ['how-to', 'where-is', 'behaviour', 'symbol', 'special-characters', 'unanswerable'] as const;
/**
 * how-to: a task in the user's words. where-is: where in the code something is done. behaviour: what the library does
 * in a situation. symbol: names a real identifier (backticked, dotted, camelCase). special-characters: holds `?`, `:`,
 * `/`, quotes, parentheses, `*`, `-` or a pasted snippet or error message. unanswerable: the corpus does not hold the
 * answer (gold is empty): the retriever should find nothing relevant enough and the answer should say so.
 */
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** Lines startLine..endLine (1-based, inclusive) of a corpus file hold (part of) the answer. */
export interface GoldRange {
  /** Relative to the package root, POSIX separators, inside the corpus selection. */
  path: string;
  startLine: number;
  endLine: number;
  /** A short string that occurs inside the range, so that a version bump that moves the lines is caught. */
  anchor: string;
}

export interface QualityQuestion {
  id: string;
  type: QuestionType;
  question: string;
  /**
   * Every range that answers the question; a retrieved chunk is a hit when it overlaps one of them. Empty for an
   * unanswerable question.
   */
  gold: GoldRange[];
  /** For the reviewer: why an unanswerable question has no answer in the corpus, or what the gold holds. */
  note?: string;
}

interface QuestionSet {
  package: { name: string; version: string; integrity: string };
  /** Include globs of the corpus, relative to the package root. */
  include: string[];
  questions: QualityQuestion[];
}

const SET_FILE = path.join(__dirname, 'corpus', 'questions.json');
const MIN_TOTAL = 40;
const MIN_PER_ANSWERABLE_TYPE = 6;
const MIN_UNANSWERABLE = 4;
/** Gold is as tight as the answer: a range longer than this is a section, not an answer. */
const MAX_RANGE_LINES = 30;

/** The set as stored, with its shape checked (problems are collected, not thrown, so a reviewer sees them all). */
async function readQuestionSet(problems: string[]): Promise<QuestionSet> {
  const set = JSON.parse(await fs.readFile(SET_FILE, 'utf8')) as QuestionSet;
  const { name, version, integrity } = set.package ?? {};
  if (typeof name !== 'string' || typeof version !== 'string' || !/^sha512-/.test(String(integrity))) {
    problems.push('package: name, version and a sha512 integrity are required');
  }
  if (!Array.isArray(set.include) || set.include.length === 0 || set.include.some((g) => typeof g !== 'string' || !g)) {
    problems.push('include: a non-empty list of globs is required');
  }
  if (!Array.isArray(set.questions)) throw new Error(`${SET_FILE}: "questions" must be a list`);

  const ids = new Set<string>();
  const texts = new Set<string>();
  for (const q of set.questions) {
    const where = `question ${q.id ?? '(no id)'}`;
    if (typeof q.id !== 'string' || !q.id) problems.push(`${where}: an id is required`);
    else if (ids.has(q.id)) problems.push(`${where}: duplicate id`);
    ids.add(q.id);
    if (typeof q.question !== 'string' || !q.question.trim()) problems.push(`${where}: the question text is empty`);
    else if (texts.has(q.question)) problems.push(`${where}: the same question text appears twice`);
    texts.add(q.question);
    if (!(QUESTION_TYPES as readonly string[]).includes(q.type)) problems.push(`${where}: unknown type ${JSON.stringify(q.type)}`);
    if (!Array.isArray(q.gold)) {
      problems.push(`${where}: gold must be a list (empty for unanswerable)`);
      continue;
    }
    if (q.type === 'unanswerable' && q.gold.length > 0) problems.push(`${where}: an unanswerable question has no gold`);
    if (q.type !== 'unanswerable' && q.gold.length === 0) problems.push(`${where}: an answerable question needs gold`);
    for (const g of q.gold) {
      const at = `${where}: ${g.path}:${g.startLine}-${g.endLine}`;
      if (typeof g.path !== 'string' || g.path.startsWith('/') || g.path.includes('\\') || g.path.split('/').includes('..')) {
        problems.push(`${at}: the path must be relative to the package root, with '/'`);
      }
      if (!Number.isInteger(g.startLine) || !Number.isInteger(g.endLine) || g.startLine < 1 || g.endLine < g.startLine) {
        problems.push(`${at}: lines must be integers with 1 <= startLine <= endLine`);
      } else if (g.endLine - g.startLine + 1 > MAX_RANGE_LINES) {
        problems.push(`${at}: ${g.endLine - g.startLine + 1} lines; gold is at most ${MAX_RANGE_LINES} lines (split it or tighten it)`);
      }
      if (typeof g.anchor !== 'string' || !g.anchor.trim() || g.anchor.includes('\n')) problems.push(`${at}: a one-line anchor is required`);
    }
  }

  const count = (t: QuestionType) => set.questions.filter((q) => q.type === t).length;
  if (set.questions.length < MIN_TOTAL) problems.push(`${set.questions.length} questions; at least ${MIN_TOTAL} are required`);
  for (const t of QUESTION_TYPES) {
    const min = t === 'unanswerable' ? MIN_UNANSWERABLE : MIN_PER_ANSWERABLE_TYPE;
    if (count(t) < min) problems.push(`${count(t)} ${t} questions; at least ${min} are required`);
  }
  return set;
}

/**
 * Removes every file outside the selection, so the folder holds exactly the corpus. A slash-free glob (`README.md`)
 * selects a file at the package root only: as an include setting it would match at any depth (globs.ts), and take in
 * test/bundler/README.md too. Indexing the pruned folder with `include` gives the same files.
 */
async function pruneToSelection(dir: string, include: readonly string[]): Promise<string[]> {
  const rootOnly = include.filter((g) => !g.replace(/^\.?\/+/, '').includes('/'));
  const nested = include.filter((g) => !rootOnly.includes(g));
  // compileGlobs([]) includes everything, so an empty list must select nothing here.
  const matcher = (globs: string[]) => (globs.length ? compileGlobs(globs, []) : { isIncluded: () => false });
  const atRoot = matcher(rootOnly);
  const below = matcher(nested);
  const kept: string[] = [];
  for (const rel of await filesOnDisk(dir)) {
    if (below.isIncluded([rel]) || (!rel.includes('/') && atRoot.isIncluded([rel]))) kept.push(rel);
    else await fs.rm(path.join(dir, rel));
  }
  return kept;
}

/** A file's lines as the chunker numbers them: split on '\n', without the empty string after a final newline. */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

interface CheckedGold {
  question: QualityQuestion;
  /** The text of each gold range (undefined when its file or lines are missing). */
  texts: Array<string[] | undefined>;
}

/** Checks each gold range against the corpus: its file is selected, its lines exist and hold the anchor. */
async function checkGold(dir: string, corpus: ReadonlySet<string>, questions: QualityQuestion[], problems: string[]): Promise<CheckedGold[]> {
  const cache = new Map<string, string[]>();
  const fileLines = async (rel: string) => {
    let lines = cache.get(rel);
    if (!lines) cache.set(rel, (lines = linesOf(await fs.readFile(path.join(dir, rel), 'utf8'))));
    return lines;
  };
  const out: CheckedGold[] = [];
  for (const q of questions) {
    const texts: Array<string[] | undefined> = [];
    for (const g of q.gold) {
      const at = `question ${q.id}: ${g.path}:${g.startLine}-${g.endLine}`;
      if (!corpus.has(g.path)) {
        problems.push(`${at}: no such file in the corpus selection`);
        texts.push(undefined);
        continue;
      }
      const lines = await fileLines(g.path);
      if (g.endLine > lines.length) {
        problems.push(`${at}: the file has ${lines.length} lines`);
        texts.push(undefined);
        continue;
      }
      const range = lines.slice(g.startLine - 1, g.endLine);
      if (!range.join('\n').includes(g.anchor)) problems.push(`${at}: the anchor ${JSON.stringify(g.anchor)} is not in the range`);
      texts.push(range);
    }
    out.push({ question: q, texts });
  }
  return out;
}

const pinOf = (set: QuestionSet): RealPackage => ({ ...set.package, reopen: [], mix: 'the quality benchmark corpus', questions: [] });

/**
 * The quality benchmark's corpus and questions: the pinned package fetched (or taken from the cache) and unpacked into
 * a new temp folder that holds only the selected files, and the question set, checked against those files. Throws
 * with every problem found when the set or any gold range does not check out. The caller owns `dir` (remove it when
 * done).
 */
export async function loadQualityCorpus(): Promise<{ dir: string; include: string[]; questions: QualityQuestion[] }> {
  const { set, dir, problems } = await prepare();
  if (problems.length) {
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(`The quality question set does not check out (${SET_FILE}):\n  ${problems.join('\n  ')}`);
  }
  return { dir, include: set.include, questions: set.questions };
}

async function prepare(): Promise<{ set: QuestionSet; dir: string; files: string[]; checked: CheckedGold[]; problems: string[] }> {
  const problems: string[] = [];
  const set = await readQuestionSet(problems);
  const pin = pinOf(set);
  const { tarball } = await fetchPackage(pin);
  const dir = await unpack(pin, tarball);
  try {
    const files = await pruneToSelection(dir, set.include);
    const checked = await checkGold(dir, new Set(files), set.questions, problems);
    return { set, dir, files, checked, problems };
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
}

const STOP = new Set(
  ('about after also and any are before but can does doing for from get gets have how into its just like make more must ' +
    'not out over should some than that the their them then there these they this too use used uses using via want what ' +
    'when where which while who why will with without would your you').split(' '),
);
/**
 * The share of a question's words (4+ letters, not stop words) that occur verbatim in its gold text: a reviewer's hint
 * that a question copies the docs' words, which would let full-text search win trivially.
 */
function overlap(question: string, gold: string): number {
  const words = [...new Set((question.toLowerCase().match(/[a-z][a-z0-9]{3,}/g) ?? []).filter((w) => !STOP.has(w)))];
  if (!words.length) return 0;
  const hay = gold.toLowerCase();
  return words.filter((w) => hay.includes(w)).length / words.length;
}

async function main(): Promise<void> {
  const quiet = process.argv.includes('--quiet');
  const { set, dir, files, checked, problems } = await prepare();
  const out = (s = '') => process.stdout.write(`${s}\n`);
  try {
    const overlaps: number[] = [];
    for (const { question: q, texts } of checked) {
      const gold = texts.map((t) => (t ?? []).join('\n')).join('\n');
      const ov = q.gold.length ? overlap(q.question, gold) : undefined;
      if (ov !== undefined) overlaps.push(ov);
      if (quiet) continue;
      out(`── ${q.id} [${q.type}]${ov === undefined ? '' : `  word overlap ${ov.toFixed(2)}`}`);
      out(`   Q: ${q.question}`);
      if (q.note) out(`   note: ${q.note}`);
      if (!q.gold.length) out('   gold: none (unanswerable)');
      q.gold.forEach((g, i) => {
        out(`   gold ${g.path}:${g.startLine}-${g.endLine}  anchor ${JSON.stringify(g.anchor)}`);
        const lines = texts[i];
        lines?.forEach((line, k) => out(`   ${String(g.startLine + k).padStart(5)} │ ${line}`));
      });
      out();
    }

    let bytes = 0;
    for (const f of files) bytes += (await fs.stat(path.join(dir, f))).size;
    out(`corpus: ${set.package.name}@${set.package.version}, include ${set.include.join(' ')}`);
    out(`        ${files.length} files, ${bytes.toLocaleString('en')} bytes`);
    if (process.argv.includes('--chunks')) out(`        ${await countChunks(dir, files)}`);
    const byType = QUESTION_TYPES.map((t) => `${t} ${set.questions.filter((q) => q.type === t).length}`).join(', ');
    out(`questions: ${set.questions.length} (${byType})`);
    const ranges = set.questions.reduce((n, q) => n + q.gold.length, 0);
    const mean = overlaps.reduce((a, b) => a + b, 0) / Math.max(1, overlaps.length);
    out(`gold ranges: ${ranges}; mean word overlap of a question with its gold ${mean.toFixed(2)}`);
    if (problems.length) {
      out(`\n${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
      process.exitCode = 1;
    } else {
      out('every gold range checks out: its file is in the selection, its lines exist and hold its anchor');
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The corpus's chunks with this project's chunker at its default settings (384 tokens, 3 overlap lines). */
async function countChunks(dir: string, files: string[]): Promise<string> {
  let chunks = 0;
  for (const f of files) chunks += (await chunkFile(f, await fs.readFile(path.join(dir, f), 'utf8'), { maxTokens: 384, overlapLines: 3 })).chunks.length;
  return `${chunks.toLocaleString('en')} chunks with the project's chunker (384 tokens, 3 overlap lines)`;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
