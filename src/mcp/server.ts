// The MCP server over the engine: four tools on one workspace, built by the host that starts it (the CLI's
// `workspace-rag mcp`, which passes its configuration loading as `openEngine`). It talks to the engine's API only.
// Every failure is a tool error with the host's remedy, never a crash: the engine is opened on first use and, when
// that fails (a bad variable, Neo4j down), again on the next call, so fixing Neo4j needs no restart of the client.
import { McpServer, type CallToolResult, type ServerContext } from '@modelcontextprotocol/server';
import type { Engine } from '../core/engine';
import type { WorkspaceSpec } from '../core/workspace';
import { askResult, describeRoots, reindexResult, searchResult, statusResult } from './format';
import { indexPaths } from './paths';
import { answerProgress, indexProgress, ProgressReporter } from './progress';
import { askInput, askOutput, reindexInput, reindexOutput, SEARCH_BUDGET_TOKENS, searchInput, searchOutput, statusOutput } from './schemas';

export interface McpHost {
  workspace: WorkspaceSpec;
  /** Opens the engine with the host's configuration; called again after a failure. */
  openEngine: () => Promise<Engine>;
  /** An error's message with the host's remedy (the CLI names the environment variable to set). */
  describeError: (error: unknown) => string;
  /** Resolves links of an absolute path that exists, for reindex's paths (the roots are real paths). */
  realPath: (path: string) => string | undefined;
  version: string;
  /** Where the server's own notes go (stderr: stdout is the protocol). */
  log: (line: string) => void;
}

/** Opens the engine once for all calls; a failed opening is forgotten, so the next call tries again. */
export class EngineHolder {
  private opening: Promise<Engine> | undefined;
  private readonly calls = new Set<Promise<unknown>>();

  constructor(private readonly host: Pick<McpHost, 'openEngine' | 'log' | 'describeError'>) {}

  get(): Promise<Engine> {
    // Through a promise even when openEngine throws at once (a configuration that does not parse).
    this.opening ??= Promise.resolve().then(() => this.host.openEngine()).catch((error: unknown) => {
      this.opening = undefined;
      this.host.log(`could not open the engine: ${this.host.describeError(error)}`);
      throw error;
    });
    return this.opening;
  }

  /** Runs one tool call, so that closing waits for the calls still running (a cancelled run releases its lease). */
  track<T>(call: Promise<T>): Promise<T> {
    this.calls.add(call);
    void call.finally(() => this.calls.delete(call)).catch(() => undefined);
    return call;
  }

  async close(graceMs = 10_000): Promise<void> {
    const grace = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.calls]), grace]);
    const engine = await this.opening?.catch(() => undefined);
    this.opening = undefined;
    await engine?.close().catch(() => undefined);
  }
}

/** Nothing to search yet: the one remedy is the reindex tool. */
class NotIndexedError extends Error {}

