// The quality benchmark's report as Markdown (bench/quality/results.md and stdout): the overall table, issue 9's
// targets, per question type, the unanswerable questions, and every question's ranks for whoever tunes the retriever.
import { mean, percentile, rankSummary } from './metrics';
import type { QualityQuestion, QuestionType } from './questions';

export type ApproachId = 'vector' | 'fulltext' | 'symbol' | 'retriever' | 'retriever-full' | 'keyword' | 'langchain';

/** What one approach did with one question. */
export interface Outcome {
  /** 1-based rank of the first result overlapping the gold, among everything the approach ranked; undefined: none. */
  rank?: number;
  /** Share of the gold lines inside the sources sent (answerable questions). */
  recall?: number;
  /** The approach's best score, in its own units (Neo4j's vector score, Lucene's, the retriever's fused score). */
  topScore?: number;
  /** Sources in the first prompt. */
  sent: number;
  /** The first prompt's tokens as the server renders it (chat template included). */
  promptTokens?: number;
  /** Prompt tokens the server had to process (not in its cache): first question, then the follow-up. */
  firstProcessed?: number;
  followUpProcessed?: number;
  /** The engine's own count of the follow-up's new tokens (what it budgets with). */
  engineFollowUpNewTokens?: number;
  /** Tokens of the first source sent (the engine sends at least one whatever the budget). */
  firstSourceTokens?: number;
  /** The engine's weak-match mark, when it has one. */
  weak?: boolean;
  /** The engine's answer mode: generated, retrieval-only, no-sources. */
  mode?: string;
  /** A fallback the engine took (keyword-only for this question, retrieval-only). */
  fallback?: string;
  error?: string;
}

export interface RunInfo {
  date: Date;
  model: string;
  modelName: string;
  dimensions: number;
  deployment: string;
  corpusFiles: number;
  /** The engine's chunks and Symbol nodes of the workspace. */
  chunks: number;
  symbols: number;
  engineIndex: { ms: number; chunksWritten: number; embedded: number };
  langchain: { documents: number; ms: number; embedMs: number; reused: boolean };
  questionsMs: number;
  totalMs: number;
  neo4j: string;
  node: string;
  /** The commit measured. */
  engine: string;
  cpu: string;
  load: { start: number; end: number };
  p: number;
  firstTokenSeconds: number;
  fullContextSeconds: number;
  legK: number;
  symbolLimit: number;
  promptK: number;
  followUpExample?: { question: string; followUp: string };
  limited: boolean;
}

const APPROACHES: Array<{ id: ApproachId; label: string }> = [
  { id: 'retriever', label: 'Retriever, 8 s first-token budget (as shipped)' },
  { id: 'retriever-full', label: 'Retriever, full-context packing (recall baseline)' },
  { id: 'keyword', label: 'Keyword-only mode (no embeddings), 8 s budget' },
  { id: 'vector', label: 'Vector leg alone' },
  { id: 'fulltext', label: 'Full-text leg alone' },
  { id: 'symbol', label: 'Symbol leg alone' },
  { id: 'langchain', label: 'LangChain.js Neo4jVectorStore, k = 5' },
];
const SHORT: Record<ApproachId, string> = {
  retriever: 'retriever 8 s',
  'retriever-full': 'full ctx',
  keyword: 'keyword',
  vector: 'vector',
  fulltext: 'full-text',
  symbol: 'symbol',
  langchain: 'LangChain',
};
const ANSWERABLE: QuestionType[] = ['how-to', 'where-is', 'behaviour', 'symbol', 'special-characters'];

const f2 = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(2));
const secs = (tokens: number | undefined, p: number) => (tokens === undefined ? '–' : `${(tokens / p).toFixed(1)} s`);
const int = (x: number | undefined) => (x === undefined ? '–' : String(Math.round(x)));
const defined = (xs: Array<number | undefined>) => xs.filter((x): x is number => x !== undefined);
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (headers: string[], rows: string[][], align: Array<'l' | 'r'> = []) => [
  `| ${headers.map(esc).join(' | ')} |`,
  `|${headers.map((_, i) => (align[i] === 'r' ? ' ---: ' : ' --- ')).join('|')}|`,
  ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
];

