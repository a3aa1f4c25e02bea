// Driver sessions for the store's modules: opening the driver, read and write transactions, the driver's errors for
// not getting in turned into sentences the user can act on, and the caches the modules share.
import neo4j, { type Driver, type ManagedTransaction, type Session } from 'neo4j-driver';
import type { Neo4jConfig } from '../config';
import { EngineError } from '../errors';

/** Rows per statement for bulk reads and for the batched updates of files. */
export const READ_BATCH = 1000;

/** Neo4j could not be used at all: unreachable, credentials rejected, or no such database. Never contains the password. */
export class StoreUnavailableError extends EngineError<'unreachable' | 'auth' | 'database'> {
  constructor(kind: StoreUnavailableError['kind'], message: string, details: { cause?: unknown } = {}) {
    super(kind, message, details);
  }
}

export const errorCode = (e: unknown): string => (e instanceof neo4j.Neo4jError ? e.code : '');

/** One driver and database, and what the store's modules keep between calls. */
export class StoreContext {
  /** Dimensions of the vector index: undefined = not looked up yet, null = no index. */
  vectorDimensions: number | null | undefined;
  /** Chunk counts by workspace for the vector search's over-fetch; every write that adds or removes chunks clears them. */
  readonly counts = new Map<string, { mine: number; total: number; at: number }>();

  private constructor(private readonly driver: Driver, private readonly cfg: Neo4jConfig, readonly maxChunksPerTx: number) {}

  /** Opens a driver and proves that the server answers, accepts the credentials and has the database. */
  static async open(cfg: Neo4jConfig, maxChunksPerTx: number): Promise<StoreContext> {
    const driver = neo4j.driver(cfg.uri, neo4j.auth.basic(cfg.username, cfg.password), {
      disableLosslessIntegers: true, // counts, lines and sizes are far below 2^53
      connectionTimeout: 10_000,
      userAgent: 'workspace-rag',
    });
    const ctx = new StoreContext(driver, cfg, maxChunksPerTx);
    try {
      // An auto-commit query, not executeRead: a down server must fail now, not after the driver's 30 s of retries.
      await ctx.withSession((session) => session.run('RETURN 1'));
    } catch (e) {
      await driver.close();
      throw e;
    }
    return ctx;
  }

  async close(): Promise<void> {
    await this.driver.close();
  }

  read<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.withSession((session) => session.executeRead(work));
  }

  /** executeWrite retries transient failures (leader switch, deadlock, lost connection), so every write is idempotent. */
  write<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.withSession((session) => session.executeWrite(work));
  }

  async withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const session = this.driver.session({ database: this.cfg.database });
    try {
      return await work(session);
    } catch (e) {
      throw this.explain(e);
    } finally {
      await session.close();
    }
  }

  /** Replaces the driver's errors for the three ways of not getting in with a sentence the user can act on. */
  private explain(e: unknown): unknown {
    const code = errorCode(e);
    const { uri, username, database } = this.cfg;
    if (code === 'ServiceUnavailable' || code === 'SessionExpired') {
      return new StoreUnavailableError(
        'unreachable',
        `Neo4j is not reachable at ${uri}: is the server running and the URI right? (${(e as Error).message})`,
        { cause: e },
      );
    }
    if (code.startsWith('Neo.ClientError.Security.') && /Unauthorized|AuthenticationRateLimit|CredentialsExpired/.test(code)) {
      return new StoreUnavailableError('auth', `Neo4j rejected the credentials for user ${username} at ${uri}: check the user name and password.`, {
        cause: e,
      });
    }
    if (code === 'Neo.ClientError.Database.DatabaseNotFound') {
      return new StoreUnavailableError('database', `Neo4j at ${uri} has no database named ${database}.`, { cause: e });
    }
    return e;
  }
}