export function createServer(host: McpHost, engines: EngineHolder): McpServer {
  const ws = host.workspace;
  const roots = describeRoots(ws);
  const server = new McpServer(
    { name: 'workspace-rag', title: 'Workspace RAG', version: host.version },
    {
      capabilities: { tools: {} },
      instructions:
        `Search and questions over the indexed files of ${roots} (Neo4j hybrid index: vector, full-text and graph). ` +
        'Use search_workspace to find where something is described or implemented when the exact words are unknown (grep finds exact strings); ' +
        'each source is an exact line range of a file with its text. ask_workspace gives a short answer with citations from a small local model (BitNet), or the sources alone. ' +
        'Call reindex after changing files (with their paths, to update only those), and index_status to see what is indexed and whether it is up to date.',
    },
  );

  /** One call: the result as structured content plus text, or a tool error with the host's remedy. */
  const run = (work: () => Promise<{ structured: Record<string, unknown>; text: string; isError?: boolean }>): Promise<CallToolResult> =>
    engines.track(
      work().then(
        ({ structured, text, isError }): CallToolResult => ({ content: [{ type: 'text', text }], structuredContent: structured, ...(isError && { isError }) }),
        (error: unknown): CallToolResult => ({ content: [{ type: 'text', text: error instanceof NotIndexedError ? error.message : host.describeError(error) }], isError: true }),
      ),
    );

  const requireIndexed = async (engine: Engine) => {
    if ((await engine.status(ws)).files === 0) throw new NotIndexedError(`Nothing is indexed for ${roots} yet: call reindex first (the first run indexes the whole workspace).`);
  };

  server.registerTool(
    'search_workspace',
    {
      title: 'Search the workspace',
      description:
        `Hybrid search (meaning and keywords, plus the files they link to) over the indexed files of ${roots}. ` +
        'Returns the most relevant sources, best first: each an exact line range (path, startLine, endLine, 1-based inclusive) with its text and score. No answer is generated.',
      inputSchema: searchInput,
      outputSchema: searchOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, k }, ctx) =>
      run(async () => {
        const engine = await engines.get();
        await requireIndexed(engine);
        return searchResult(query, await engine.search(ws, query, { budgetTokens: SEARCH_BUDGET_TOKENS, signal: ctx.mcpReq.signal }), k);
      }),
  );

  server.registerTool(
    'ask_workspace',
    {
      title: 'Ask about the workspace',
      description:
        `Answers a question about the indexed files of ${roots} with BitNet, citing its sources as [n]; without a BitNet endpoint (or when it fails) the answer is the most relevant sources, labelled retrieval-only. ` +
        'complete is false when the answer was cut off. Slower than search_workspace (a small model on a CPU can take tens of seconds).',
      inputSchema: askInput,
      outputSchema: askOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ question }, ctx) =>
      run(async () => {
        const engine = await engines.get();
        await requireIndexed(engine);
        const reporter = progressOf(ctx);
        const answer = await engine.ask(ws, question, { signal: ctx.mcpReq.signal, onProgress: reporter && answerProgress(reporter) });
        return askResult(answer);
      }),
  );

  server.registerTool(
    'index_status',
    {
      title: 'Index status',
      description: `What is indexed for ${roots}: files, chunks and the share with embeddings, symbols, links, skipped files by reason, when it was last indexed and how many files changed since.`,
      outputSchema: statusOutput,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    () =>
      run(async () => {
        const engine = await engines.get();
        // A folder that is gone still has its index to show; only the freshness is unknown then.
        const [status, pending] = await Promise.all([
          engine.status(ws),
          engine.pendingChanges(ws).then(
            (count) => ({ count }),
            (error: unknown) => ({ error: host.describeError(error) }),
          ),
        ]);
        return statusResult(ws, status, pending, engine.capabilities);
      }),
  );

  server.registerTool(
    'reindex',
    {
      title: 'Update the index',
      description:
        `Updates the index of ${roots} incrementally: reads only files whose size or time changed, embeds only new text, and removes files that are gone. ` +
        'Give paths to update just those files or folders. Sends progress notifications when the call carries a progressToken.',
      inputSchema: reindexInput,
      outputSchema: reindexOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ paths }, ctx) =>
      run(async () => {
        const given = paths && indexPaths(ws, paths, host.realPath);
        const scope = given?.includes('') ? undefined : given;
        const engine = await engines.get();
        const reporter = progressOf(ctx);
        const report = await engine.index(ws, { paths: scope, signal: ctx.mcpReq.signal, onProgress: reporter && indexProgress(reporter) });
        const failed = report.error && !report.cancelled;
        const result = reindexResult(ws, scope, report, failed ? host.describeError(report.error!.cause ?? report.error!.message) : report.error?.message);
        return { ...result, isError: Boolean(failed) };
      }),
  );

  return server;
}

/** A reporter for the call's progressToken, if the client sent one. */
function progressOf(ctx: ServerContext): ProgressReporter | undefined {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  return new ProgressReporter((update) => {
    if (ctx.mcpReq.signal.aborted) return;
    ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, ...update } }).catch(() => undefined);
  });
}