export function renderReport(info: RunInfo, questions: QualityQuestion[], outcomes: Map<ApproachId, Map<string, Outcome>>): string {
  const answerable = questions.filter((q) => q.type !== 'unanswerable');
  const unanswerable = questions.filter((q) => q.type === 'unanswerable');
  const of = (a: ApproachId, qs: QualityQuestion[]) => qs.map((q) => outcomes.get(a)?.get(q.id)).filter((o): o is Outcome => o !== undefined);
  const summary = (a: ApproachId, qs: QualityQuestion[]) => {
    const os = of(a, qs);
    return { ...rankSummary(os.map((o) => o.rank)), recall: mean(defined(os.map((o) => o.recall))) };
  };
  const prompts = (a: ApproachId) => of(a, questions).filter((o) => o.firstProcessed !== undefined);

  const out: string[] = [];
  const byType = ANSWERABLE.map((t) => `${t} ${questions.filter((q) => q.type === t).length}`).join(', ');
  out.push(
    '# Retrieval quality on a real model',
    '',
    `Generated by \`npm run bench:quality\` on ${info.date.toISOString().slice(0, 10)} (\`--model ${info.model}\`)${info.limited ? `, on the first ${questions.length} questions only` : ''}.`,
    '',
    `- Corpus: fastify@4.28.1 (README.md, fastify.js, fastify.d.ts, docs/**/*.md, lib/**/*.js, types/**/*.d.ts): ${info.corpusFiles} files; the engine's chunker made ${info.chunks} chunks defining ${info.symbols} symbols, LangChain.js's RecursiveCharacterTextSplitter (800 characters, 80 overlap) ${info.langchain.documents} documents.`,
    `- Questions (bench/quality/corpus/questions.json): ${questions.length}, ${answerable.length} answerable (${byType}) and ${unanswerable.length} unanswerable. A retrieved source hits when its path is a gold path and its lines overlap the gold range; hit@k and MRR@5 count the first hit among what the approach ranks (the retriever: Engine.search's merged, packed sources in rank order; the prompt then carries those that fit the first-token budget).`,
    `- Embeddings: ${info.modelName} (${info.dimensions} dimensions) behind the local Azure-protocol server of bench/quality/embeddingServer.ts, deployment \`${info.deployment}\` for questions and passages alike, for every approach.`,
    `- BitNet modelled by the chat test server in CPU-BitNet mode (llama.cpp's prompt cache per slot, its prompt rendering), which answers at once; the time to first token is modelled as the prompt tokens the server had to process (not in its cache) / ${info.p} tok/s (issue 9's P). The engine's prompt speed is pinned at ${info.p} tok/s (prompt-speed.json in its cache folder; the server reports prompt_ms 0, which the engine does not learn from), so its ${info.firstTokenSeconds} s first-token budget is ${info.firstTokenSeconds * info.p} new tokens; "full context" sets firstTokenSeconds to ${info.fullContextSeconds}, so the 4096-token context is the only limit.`,
    `- Each question is asked on a fresh engine and server (a cold cache), then a follow-up on the same engine and server with the question and its answer in the history, as the chat panel sends it. The follow-up is the question's search words in a short sentence${info.followUpExample ? `, e.g. "${info.followUpExample.question}" → "${info.followUpExample.followUp}"` : ''}.`,
    `- Legs alone: Neo4jStore.vectorSearch and fulltextSearch (k = ${info.legK}, the retriever's candidateK; full-text with the retriever's keywordsOf) and symbolDefinitions (the retriever's identifiersIn, limit ${info.symbolLimit}); their prompt, like LangChain.js's, is their top ${info.promptK}, laid out as the engine lays out sources.`,
    `- Engine: commit ${info.engine}.`,
    `- Machine: ${info.cpu}, Node ${info.node}, ${info.neo4j} (a server of its own). 1-minute load average ${info.load.start.toFixed(1)} at the start and ${info.load.end.toFixed(1)} at the end; the embedding model shares the 2 cores with Neo4j, so only the timings below depend on the load, not the table.`,
    '',
    `## All ${answerable.length} answerable questions`,
    '',
  );

  const overallRows = APPROACHES.map(({ id, label }) => {
    const s = summary(id, answerable);
    const ps = prompts(id);
    const p95 = (xs: number[]) => percentile(xs, 0.95);
    const first = defined(ps.map((o) => o.firstProcessed));
    const follow = defined(ps.map((o) => o.followUpProcessed));
    return [
      label,
      `${s.hit1}/${s.n}`,
      `${s.hit5}/${s.n}`,
      f2(s.mrr5),
      f2(s.recall),
      int(percentile(defined(ps.map((o) => o.sent)), 0.5)),
      int(percentile(defined(ps.map((o) => o.promptTokens)), 0.5)),
      `${secs(percentile(first, 0.5), info.p)} (p95 ${secs(p95(first), info.p)})`,
      `${secs(percentile(follow, 0.5), info.p)} (p95 ${secs(p95(follow), info.p)})`,
    ];
  });
  out.push(
    ...table(
      ['Approach', 'hit@1', 'hit@5', 'MRR@5', 'answer-line recall in the prompt', 'sources sent p50', 'prompt tokens p50', 'time to first token, first question p50', 'follow-up p50'],
      overallRows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    'Prompt tokens, sources and times are over every question that sent a prompt (unanswerable ones included); recall is the mean over the answerable questions.',
    '',
  );

  // ---- issue 9's targets
  const r8 = summary('retriever', answerable);
  const full = summary('retriever-full', answerable);
  const lcs = summary('langchain', answerable);
  const ttft = (a: ApproachId, k: 'firstProcessed' | 'followUpProcessed') => {
    const t = percentile(defined(prompts(a).map((o) => o[k])), 0.5);
    return t === undefined ? undefined : t / info.p;
  };
  const first8 = ttft('retriever', 'firstProcessed');
  const follow8 = ttft('retriever', 'followUpProcessed');
  const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? '✓' : '✗');
  const recallGap = r8.recall !== undefined && full.recall !== undefined ? full.recall - r8.recall : undefined;
  out.push(
    '## Issue 9 targets',
    '',
    ...table(
      ['Row', 'Measured', 'Target', ''],
      [
        ['Modelled time to first token, first question, p50 (P = 78 tok/s)', first8 === undefined ? '–' : `${first8.toFixed(1)} s`, '≤ 8 s', mark(first8 === undefined ? undefined : first8 <= 8)],
        ['Modelled time to first token, follow-up on the same topic, p50', follow8 === undefined ? '–' : `${follow8.toFixed(1)} s`, '≤ 3 s', mark(follow8 === undefined ? undefined : follow8 <= 3)],
        ['Prompt tokens per answer, p50', int(percentile(defined(prompts('retriever').map((o) => o.promptTokens)), 0.5)), 'as few as quality allows', ''],
        [
          'Answer-line recall in the prompt: 8 s budget vs full-context packing',
          `${f2(r8.recall)} vs ${f2(full.recall)} (${recallGap === undefined ? '–' : `${recallGap >= 0 ? '−' : '+'}${Math.abs(recallGap).toFixed(2)}`})`,
          'within 0.03',
          mark(recallGap === undefined ? undefined : recallGap <= 0.03),
        ],
        ['hit@5, retriever vs LangChain.js', `${r8.hit5}/${r8.n} vs ${lcs.hit5}/${lcs.n}`, 'higher than LangChain.js', mark(r8.hit5 > lcs.hit5)],
        ['MRR@5, retriever vs LangChain.js', `${f2(r8.mrr5)} vs ${f2(lcs.mrr5)}`, 'higher than LangChain.js', mark(r8.mrr5 > lcs.mrr5)],
      ],
      ['l', 'r', 'l', 'l'],
    ),
    '',
  );

  // ---- per question type
  const types = ANSWERABLE.filter((t) => answerable.some((q) => q.type === t));
  const inType = (t: QuestionType) => answerable.filter((q) => q.type === t);
  out.push(
    '## By question type: MRR@5 (hit@1, hit@5)',
    '',
    ...table(
      ['Approach', ...types.map((t) => `${t} (${inType(t).length})`)],
      APPROACHES.map(({ id, label }) => [
        label,
        ...types.map((t) => {
          const s = summary(id, inType(t));
          return `${f2(s.mrr5)} (${s.hit1}, ${s.hit5})`;
        }),
      ]),
      ['l', ...types.map(() => 'r' as const)],
    ),
    '',
    '## By question type: answer-line recall in the prompt',
    '',
    ...table(
      ['Approach', ...types.map((t) => `${t} (${inType(t).length})`)],
      APPROACHES.map(({ id, label }) => [label, ...types.map((t) => f2(summary(id, inType(t)).recall))]),
      ['l', ...types.map(() => 'r' as const)],
    ),
    '',
  );

  // ---- unanswerable questions
  if (unanswerable.length) {
    out.push(
      `## The ${unanswerable.length} unanswerable questions`,
      '',
      ...table(
        ['Approach', 'top score, unanswerable: p50 / max', 'top score, answerable: p10 / p50', 'unanswerable below the answerable p10', 'sources sent, unanswerable p50', 'weak matches marked'],
        APPROACHES.map(({ id, label }) => {
          const un = defined(of(id, unanswerable).map((o) => o.topScore));
          const an = defined(of(id, answerable).map((o) => o.topScore));
          const p10 = percentile(an, 0.1);
          const below = p10 === undefined ? undefined : un.filter((s) => s < p10).length;
          const weak = of(id, unanswerable).map((o) => o.weak);
          const weakAnswerable = of(id, answerable).map((o) => o.weak);
          const engine = id === 'retriever' || id === 'retriever-full' || id === 'keyword';
          const weakText = !engine
            ? 'n/a'
            : weak.every((w) => w === undefined)
              ? 'no (the engine has no weak-match mark)'
              : `${weak.filter(Boolean).length}/${weak.length} (answerable: ${weakAnswerable.filter(Boolean).length}/${weakAnswerable.length})`;
          const sig = (x: number | undefined) => (x === undefined ? '–' : x.toPrecision(3));
          return [
            label,
            `${sig(percentile(un, 0.5))} / ${sig(un.length ? Math.max(...un) : undefined)}`,
            `${sig(p10)} / ${sig(percentile(an, 0.5))}`,
            below === undefined ? '–' : `${below}/${unanswerable.length}`,
            int(percentile(of(id, unanswerable).map((o) => o.sent), 0.5)),
            weakText,
          ];
        }),
        ['l', 'r', 'r', 'r', 'r', 'l'],
      ),
      '',
      "Scores are each approach's own: Neo4j's vector score ((1 + cosine) / 2) for the vector leg and LangChain.js, Lucene's for full-text, the symbol leg's, and the retriever's fused (reciprocal-rank) score, which says nothing about absolute relevance.",
      '',
    );
  }

  // ---- every question
  const rankCell = (o: Outcome | undefined) => (o?.error ? 'error' : o?.rank === undefined ? '–' : o.rank <= 5 ? String(o.rank) : `(${o.rank})`);
  const cols: ApproachId[] = ['retriever', 'keyword', 'vector', 'fulltext', 'symbol', 'langchain'];
  out.push(
    '<details><summary>Every question: rank of the first gold hit (– none; (n) below the top 5), recall and processed tokens</summary>',
    '',
    ...table(
      ['Question', 'Type', ...cols.map((c) => SHORT[c]), 'recall 8 s / full', 'sources sent 8 s / full', 'tokens processed, first / follow-up (8 s)'],
      questions.map((q) => {
        const o8 = outcomes.get('retriever')?.get(q.id);
        const of_ = outcomes.get('retriever-full')?.get(q.id);
        return [
          q.id,
          q.type,
          ...cols.map((c) => rankCell(outcomes.get(c)?.get(q.id))),
          q.gold.length ? `${f2(o8?.recall)} / ${f2(of_?.recall)}` : '',
          `${o8?.sent ?? '–'} / ${of_?.sent ?? '–'}`,
          `${int(o8?.firstProcessed)} / ${int(o8?.followUpProcessed)}`,
        ];
      }),
    ),
    '',
    '</details>',
    '',
  );

  // ---- notes
  const errors = APPROACHES.flatMap(({ id }) =>
    of(id, questions)
      .map((o, i) => (o.error ? `${SHORT[id]} on ${questions[i].id}: ${o.error}` : undefined))
      .filter((e): e is string => e !== undefined),
  );
  const fallbacks = APPROACHES.flatMap(({ id }) => {
    const hit = of(id, questions).filter((o) => o.fallback);
    return hit.length ? [`${SHORT[id]}: a fallback on ${hit.length} question(s), e.g. ${hit[0].fallback}`] : [];
  });
  const budget = info.firstTokenSeconds * info.p;
  const overBudget = (['retriever', 'keyword'] as const).map((id) => {
    const over = prompts(id).filter((o) => o.firstProcessed! > budget);
    const alone = over.filter((o) => o.sent === 1);
    return `${SHORT[id]} ${over.length}/${prompts(id).length} (${alone.length} of them with a single source of p50 ${int(percentile(defined(alone.map((o) => o.firstSourceTokens)), 0.5))} tokens)`;
  });
  const engineNew = percentile(defined(prompts('retriever').map((o) => o.engineFollowUpNewTokens)), 0.5);
  const lcIndex = info.langchain.reused
    ? 'LangChain.js reused the documents an earlier run kept'
    : `LangChain.js indexed ${info.langchain.documents} documents in ${(info.langchain.ms / 1000).toFixed(0)} s (embedDocuments ${(info.langchain.embedMs / 1000).toFixed(0)} s)`;
  out.push(
    '## Notes',
    '',
    `- Index: the engine wrote ${info.engineIndex.chunksWritten} chunks (${info.engineIndex.embedded} embedded) in ${(info.engineIndex.ms / 1000).toFixed(0)} s; ${lcIndex}. The questions took ${(info.questionsMs / 1000).toFixed(0)} s; the whole run ${(info.totalMs / 1000).toFixed(0)} s.`,
    `- First prompts over the ${info.firstTokenSeconds} s budget (${budget} tokens to process): ${overBudget.join('; ')}. The engine sends at least one source whatever its size.`,
    `- The engine counts the follow-up's new tokens itself (cl100k, its template estimate): p50 ${int(engineNew)} for the 8 s retriever, against the server's processed-token p50 ${int(percentile(defined(prompts('retriever').map((o) => o.followUpProcessed)), 0.5))}.`,
    ...(errors.length ? [`- ${errors.length} failed question(s): ${errors.join('; ')}`] : []),
    ...fallbacks.map((f) => `- ${f}`),
    '',
  );
  return out.join('\n');
}
