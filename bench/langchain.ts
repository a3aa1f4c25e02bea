// LangChain.js set up the way its documentation shows: AzureOpenAIEmbeddings pointed at the same local Azure server
// as the engine, and Neo4jVectorStore on a label and index of its own.
import { performance } from 'node:perf_hooks';
import { AzureOpenAIEmbeddings } from '@langchain/openai';
import type { EngineConfig } from '../src/core/config';
import { API_KEY, API_VERSION, DEPLOYMENT, DIMENSIONS, LANGCHAIN_INDEX, LANGCHAIN_LABEL } from './shared';

/** AzureOpenAIEmbeddings with its embedDocuments timed (one call per addDocuments). */
export class TimedAzureEmbeddings extends AzureOpenAIEmbeddings {
  ms = 0;
  override async embedDocuments(texts: string[]): Promise<number[][]> {
    const t0 = performance.now();
    try {
      return await super.embedDocuments(texts);
    } finally {
      this.ms += performance.now() - t0;
    }
  }
}

export function langchainEmbeddings(embeddingUrl: string): TimedAzureEmbeddings {
  return new TimedAzureEmbeddings({
    azureOpenAIApiKey: API_KEY,
    azureOpenAIBasePath: `${embeddingUrl}/openai/deployments`,
    azureOpenAIApiDeploymentName: DEPLOYMENT,
    azureOpenAIApiVersion: API_VERSION,
    dimensions: DIMENSIONS,
    // The Azure class sends one input per request by default; 512 is OpenAIEmbeddings' default and far kinder to it.
    batchSize: 512,
  });
}

export function langchainStoreConfig(cfg: EngineConfig) {
  return {
    url: cfg.neo4j.uri,
    username: cfg.neo4j.username,
    password: cfg.neo4j.password,
    database: cfg.neo4j.database,
    indexName: LANGCHAIN_INDEX,
    nodeLabel: LANGCHAIN_LABEL,
    textNodeProperty: 'text',
    embeddingNodeProperty: 'embedding',
    searchType: 'vector' as const,
  };
}

