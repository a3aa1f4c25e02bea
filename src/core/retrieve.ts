// Hybrid retrieval: vector + full-text legs fused by reciprocal rank, expanded along the graph, merged by line range
// and packed into the token budget left for sources in BitNet's small context.
import type { Hit } from './types';
import type { RetrievalConfig } from './config';
import { EmbeddingError, type Embedder } from './embed';
import { EngineError } from './errors';
import type { SearchIndex } from './ports';
import { sourceTokens, type PromptSource } from './generate';
import { countTokens } from './tokens';
import { keywordsOf, questionWords, termsNotMentioned } from './words';

export type RetrievalMode = 'hybrid' | 'keyword-only';

/** A packed, numbered source: one contiguous line range of one file. */
export interface Source extends PromptSource {
  symbol?: string;
  headingPath?: string;
  score: number;
  /** Which legs found it, for diagnostics: vector, fulltext, neighbour, symbol, link. */
  via: string[];

}

export interface Retrieval {
  mode: RetrievalMode;
  sources: Source[];
  /** Candidates found before packing; sources dropped for lack of budget are counted here. */
  candidates: number;
  budgetTokens: number;
  usedTokens: number;
  timings: { embedMs: number; searchMs: number };
  /** Set when the embeddings endpoint failed for this question and retrieval ran keyword-only: why, for the label. */
  fallback?: string;
  /**
   * A weak match: the question's words that no indexed file mentions in any form ("gRPC" in a workspace that never
   * says it). No score threshold could say so: see docs/ARCHITECTURE.md, "Weak matches".
   */
  weakMatch?: string[];
}

/**
 * A question's embedding gets this long, retries included, before retrieval goes on keyword-only: a user waits for
 * this, and the indexer's patience (minutes of retries) is wrong here.
 */
const QUESTION_EMBED_DEADLINE_MS = 5000;
/** Embedding failures that mean "down or busy now": the question is still answered by keywords. A refused key or a broken vector is not. */
const KEYWORD_FALLBACK: ReadonlySet<EmbeddingError['kind']> = new Set(['network', 'timeout', 'throttled', 'http', 'cancelled']);

// Reciprocal rank fusion constant: 60 is the value from Cormack et al. and what most engines default to. Rank fusion
// is used instead of max-normalised scores because a leg's top hit then gets 1.0 however weak it is (GUIDE §2).
const RRF_K = 60;
/**
 * Weight of expansion hits relative to the hit that led to them: context, not competition. On bench:quality (recall
 * in the 8 s prompt / MRR@5) neighbours at 0 or 0.5 give 0.37 / 0.53 (a neighbour mostly merges into its hit's run),
 * 0.8 gives 0.37 / 0.53 with fewer symbol answer lines (0.46 against 0.51); links at 0 or 0.35 give the same, 0.7
 * gives 0.34 / 0.52. Below the level where they compete they change nothing measurable, so they stay low.
 */
const NEIGHBOUR_WEIGHT = 0.5;
const LINK_WEIGHT = 0.35;
/**
 * A definition named in the question is what the user asked about: its leg counts double in the fusion. On
 * bench:quality (fastify, MiniLM; answer-line recall in the 8 s prompt / MRR@5): weight 0 gives 0.34 / 0.54, 1 gives
 * 0.36 / 0.55, 2 gives 0.37 / 0.53 and 3 gives 0.36 / 0.53 (one question moves MRR by 0.02): 2 sends the most answer lines.
 */
const SYMBOL_WEIGHT = 2;

/**
 * A question the engine cannot take: empty (nothing to search for), or too long for the model's context to also
 * hold sources and the answer. Hosts phrase the remedy (the CLI exits 2, as for any usage error).
 */
export class QuestionError extends EngineError<'empty' | 'too-long', { questionTokens?: number; maxQuestionTokens?: number }> {}

/** Whitespace of every kind, and the zero-width characters that look like nothing. */
const BLANK = /^[\s\u200b-\u200d\u2060\ufeff]*$/u;

