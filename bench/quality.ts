// Retrieval quality of the fusion choices, on a real codebase: this repository's own src/, docs/ and sample workspace,
// with questions whose answer is a known line. Compares each leg alone, max-normalised fusion (what neo4j-graphrag
// does) and reciprocal rank fusion, with and without the graph expansion, packing and range merging of the retriever.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Embedder } from '../src/core/embed';
import type { Neo4jStore } from '../src/core/store';
import { fuse, type Retriever } from '../src/core/retrieve';
import { keywordsOf } from '../src/core/words';
import type { Indexer } from '../src/core/indexer';
import type { WorkspaceSpec } from '../src/core/workspace';
import type { Hit } from '../src/core/types';
import type { Row } from './table';

/** A question and the line that answers it (a hit is a result of that file whose range holds the line). */
interface Probe {
  question: string;
  path: string;
  needle: string;
}

const PROBES: Probe[] = [
  { question: 'Where are Lucene special characters escaped in full-text queries?', path: 'src/core/store/lucene.ts', needle: 'export function escapeLucene' },
  { question: 'Which constant does reciprocal rank fusion use?', path: 'src/core/retrieve.ts', needle: 'const RRF_K = 60' },
  { question: 'What is the default chunk budget in tokens?', path: 'src/core/config.ts', needle: 'chunkTokens: z.number()' },
  { question: 'How are citations of sources that do not exist dropped from the streamed answer?', path: 'src/core/generate/citations.ts', needle: 'export class CitationParser' },
  { question: 'Which stored files are removed from the index after a run?', path: 'src/core/indexer/plan.ts', needle: 'function removedPaths' },
  { question: 'What error is raised when the vector index has other dimensions?', path: 'src/core/store/schema.ts', needle: 'export class DimensionMismatchError' },
  { question: 'How does the retriever find code identifiers in a question?', path: 'src/core/retrieve.ts', needle: 'export function identifiersIn' },
  { question: 'How much chat history is kept for a follow-up question?', path: 'src/core/answer.ts', needle: 'export function fitHistory' },
  { question: 'What happens with a stray backtick in a streamed answer?', path: 'src/core/generate/citations.ts', needle: 'function inlineSpanEnd' },
  { question: 'How is the wait after a 429 computed from retry-after-ms?', path: 'src/core/retryAfter.ts', needle: 'retry-after-ms' },
  { question: 'How are binary, minified and invalid UTF-8 files detected?', path: 'src/core/discover/content.ts', needle: 'export function classifyContent' },
  { question: 'How are overlapping line ranges of one file merged into one source?', path: 'src/core/retrieve.ts', needle: 'export function mergeRanges' },
  { question: 'Which question words are dropped before the full-text search?', path: 'src/core/words.ts', needle: 'export function keywordsOf' },
  { question: 'How often does Pebble write snapshots to disk?', path: 'samples/demo-workspace/docs/configuration.md', needle: 'PEBBLE_SNAPSHOT_INTERVAL_SECONDS` sets' },
  { question: 'How do I build the pebblectl binary?', path: 'samples/demo-workspace/docs/install.md', needle: 'go build -o pebblectl' },
  { question: 'What does evictIfNeeded do when the memory cap is reached?', path: 'samples/demo-workspace/src/store.ts', needle: 'private evictIfNeeded' },
  { question: 'How are expired keys dropped from old snapshots?', path: 'samples/demo-workspace/tools/compact.py', needle: 'def compact_snapshot' },
  { question: 'How is a snapshot written atomically?', path: 'samples/demo-workspace/src/snapshot.ts', needle: 'export async function writeSnapshot' },
  { question: 'Which URL does pebblectl talk to by default?', path: 'samples/demo-workspace/cmd/pebblectl/main.go', needle: 'func serverURL' },
  { question: 'How does Pebble recover after a crash?', path: 'samples/demo-workspace/docs/snapshots.md', needle: '## Recovery' },
];

interface Ranked {
  path: string;
  startLine: number;
  endLine: number;
}

