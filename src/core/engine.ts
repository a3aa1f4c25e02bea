// The engine's API, and the one place that builds its services from a parsed configuration. Hosts (the CLI, the
// extension, tests) call only this API: index, ask, search, status, overview, pending changes, clear. The store stays
// inside.
import * as path from 'node:path';
import { EntraTokens, type TokenProvider } from './auth';
import { usesEntra, type EngineConfig } from './config';
import type { FileSystem } from './types';
import { DimensionMismatchError, Neo4jStore } from './store';
import { Embedder } from './embed';
import { ChatClient } from './generate';
import { GenerationSession } from './generate/session';
import { PromptSpeed } from './generate/speed';
import { Indexer, type IndexOptions, type IndexReport } from './indexer';
import { InThreadChunker, WorkerChunker } from './chunk/chunker';
import { checkQuestion, Retriever, type Retrieval } from './retrieve';
import { Asker, type Answer, type AskOptions } from './answer';
import { discover } from './discover';
import { Leases } from './indexer/leases';
import { plan } from './indexer/plan';
import { workspaceOverview, type WorkspaceOverview } from './overview';
import type { Store, WorkspaceStatus } from './ports';
import { checkRoots, type WorkspaceSpec } from './workspace';

// The store's failures that hosts phrase for their users; hosts never import the store itself.
export { DimensionMismatchError, StoreUnavailableError } from './store';
export type { WorkspaceOverview } from './overview';

/** What `clear` removes: one workspace, or every workspace and the vector index (to change the embedding size). */
export type ClearScope = { workspace: WorkspaceSpec } | 'everything';

export interface SearchOptions {
  /** Tokens the packed sources may take; by default what a BitNet prompt leaves for them. */
  budgetTokens?: number;
  signal?: AbortSignal;
}

export interface Engine {
  /** Which optional services are configured, for the labelled keyword-only and retrieval-only modes. */
  readonly capabilities: { embeddings: boolean; generation: boolean };
  /** An incremental run (or a full re-read with `force`); one file's failure never stops it. */
  index(ws: WorkspaceSpec, options?: IndexOptions): Promise<IndexReport>;
  /** Retrieval and a streamed answer with citations (retrieval-only without a chat endpoint). */
  ask(ws: WorkspaceSpec, question: string, options?: AskOptions): Promise<Answer>;
  /** Retrieval alone: the packed, numbered sources, without generation. */
  search(ws: WorkspaceSpec, query: string, options?: SearchOptions): Promise<Retrieval>;
  status(ws: WorkspaceSpec): Promise<WorkspaceStatus>;
  /** What the index is about (the README's title and headings, the largest top-level folders, symbols it names), for first questions. */
  overview(ws: WorkspaceSpec): Promise<WorkspaceOverview>;
  /** Files that the next run would read or remove: the same decision the indexer makes (`plan`). */
  pendingChanges(ws: WorkspaceSpec): Promise<number>;
  clear(scope: ClearScope): Promise<void>;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** A folder of the host's for what outlives a process: vectors paid for but not yet written (an outage, a cancel). */
  cacheDir?: string;
  /** Where `tree-sitter.wasm` and the grammars are (the extension ships them in dist/grammars); by default the installed package. */
  grammarDir?: string;
  /** Opens the store; tests and benchmarks may pass their own. Defaults to Neo4j with the configured credentials. */
  openStore?: (config: EngineConfig) => Promise<Store>;
  /**
   * The host's Microsoft Entra ID sign-in, required when the embeddings' auth or the chat's auth style is `entra`
   * (the extension: VS Code's Microsoft account; the CLI: @azure/identity). Asked again before a token expires.
   */
  tokenProvider?: TokenProvider;
}