/** Throws QuestionError('empty') for an empty or whitespace-only question, before any service is asked. */
export function checkQuestion(question: string): void {
  if (BLANK.test(question)) throw new QuestionError('empty', 'The question is empty: ask something about the indexed files.', {});
}

interface Candidate {
  hit: Hit;
  score: number;
  via: Set<string>;
}

export class Retriever {
  constructor(
    private readonly store: SearchIndex,
    /** Absent: keyword-only retrieval (full-text, symbols and graph). */
    private readonly embedder: Pick<Embedder, 'embed'> | undefined,
    private readonly config: RetrievalConfig,
  ) {}


  /** Throws QuestionError for an empty question without asking the embedder or the store. */
  async retrieve(workspaceId: string, question: string, budgetTokens: number, signal?: AbortSignal): Promise<Retrieval> {
    checkQuestion(question);
    const k = this.config.candidateK;
    const started = performance.now();
    const { vector, fallback } = await this.embedQuestion(question, signal);
    const embedMs = performance.now() - started;
    signal?.throwIfAborted();

    const [vectorHits, textHits, symbolHits] = await Promise.all([
      vector ? this.store.vectorSearch(workspaceId, vector, k) : Promise.resolve([]),
      this.store.fulltextSearch(workspaceId, keywordsOf(question), k),
      this.store.symbolDefinitions(workspaceId, identifiersIn(question), 6),
    ]);
    // Only the words no hit mentions can be absent from the workspace: the index is asked about those alone (most
    // questions have none), alongside the graph expansion.
    const words = questionWords(question);
    const unmentioned = termsNotMentioned(
      words.flatMap((w) => w.terms),
      [...vectorHits, ...textHits, ...symbolHits],
    );
    const absent = (unmentioned.length ? this.store.absentTerms(workspaceId, unmentioned) : Promise.resolve([])).then((terms) => new Set(terms));
    const fused = fuse([
      { name: 'vector', hits: vectorHits, weight: 1 },
      { name: 'fulltext', hits: textHits, weight: 1 },
      { name: 'symbol', hits: symbolHits, weight: SYMBOL_WEIGHT },
    ]);

    // Graph expansion around the strongest hits: the chunks before and after them, and the files they link to.
    const top = [...fused.values()].sort(byScore).slice(0, this.config.topK);
    const [neighbours, linked, absentTerms] = await Promise.all([
      this.store.neighbours(workspaceId, top.map((c) => c.hit.id)),
      this.store.linkedChunks(workspaceId, unique(top.slice(0, 3).map((c) => c.hit.path)), 3),
      absent,
    ]);
    const weakMatch = words.filter((w) => w.terms.every((t) => absentTerms.has(t))).map((w) => w.word);
    const anchorScore = (path: string) => Math.max(0, ...top.filter((c) => c.hit.path === path).map((c) => c.score));
    for (const n of neighbours) addContext(fused, n, 'neighbour', anchorScore(n.path) * NEIGHBOUR_WEIGHT);
    linked.forEach((hit, rank) => addContext(fused, hit, 'link', ((top[0]?.score ?? 0) * LINK_WEIGHT) / (rank + 1)));
    const searchMs = performance.now() - started - embedMs;

    const merged = mergeRanges([...fused.values()]);
    const { sources, usedTokens } = pack(merged, budgetTokens, this.config.topK);
    return { mode: vector ? 'hybrid' : 'keyword-only', sources, candidates: merged.length, budgetTokens, usedTokens, timings: { embedMs, searchMs }, fallback, weakMatch };
  }

  private async embedQuestion(question: string, signal?: AbortSignal): Promise<{ vector?: Float32Array; fallback?: string }> {
    if (!this.embedder) return {};
    const deadline = AbortSignal.timeout(QUESTION_EMBED_DEADLINE_MS);
    try {
      return { vector: (await this.embedder.embed([question], { signal: signal ? AbortSignal.any([signal, deadline]) : deadline })).vectors[0] };
    } catch (e) {
      if (signal?.aborted || !(e instanceof EmbeddingError) || !KEYWORD_FALLBACK.has(e.kind) || (e.kind === 'http' && e.details.status === 404)) throw e;
      const why = e.kind === 'cancelled' ? `no answer within ${QUESTION_EMBED_DEADLINE_MS / 1000} s` : e.message;
      return { fallback: `Keyword-only for this question: the embeddings endpoint failed (${why}), so sources were found by full-text and graph search.` };
    }
  }
}