/** Reciprocal rank (1/rank of the first result holding the answer line), 0 when it is not among the results. */
function reciprocalRank(results: Ranked[], target: { path: string; line: number }): number {
  const i = results.findIndex((r) => r.path === target.path && r.startLine <= target.line && target.line <= r.endLine);
  return i < 0 ? 0 : 1 / (i + 1);
}

/** neo4j-graphrag's hybrid fusion: each leg's scores divided by that leg's best, then the best per chunk. */
function maxNormalised(legs: Hit[][]): Hit[] {
  const best = new Map<string, Hit>();
  for (const hits of legs) {
    const top = Math.max(...hits.map((h) => h.score), Number.MIN_VALUE);
    for (const h of hits) {
      const score = h.score / top;
      if (score > (best.get(h.id)?.score ?? -1)) best.set(h.id, { ...h, score });
    }
  }
  return [...best.values()].sort((a, b) => b.score - a.score);
}

export async function measureFusion(deps: {
  store: Neo4jStore;
  embedder: Embedder;
  retriever: Retriever;
  indexer: Indexer;
  ws: WorkspaceSpec;
  candidateK: number;
}): Promise<{ rows: Row[]; chunks: number }> {
  const { store, embedder, retriever, ws } = deps;
  const report = await deps.indexer.run(ws);
  if (report.error) throw new Error(`indexing the repository for the quality probes failed: ${report.error.message}`);
  const variants: Record<string, number[]> = { vector: [], fulltext: [], maxnorm: [], rrf: [], retriever: [] };
  for (const probe of PROBES) {
    const lines = (await fs.readFile(path.join(ws.roots[0].path, probe.path), 'utf8')).split('\n');
    const line = lines.findIndex((l) => l.includes(probe.needle)) + 1;
    if (line === 0) throw new Error(`quality probe: "${probe.needle}" is not in ${probe.path} any more`);
    const target = { path: probe.path, line };
    const vector = await store.vectorSearch(ws.id, (await embedder.embed([probe.question])).vectors[0], deps.candidateK);
    const fulltext = await store.fulltextSearch(ws.id, keywordsOf(probe.question), deps.candidateK);
    const rrf = [...fuse([{ name: 'vector', hits: vector, weight: 1 }, { name: 'fulltext', hits: fulltext, weight: 1 }]).values()]
      .sort((a, b) => b.score - a.score)
      .map((c) => c.hit);
    const sources = (await retriever.retrieve(ws.id, probe.question, 3000)).sources;
    variants.vector.push(reciprocalRank(vector, target));
    variants.fulltext.push(reciprocalRank(fulltext, target));
    variants.maxnorm.push(reciprocalRank(maxNormalised([vector, fulltext]), target));
    variants.rrf.push(reciprocalRank(rrf, target));
    variants.retriever.push(reciprocalRank(sources, target));
  }
  const names: Record<string, string> = {
    vector: 'Vector leg alone',
    fulltext: 'Full-text leg alone (question words dropped)',
    maxnorm: 'Max-normalised fusion (neo4j-graphrag style)',
    rrf: 'Reciprocal rank fusion, k = 60 (chosen)',
    retriever: 'Retriever: RRF + symbols + graph expansion, merged and packed',
  };
  const rows: Row[] = [{ section: `Retrieval quality: ${PROBES.length} questions with a known answer line, on this repository's src/, docs/ and sample` }];
  for (const [key, ranks] of Object.entries(variants)) {
    const at = (k: number) => ranks.filter((r) => r >= 1 / k).length;
    const mrr = ranks.reduce((a, b) => a + b, 0) / ranks.length;
    const caveat = key === 'vector' ? '; the local server embeds by hashed bag of words, a floor for a real embedding model' : '';
    rows.push({ name: names[key], value: mrr.toFixed(2), unit: 'MRR', note: `answer first ${at(1)}/${ranks.length}, in the top 5 ${at(5)}/${ranks.length}${caveat}` });
  }
  return { rows, chunks: report.chunks.written };
}
