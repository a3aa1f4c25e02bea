// LangChain.js on the quality corpus, set up as its documentation shows and as `npm run bench` does (bench/child.ts):
// RecursiveCharacterTextSplitter.fromLanguage (800 characters, 80 overlap), AzureOpenAIEmbeddings pointed at the same
// real-model embedding server as the engine (its one symmetric deployment, as the engine uses), and
// Neo4jVectorStore on a label and index of its own in the same Neo4j.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import neo4j from 'neo4j-driver';
import { z } from 'zod';
import { Neo4jVectorStore } from '@langchain/community/vectorstores/neo4j_vector';
import { RecursiveCharacterTextSplitter, type SupportedTextSplitterLanguage } from '@langchain/textsplitters';
import type { Document } from '@langchain/core/documents';
import type { Neo4jConfig } from '../../src/core/config';
import { TimedAzureEmbeddings } from '../langchain';
import { API_VERSION, LANGCHAIN_CHUNK_OVERLAP, LANGCHAIN_CHUNK_SIZE, listFiles } from '../shared';
import type { RealEmbeddingServer } from './embeddingServer';

/** Owned by this benchmark alone (not the labels of `npm run bench`), so clean-up touches nothing else. */
const LABEL = 'LangChainQualityChunk';
const INDEX = 'langchain_quality_vector';

/** LangChain's language-aware splitter per extension: 'js' for the CommonJS sources and the .d.ts typings. */
const SPLITTER_LANGUAGE: Record<string, SupportedTextSplitterLanguage> = { '.js': 'js', '.ts': 'js', '.md': 'markdown' };
const LANGUAGE: Record<string, string> = { '.js': 'javascript', '.ts': 'typescript', '.md': 'markdown' };

export interface LangChainHit {
  path: string;
  startLine: number;
  endLine: number;
  language: string;
  text: string;
  score: number;
}

export interface LangChainIndex {
  documents: number;
  /** Wall time of read + split + fromDocuments, and the part of it inside embedDocuments; 0 when the index was kept. */
  ms: number;
  embedMs: number;
  reused: boolean;
  search(query: string, k: number): Promise<LangChainHit[]>;
  /** Deletes the label's nodes and the index (unless `keep`), and closes the driver. */
  close(keep: boolean): Promise<void>;
}

function embeddingsFor(server: RealEmbeddingServer): TimedAzureEmbeddings {
  return new TimedAzureEmbeddings({
    azureOpenAIApiKey: server.apiKey,
    azureOpenAIBasePath: `${server.url}/openai/deployments`,
    azureOpenAIApiDeploymentName: server.deployments.symmetric,
    azureOpenAIApiVersion: API_VERSION,
    dimensions: server.dimensions,
    // The server embeds one request at a time on every core (as the engine is configured for it): batches of 32, one
    // in flight, so no request waits behind the others until its timeout.
    batchSize: 32,
    maxConcurrency: 1,
    timeout: 300_000,
  });
}

const storeConfig = (cfg: Neo4jConfig) => ({
  url: cfg.uri,
  username: cfg.username,
  password: cfg.password,
  database: cfg.database,
  indexName: INDEX,
  nodeLabel: LABEL,
  textNodeProperty: 'text',
  embeddingNodeProperty: 'embedding',
  searchType: 'vector' as const,
});

async function countDocuments(cfg: Neo4jConfig): Promise<number> {
  const driver = neo4j.driver(cfg.uri, neo4j.auth.basic(cfg.username, cfg.password));
  try {
    const { records } = await driver.executeQuery(`MATCH (n:${LABEL}) RETURN count(n) AS n`, {}, { database: cfg.database });
    return Number(records[0].get('n'));
  } finally {
    await driver.close();
  }
}

async function dropAll(cfg: Neo4jConfig): Promise<void> {
  const driver = neo4j.driver(cfg.uri, neo4j.auth.basic(cfg.username, cfg.password));
  // CALL { } IN TRANSACTIONS needs an auto-commit transaction: session.run, not executeQuery's managed one.
  const session = driver.session({ database: cfg.database });
  try {
    await session.run(`MATCH (n:${LABEL}) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS`);
    await session.run(`DROP INDEX ${INDEX} IF EXISTS`);
  } finally {
    await session.close();
    await driver.close();
  }
}

async function split(root: string): Promise<Document[]> {
  const splitters = new Map<string, RecursiveCharacterTextSplitter>();
  const docs: Document[] = [];
  for (const rel of await listFiles(root)) {
    const text = await fs.readFile(path.join(root, rel), 'utf8');
    const ext = path.extname(rel);
    let splitter = splitters.get(ext);
    if (!splitter) {
      const options = { chunkSize: LANGCHAIN_CHUNK_SIZE, chunkOverlap: LANGCHAIN_CHUNK_OVERLAP };
      splitter = SPLITTER_LANGUAGE[ext] ? RecursiveCharacterTextSplitter.fromLanguage(SPLITTER_LANGUAGE[ext], options) : new RecursiveCharacterTextSplitter(options);
      splitters.set(ext, splitter);
    }
    for (const doc of await splitter.createDocuments([text], [{ source: rel }])) {
      // The splitter nests line numbers as metadata.loc.lines; Neo4j properties cannot hold maps, so flatten them.
      const lines = z.object({ from: z.number(), to: z.number() }).parse(doc.metadata.loc?.lines);
      doc.metadata = { source: rel, startLine: lines.from, endLine: lines.to };
      docs.push(doc);
    }
  }
  return docs;
}

const metadata = z.object({ source: z.string(), startLine: z.coerce.number(), endLine: z.coerce.number() });

/**
 * Indexes `root` (every file in it: the pruned corpus) unless `reuse` and the label already holds documents (a run with
 * --keep before); then queries go through Neo4jVectorStore.similaritySearchWithScore.
 */
export async function langchainIndex(cfg: Neo4jConfig, server: RealEmbeddingServer, root: string, reuse: boolean, log: (m: string) => void): Promise<LangChainIndex> {
  const embeddings = embeddingsFor(server);
  const existing = reuse ? await countDocuments(cfg) : 0;
  let store: Neo4jVectorStore;
  let ms = 0;
  let documents = existing;
  if (existing > 0) {
    log(`LangChain.js: reusing the ${existing} documents kept by an earlier run`);
    store = await Neo4jVectorStore.fromExistingIndex(embeddings, storeConfig(cfg));
  } else {
    await dropAll(cfg);
    const t0 = performance.now();
    const docs = await split(root);
    documents = docs.length;
    log(`LangChain.js: ${docs.length} documents; embedding them through AzureOpenAIEmbeddings and writing with fromDocuments…`);
    store = await Neo4jVectorStore.fromDocuments(docs, embeddings, storeConfig(cfg));
    ms = performance.now() - t0;
  }
  return {
    documents,
    ms,
    embedMs: embeddings.ms,
    reused: existing > 0,
    async search(query, k) {
      const results = await store.similaritySearchWithScore(query, k);
      return results.map(([doc, score]) => {
        const m = metadata.parse(doc.metadata);
        return { path: m.source, startLine: m.startLine, endLine: m.endLine, language: LANGUAGE[path.extname(m.source)] ?? 'text', text: doc.pageContent, score };
      });
    },
    async close(keep) {
      await store.close();
      if (!keep) await dropAll(cfg);
    },
  };
}