const byScore = (a: { score: number }, b: { score: number }) => b.score - a.score;
const unique = <T>(xs: T[]) => [...new Set(xs)];

export function fuse(legs: Array<{ name: string; hits: Hit[]; weight: number }>): Map<string, Candidate> {
  const out = new Map<string, Candidate>();
  for (const leg of legs) leg.hits.forEach((hit, rank) => addCandidate(out, hit, leg.name, leg.weight / (RRF_K + rank + 1)));
  return out;
}

function addCandidate(out: Map<string, Candidate>, hit: Hit, via: string, score: number): void {
  const existing = out.get(hit.id);
  if (existing) {
    existing.score += score;
    existing.via.add(via);
  } else out.set(hit.id, { hit, score, via: new Set([via]) });
}

/** Expansion adds context: a new candidate ranks below what led to it, and a known one keeps its score. */
function addContext(out: Map<string, Candidate>, hit: Hit, via: string, score: number): void {
  const existing = out.get(hit.id);
  if (existing) existing.via.add(via);
  else out.set(hit.id, { hit, score, via: new Set([via]) });
}

/**
 * Names in a question that are code, as the symbol leg looks them up: `backticked` identifiers (a call's parentheses,
 * type arguments and a leading dot dropped: `reply.hijack()`, `server.get<...>()`, `.send`), and bare words only when
 * they are unmistakably identifiers: camelCase with a lower first letter, snake_case, dotted.names and calls(). Bare
 * capitalised words ("TypeScript", "WebSocket") are not: on fastify's docs they only named prose (bench/quality).
 */