export async function openEngine(config: EngineConfig, fs: FileSystem, options: EngineOptions = {}): Promise<Engine> {
  if (usesEntra(config) && !options.tokenProvider) throw new Error('The configuration signs in with Microsoft Entra ID (auth "entra"), but the host gave the engine no token provider.');
  // One token for both services: Azure OpenAI and Azure AI Foundry share the Cognitive Services scope.
  const entraTokens = options.tokenProvider && usesEntra(config) ? new EntraTokens(options.tokenProvider) : undefined;
  const store = await (options.openStore ?? openNeo4jStore)(config);
  const embedder = config.embedding && new Embedder(config.embedding, { entraTokens });
  const chat = config.chat && new ChatClient(config.chat, entraTokens);
  const retriever = new Retriever(store, embedder, config.retrieval);
  const { grammarDir } = options;
  const chunker = new WorkerChunker({ grammarDir });
  const indexer = new Indexer(store, embedder, fs, config.indexing, {
    bulk: chunker,
    inThread: new InThreadChunker({ grammarDir }),
    unwrittenVectorsFile: options.cacheDir && path.join(options.cacheDir, 'unwritten-vectors.json'),
  });
  // The prompt speed each endpoint showed is kept for the next start; without a cache folder it is learned per process.
  const speed = new PromptSpeed(options.cacheDir && path.join(options.cacheDir, 'prompt-speed.json'));
  const generation = chat && config.chat && new GenerationSession(chat, speed, config.chat.endpoint, config.chat.firstTokenSeconds);
  const asker = new Asker(retriever, generation, config.chat, embedder ? (id) => store.embeddingBacklog(id) : undefined);
  const leases = new Leases(store);
  // A vector index of another size stops what needs vectors, with the remedy; status and clear keep working, so the
  // remedy (clear everything) can be carried out under the new configuration.
  const configured = config.embedding?.dimensions;
  const checkDimensions = async () => {
    const existing = configured === undefined ? null : await store.vectorDimensions();
    if (existing !== null && existing !== configured) throw DimensionMismatchError.of(existing, configured!);
  };
  return {
    capabilities: { embeddings: Boolean(embedder), generation: Boolean(chat) },
    index: async (ws, o = {}) => {
      await checkDimensions();
      return leases.hold(ws.id, o.signal, (signal) => indexer.run(ws, { ...o, signal }));
    },
    ask: async (ws, question, o) => {
      checkQuestion(question); // before anything asks Neo4j
      await checkDimensions();
      return asker.ask(ws.id, question, o);
    },
    // No prompt is sent, so the query's own length takes nothing from the sources: they get what a short question would.
    search: async (ws, query, o = {}) => {
      checkQuestion(query);
      await checkDimensions();
      return retriever.retrieve(ws.id, query, o.budgetTokens ?? asker.sourceBudget(''), o.signal);
    },
    status: (ws) => store.status(ws.id),
    overview: (ws) => workspaceOverview(store, ws.id),
    async pendingChanges(ws) {
      await checkRoots(ws.roots, fs); // a folder that is gone has no "changes": it is unavailable
      const [discovered, stored] = await Promise.all([discover(ws.roots, config.indexing, fs), store.fileStates(ws.id)]);
      const decided = plan(discovered, stored, indexer.chunkerKey, false);
      return decided.read.length + decided.remove.length;
    },
    // A clear stops a run of the same workspace first (in any process) and holds the lease while it deletes.
    async clear(scope) {
      if (scope === 'everything') {
        await leases.stopAndWait(null);
        return store.clearAll();
      }
      const { id } = scope.workspace;
      await store.requestStop(id);
      return leases.hold(id, undefined, () => store.clearWorkspace(id));
    },
    async close() {
      await chunker.close();
      await store.close();
    },
  };
}

/** Neo4j with its constraints and full-text index; the vector index is made when the first embeddings are written. */
async function openNeo4jStore(config: EngineConfig): Promise<Store> {
  const store = await Neo4jStore.connect(config.neo4j, { maxChunksPerTransaction: config.indexing.writeBatchChunks });
  try {
    await store.ensureSchema(null);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
