// End-to-end check of the real-model embedding server through the engine's own client (src/core/embed.ts): starts
// the server, embeds questions and passages through Embedder, prints their cosine similarities, fails unless each
// question's related passage scores highest, then measures throughput on ~300-token chunks of this repository's code.
//
//   npx tsx bench/quality/embeddingServer.check.ts [e5|minilm|all] [--chunks N]      (defaults: all, 48 chunks)
import fs from 'node:fs';
import path from 'node:path';
import { Embedder } from '../../src/core/embed';
import { countTokens } from '../../src/core/tokens';
import { startRealEmbeddingServer, type RealEmbeddingModel, type RealEmbeddingServer } from './embeddingServer';
import { cosine } from '../../test/servers/text';

const QUESTIONS = [
  'How do I set the password for the Neo4j database?',
  'What happens when Azure throttles the embedding requests?',
  'Where are long lines split into parts?',
];
/** PASSAGES[i] answers QUESTIONS[i]; the last ones answer none. */
const PASSAGES = [
  'Set NEO4J_PASSWORD to the database user password before running workspace-rag index; the URI defaults to neo4j://127.0.0.1:7687.',
  'A 429 response carries retry-after-ms or retry-after; every worker pauses until then, and a wait longer than two minutes fails the run.',
  'A line longer than the token budget becomes several chunks of that line, each with the column where it starts (longLines.ts).',
  'The chat panel renders citations as chips; clicking one opens the cited lines in the editor.',
  'Mount Everest is the highest mountain above sea level.',
];

/** Consecutive lines of this repository's engine sources, up to 300 cl100k tokens each. */
function codeChunks(count: number): string[] {
  const dir = path.resolve(__dirname, '..', '..', 'src', 'core');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  const chunks: string[] = [];
  for (const f of files) {
    let cur: string[] = [];
    let tokens = 0;
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const t = countTokens(line + '\n');
      if (tokens + t > 300 && cur.length > 0) {
        if (tokens >= 200) chunks.push(cur.join('\n'));
        if (chunks.length >= count) return chunks;
        cur = [];
        tokens = 0;
      }
      cur.push(line);
      tokens += t;
    }
  }
  return chunks;
}

async function check(model: RealEmbeddingModel, chunkCount: number): Promise<boolean> {
  const started = Date.now();
  let server: RealEmbeddingServer | undefined;
  try {
    server = await startRealEmbeddingServer({ model });
    console.log(`\n${server.modelName} (${server.dimensions} dimensions) at ${server.url}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const queries = new Embedder(server.embeddingConfig('query'));
    const passages = new Embedder(server.embeddingConfig('passage'));
    const symmetric = new Embedder(server.embeddingConfig('symmetric'));
    // The first layout is the one the check requires; the others are shown for comparison.
    const layouts: Array<[string, Embedder, Embedder]> =
      model === 'e5'
        ? [
            [`questions via ${server.deployments.query}, passages via ${server.deployments.passage}`, queries, passages],
            [`both via ${server.deployments.symmetric} (one deployment, as the engine does today; not required)`, symmetric, symmetric],
          ]
        : [[`both via ${server.deployments.symmetric}`, symmetric, symmetric]];
    let ok = true;
    for (const [k, [label, q, p]] of layouts.entries()) {
      const qv = (await q.embed(QUESTIONS)).vectors;
      const pv = (await p.embed(PASSAGES)).vectors;
      console.log(`  ${label}: cosine (rows: questions, columns: passages 1-${PASSAGES.length}; * = the related one)`);
      QUESTIONS.forEach((question, i) => {
        const scores = pv.map((v) => cosine(qv[i], v));
        const best = scores.indexOf(Math.max(...scores));
        if (best !== i && k === 0) ok = false;
        const cells = scores.map((s, j) => `${s.toFixed(3)}${j === i ? '*' : ' '}`).join(' ');
        console.log(`    ${cells}  ${best === i ? 'ok  ' : 'MISS'} ${question}`);
      });
    }

    const chunks = codeChunks(chunkCount);
    const tokens = chunks.reduce((n, c) => n + countTokens(c), 0);
    const t0 = performance.now();
    const result = await passages.embed(chunks);
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `  throughput: ${chunks.length} code chunks of ${Math.round(tokens / chunks.length)} cl100k tokens on average in ${seconds.toFixed(1)} s: ` +
        `${(chunks.length / seconds).toFixed(1)} texts/s, ${Math.round(tokens / seconds)} cl100k tokens/s (server counted ${result.tokens} model tokens)`,
    );
    return ok;
  } finally {
    await server?.close();
  }
}

async function main() {
  const args = process.argv.slice(2);
  const which = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'all';
  const n = args.indexOf('--chunks');
  const chunkCount = n >= 0 ? Number(args[n + 1]) : 48;
  if (!['e5', 'minilm', 'all'].includes(which) || !Number.isInteger(chunkCount) || chunkCount < 1) {
    console.error('usage: embeddingServer.check.ts [e5|minilm|all] [--chunks N]');
    process.exit(2);
  }
  const models: RealEmbeddingModel[] = which === 'all' ? ['e5', 'minilm'] : [which as RealEmbeddingModel];
  let ok = true;
  for (const m of models) ok = (await check(m, chunkCount)) && ok;
  console.log(ok ? '\nevery question ranks its related passage first' : '\nsome question does not rank its related passage first');
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