export function identifiersIn(question: string): string[] {
  const names = new Set<string>();
  for (const m of question.matchAll(/`([^`]+)`/g)) {
    const name = /^\.?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(?:<[^>]*>)?(?:\(.*\))?$/.exec(m[1].trim())?.[1];
    if (name) names.add(name);
  }
  const bare = question.replace(/`[^`]*`/g, ' ');
  for (const m of bare.matchAll(/[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*/g)) {
    const word = m[0];
    const dotted = word.includes('.') && word.split('.').every((part) => part.length > 1); // not "e.g" or "a.example.com"
    const looksLikeCode = /^[a-z_$][\w$]*[a-z\d][A-Z]/.test(word) || /[A-Za-z\d]_[A-Za-z\d]/.test(word) || dotted || bare[m.index + word.length] === '(';
    if (looksLikeCode) names.add(word);
  }
  // A qualified name also names its last part (`Store.replaceFiles` defines `replaceFiles` in some languages).
  for (const n of [...names]) if (n.includes('.')) names.add(n.slice(n.lastIndexOf('.') + 1));
  return [...names].filter((n) => n.length > 1 && n.length < 120);
}

/** Candidates of one file whose line ranges overlap or touch become one source, so no line is sent twice. */
export function mergeRanges(candidates: Candidate[]): Source[] {
  const byPath = new Map<string, Candidate[]>();
  const parts: Candidate[] = [];
  for (const c of candidates) {
    if (c.hit.column !== undefined) parts.push(c);
    else byPath.set(c.hit.path, [...(byPath.get(c.hit.path) ?? []), c]);
  }
  const out: Source[] = mergeParts(parts);
  for (const group of byPath.values()) {
    group.sort((a, b) => a.hit.startLine - b.hit.startLine);
    let run: Candidate[] = [];
    const flush = () => run.length && out.push(joinRun(run));
    for (const c of group) {
      const last = run[run.length - 1];
      // Touching or overlapping ranges merge; so do consecutive chunks of a file with blank lines between them (the
      // chunkers cover every non-blank line, so lines between chunks n and n+1 are blank): one source, not two.
      const touches = last && c.hit.startLine <= Math.max(...run.map((r) => r.hit.endLine)) + 1;
      const consecutive = last && run.some((r) => r.hit.ordinal + 1 === c.hit.ordinal);
      if (touches || consecutive) run.push(c);
      else {
        flush();
        run = [c];
      }
    }
    flush();
  }
  return out.sort(byScore);
}

/**
 * Parts of one long line (Hit.column) merge only with the parts right before or after them in that line, so a source
 * is always an exact slice of the file: its text starts at `column` of its line.
 */
function mergeParts(parts: Candidate[]): Source[] {
  const out: Source[] = [];
  const sorted = [...parts].sort((a, b) => a.hit.path.localeCompare(b.hit.path) || a.hit.startLine - b.hit.startLine || a.hit.column! - b.hit.column!);
  let run: Candidate[] = [];
  const flush = () => {
    if (!run.length) return;
    out.push({ ...joinRun(run), text: run.map((c) => c.hit.text).join(''), column: run[0].hit.column });
  };
  for (const c of sorted) {
    const last = run[run.length - 1]?.hit;
    const contiguous = last && last.path === c.hit.path && last.startLine === c.hit.startLine && last.column! + last.text.length === c.hit.column;
    if (contiguous) run.push(c);
    else {
      flush();
      run = [c];
    }
  }
  flush();
  return out;
}

function joinRun(run: Candidate[]): Source {
  const lines = new Map<number, string>();
  for (const { hit } of run) hit.text.split('\n').forEach((line, i) => lines.set(hit.startLine + i, line));
  const startLine = Math.min(...lines.keys());
  const endLine = Math.max(...lines.keys());
  const text = Array.from({ length: endLine - startLine + 1 }, (_, i) => lines.get(startLine + i) ?? '').join('\n');
  const best = run.reduce((a, b) => (b.score > a.score ? b : a));
  return {
    n: 0,
    path: best.hit.path,
    language: best.hit.language,
    startLine,
    endLine,
    // A header (e.g. the class signature) only helps when the range does not already start at it.
    header: run.length === 1 ? best.hit.header : undefined,
    text,
    symbol: best.hit.symbol,
    headingPath: best.hit.headingPath,
    // The run is as relevant as its best part. A bonus for its other parts lifted merged runs above better single hits
    // elsewhere (bench/quality.ts: MRR 0.52 with a quarter of each part's score added, 0.56 without).
    score: best.score,
    via: unique(run.flatMap((c) => [...c.via])),
    focus: { startLine: best.hit.startLine, endLine: best.hit.endLine },
  };
}


/** An oversized best source is trimmed to this share of the budget, leaving room for other sources. */
const TRIMMED_SHARE = 0.6;

/** Best sources first, each whole, until the budget is spent; an oversized best source is trimmed rather than left out. */
export function pack(sources: Source[], budgetTokens: number, maxSources: number): { sources: Source[]; usedTokens: number } {
  const packed: Source[] = [];
  let used = 0;
  for (const source of sources) {
    if (packed.length >= maxSources) break;
    const cost = sourceTokens(source);
    if (used + cost <= budgetTokens) {
      packed.push(source);
      used += cost;
    } else if (packed.length === 0) {
      const trimmed = trimToBudget(source, Math.floor(budgetTokens * TRIMMED_SHARE));
      if (trimmed) {
        packed.push(trimmed);
        used += sourceTokens(trimmed);
      }
    }
  }
  packed.forEach((s, i) => (s.n = i + 1));
  return { sources: packed, usedTokens: used };
}

/** Drops trailing lines until the source fits, keeping its line range exact. */
function trimToBudget(source: Source, budgetTokens: number): Source | undefined {
  const lines = source.text.split('\n');
  // Start from a token-proportional estimate, then walk down: cheaper than re-counting for every line.
  const total = Math.max(1, countTokens(source.text));
  let keep = Math.min(lines.length, Math.floor((lines.length * budgetTokens) / total));
  while (keep > 0) {
    const candidate = { ...source, text: lines.slice(0, keep).join('\n'), endLine: source.startLine + keep - 1 };
    if (sourceTokens(candidate) <= budgetTokens) return candidate;
    keep = Math.floor(keep * 0.9);
  }
  return undefined;
}
