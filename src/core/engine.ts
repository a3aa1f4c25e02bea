// Builds the engine's services from one parsed configuration. The CLI and the extension each call this once.
import type { EngineConfig } from './config';
import type { FileSystem } from './types';
import { Neo4jStore } from './store';
import { Embedder } from './embed';
import { ChatClient } from './generate';
import { Indexer } from './indexer';
import { WorkerChunker } from './chunk/chunker';
import { Retriever } from './retrieve';
import { Asker } from './answer';

export interface Engine {
  store: Neo4jStore;
  indexer: Indexer;
  retriever: Retriever;
  asker: Asker;
  /** Which optional services are configured, for the labelled keyword-only and retrieval-only modes. */
  capabilities: { embeddings: boolean; generation: boolean };
  close(): Promise<void>;
}

export async function openEngine(config: EngineConfig, fs: FileSystem): Promise<Engine> {
  const store = await Neo4jStore.connect(config.neo4j, { maxChunksPerTransaction: config.indexing.writeBatchChunks });
  try {
    await store.ensureSchema(config.embedding?.dimensions ?? null);
  } catch (error) {
    await store.close();
    throw error;
  }
  const embedder = config.embedding && new Embedder(config.embedding);
  const chat = config.chat && new ChatClient(config.chat);
  const retriever = new Retriever(store, embedder, config.retrieval);
  const chunker = new WorkerChunker();
  return {
    store,
    indexer: new Indexer(store, embedder, fs, config.indexing, chunker),
    retriever,
    asker: new Asker(retriever, chat, config.chat),
    capabilities: { embeddings: Boolean(embedder), generation: Boolean(chat) },
    close: async () => {
      await chunker.close();
      await store.close();
    },
  };
}
