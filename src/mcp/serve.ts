// `workspace-rag mcp`: the server over stdio until the client closes stdin (or the host's signal aborts), then the
// calls still running are given a moment to end (a cancelled run releases its lease) and the engine is closed.
// serveStdio serves clients of both protocol eras (2025's initialize handshake and 2026-07-28's server/discover).
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { createServer, EngineHolder, type McpHost } from './server';

/** The stdio transport, telling when it has closed (stdin ended, or the server closed it). */
class WatchedStdioTransport extends StdioServerTransport {
  private markClosed: () => void = () => undefined;
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  override async close(): Promise<void> {
    await super.close();
    this.markClosed();
  }
}

export async function serveMcp(host: McpHost, signal?: AbortSignal): Promise<void> {
  const engines = new EngineHolder(host);
  // Opened now so the first call need not wait for Neo4j; a failure is logged, and retried by the first call.
  engines.get().catch(() => undefined);
  const wire = new WatchedStdioTransport();
  const handle = serveStdio(() => createServer(host, engines), { transport: wire, onerror: (error) => host.log(error.message) });
  const stop = () => void handle.close();
  signal?.addEventListener('abort', stop, { once: true });
  // A stray rejection (a driver callback, a late notification) is logged: it must not take the server down.
  const onRejection = (reason: unknown) => host.log(`unexpected error: ${host.describeError(reason)}`);
  process.on('unhandledRejection', onRejection);
  try {
    if (!signal?.aborted) await wire.closed;
    await handle.close();
  } finally {
    signal?.removeEventListener('abort', stop);
    await engines.close();
    process.off('unhandledRejection', onRejection);
  }
}
