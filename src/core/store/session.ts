// Driver sessions for the store's modules: opening the driver, read and write transactions, the driver's errors for
// not getting in turned into sentences the user can act on, and the caches the modules share.
import neo4j, { ManagedTransaction, type Driver, type Session, type SessionMode } from 'neo4j-driver';
import { redactUrlSecrets, type Neo4jConfig } from '../config';
import { EngineError } from '../errors';

/** Rows per statement for bulk reads and for the batched updates of files. */
export const READ_BATCH = 1000;

/**
 * Neo4j could not be used at all: unreachable, credentials rejected, sign-ins locked for a while after too many failed
 * ones ('auth-rate-limit'), or no such database. `badAddress`: the URI itself looks wrong (no such host, an HTTP port, a
 * TLS mismatch), not the server down. Never contains the password.
 */
export class StoreUnavailableError extends EngineError<'unreachable' | 'auth' | 'auth-rate-limit' | 'database', { badAddress?: boolean }> {
  constructor(kind: StoreUnavailableError['kind'], message: string, details: { cause?: unknown; badAddress?: boolean } = {}) {
    super(kind, message, details);
  }
}

export const errorCode = (e: unknown): string => (e instanceof neo4j.Neo4jError ? e.code : '');

/**
 * How long the driver waits on a server that does not answer. Its defaults retry a failed transaction for 30 s (and
 * wait up to 60 s for a connection), so a dead server took 35-60 s to report, and as long again for each later call of
 * the same run (releasing its lease). These report a dead server within about 10 s and still ride out a brief outage.
 */
const DRIVER_TIMEOUTS = {
  // A TCP and TLS handshake takes well under a second, even to a distant cloud server: 5 s of silence is a host that
  // is gone (a refused port fails at once anyway).
  connectionTimeout: 5_000,
  // executeRead/executeWrite retry transient failures after about 1, 3 and 7 s (the driver doubles a 1 s delay, ±20 %,
  // and stops once this much has passed since the first failure): a leader switch or a restart of a few seconds is
  // ridden out, and a server that stays down is reported about 8 s after it went away.
  maxTransactionRetryTime: 5_000,
  // Waiting for a pooled connection (the store never uses them all) includes opening one, so at least
  // connectionTimeout, as the driver requires; a little more leaves room for the routing table's refresh.
  connectionAcquisitionTimeout: 8_000,
} as const;

const isConnectionFailure = (e: unknown): boolean => ['ServiceUnavailable', 'SessionExpired'].includes(errorCode(e));

/** What the server can do, found once per connection (`CALL dbms.components()`). */
export interface ServerInfo {
  /** The kernel's version: '5.26.30', '2026.09.0'. */
  version: string;
  /**
   * Cypher 25's SEARCH clause with filters inside the vector index (`CREATE VECTOR INDEX … WITH [c.workspace]`,
   * `SEARCH c IN (VECTOR INDEX … WHERE c.workspace = $ws …)`): Neo4j 2026.01 and later. Earlier servers (5.26 LTS,
   * 2025.x) only filter after the ANN search, through `db.index.vector.queryNodes`, which 2026 deprecates.
   */
  vectorFilters: boolean;
}

/** The server's capabilities from its kernel version; an unknown version string gets the 5.26 behaviour. */
export function serverInfo(version: string): ServerInfo {
  const m = /^(\d+)\.(\d+)/.exec(version);
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  return { version, vectorFilters: major > 2026 || (major === 2026 && minor >= 1) };
}

/** The vector index the store searches and writes, as last looked up (schema.ts). */
export interface VectorIndexInfo {
  name: string;
  dimensions: number;
  /** `workspace` is one of its filter properties, so a search can be confined to one workspace inside the index. */
  filtered: boolean;
  /** A filtered index is being built beside this one (a migration): look again after a while. */
  migrating: boolean;
  /** Date.now() of the look-up. */
  checkedAt: number;
}

/** One driver and database, and what the store's modules keep between calls. */
export class StoreContext {
  /** The vector index: undefined = not looked up yet, null = there is none. */
  vectorIndex: VectorIndexInfo | null | undefined;
  /** Chunk counts by workspace for the vector search's over-fetch; every write that adds, removes or embeds chunks clears them. */
  readonly counts = new Map<string, { mine: number; total: number; chunks: number; at: number }>();
  /**
   * Set when a call found the server unreachable, cleared by the next call that gets through. While it is set,
   * transactions are tried once instead of retried: the driver already waited out the retries, and the calls that
   * follow (a run releasing its lease, a status refresh) must not wait them out again before reporting the outage.
   */
  private unreachable = false;

  /** Set by open(), before any other call. */
  server: ServerInfo = serverInfo('');

  private constructor(
    private readonly driver: Driver,
    private readonly cfg: Neo4jConfig,
    readonly maxChunksPerTx: number,
    /** Workspaces up to this many chunks are scored exactly when the ANN search comes back short (search.ts). */
    readonly exactScanLimit: number,
    /** StoreOptions.vectorPreFilter: search a filtered index with the workspace as its filter. */
    readonly vectorPreFilter: boolean,
  ) {}

  /**
   * Opens a driver and proves that the server answers, accepts the credentials and has the database; learns the
   * server's version on the way.
   */
  static async open(cfg: Neo4jConfig, maxChunksPerTx: number, exactScanLimit: number, vectorPreFilter: boolean): Promise<StoreContext> {
    const driver = neo4j.driver(cfg.uri, neo4j.auth.basic(cfg.username, cfg.password), {
      disableLosslessIntegers: true, // counts, lines and sizes are far below 2^53
      ...DRIVER_TIMEOUTS,
      userAgent: 'workspace-rag',
    });
    const ctx = new StoreContext(driver, cfg, maxChunksPerTx, exactScanLimit, vectorPreFilter);
    try {
      // An auto-commit query, not executeRead: a down server must fail now, not after the driver's 30 s of retries.
      const kernel = await ctx.withSession((session) =>
        session.run(`CALL dbms.components() YIELD name, versions WHERE name = 'Neo4j Kernel' RETURN versions[0] AS version`),
      );
      ctx.server = serverInfo(String(kernel.records[0]?.get('version') ?? ''));
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
    return this.transaction(neo4j.session.READ, work);
  }

  /** executeWrite retries transient failures (leader switch, deadlock, lost connection), so every write is idempotent. */
  write<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.transaction(neo4j.session.WRITE, work);
  }

  async withSession<T>(work: (session: Session) => Promise<T>, mode: SessionMode = neo4j.session.WRITE): Promise<T> {
    const session = this.driver.session({ database: this.cfg.database, defaultAccessMode: mode });
    try {
      const result = await work(session);
      this.unreachable = false;
      return result;
    } catch (e) {
      const explained = explainDriverError(e, this.cfg);
      if (explained instanceof StoreUnavailableError && explained.kind === 'unreachable') this.unreachable = true;
      throw explained;
    } finally {
      await session.close();
    }
  }

  private transaction<T>(mode: SessionMode, work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.withSession(async (session) => {
      if (this.unreachable) {
        try {
          return await once(session, work);
        } catch (e) {
          if (isConnectionFailure(e)) throw e;
          // The server answered after all: back to the retried transaction (writes are idempotent).
        }
      }
      return mode === neo4j.session.READ ? session.executeRead(work) : session.executeWrite(work);
    }, mode);
  }
}

/** One attempt of a transaction, as executeRead/executeWrite would run it but without their retries. */
async function once<T>(session: Session, work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
  const tx = session.beginTransaction();
  try {
    const result = await work(ManagedTransaction.fromTransaction(tx));
    await tx.commit();
    return result;
  } finally {
    if (tx.isOpen()) await tx.rollback().catch(() => undefined);
  }
}

/**
 * Replaces the driver's errors for the ways of not getting in with one sentence the user can act on; other errors
 * pass through. The URI is shown with any credentials in it scrubbed, and never the driver's own text: for a server
 * that is down it is a dump of the routing table.
 */
export function explainDriverError(e: unknown, cfg: Pick<Neo4jConfig, 'uri' | 'username' | 'database'>): unknown {
  const code = errorCode(e);
  const { username, database } = cfg;
  const uri = redactUrlSecrets(cfg.uri);
  if (isConnectionFailure(e) || /Server responded HTTP/.test(causeChain(e))) {
    const { reason, badAddress } = whyUnreachable(causeChain(e));
    return new StoreUnavailableError('unreachable', `Neo4j is not reachable at ${uri}${reason ? ` (${reason})` : ''}: is the server running and the URI right?`, {
      cause: e,
      badAddress,
    });
  }
  if (code === 'Neo.ClientError.Security.AuthenticationRateLimit') {
    return new StoreUnavailableError('auth-rate-limit', `Neo4j at ${uri} is refusing sign-ins for user ${username} for now: too many failed sign-ins; wait and try again.`, {
      cause: e,
    });
  }
  if (code === 'Neo.ClientError.Security.CredentialsExpired') {
    return new StoreUnavailableError('auth', `Neo4j at ${uri} requires a new password for user ${username}: change it (in Neo4j Browser or cypher-shell), then use the new one.`, {
      cause: e,
    });
  }
  if (code === 'Neo.ClientError.Security.Unauthorized') {
    return new StoreUnavailableError('auth', `Neo4j rejected the credentials for user ${username} at ${uri}: check the user name and password.`, { cause: e });
  }
  if (code === 'Neo.ClientError.Database.DatabaseNotFound') {
    return new StoreUnavailableError('database', `Neo4j at ${uri} has no database named ${database}.`, { cause: e });
  }
  return e;
}

/** The messages of an error and its causes, where the driver keeps the system error ("Caused by: connect ECONNREFUSED …"). */
function causeChain(e: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) parts.push(cur.message);
  return parts.join('\n');
}

/** A few words on why the connection failed, and whether the URI rather than the server is likely at fault. */
function whyUnreachable(text: string): { reason?: string; badAddress: boolean } {
  if (/ENOTFOUND/.test(text)) return { reason: 'no such host', badAddress: true };
  if (/Server responded HTTP/.test(text)) return { reason: 'that port speaks HTTP; Bolt is usually port 7687', badAddress: true };
  if (/TLS|SSL|certificate|self[- ]signed/i.test(text)) return { reason: 'the encrypted connection failed; check neo4j+s:// against neo4j://', badAddress: true };
  if (/ECONNREFUSED/.test(text)) return { reason: 'connection refused', badAddress: false };
  if (/EHOSTUNREACH|ENETUNREACH/.test(text)) return { reason: 'no route to the host', badAddress: false };
  if (/ETIMEDOUT|timed out|timeout/i.test(text)) return { reason: 'no answer in time', badAddress: false };
  if (/ECONNRESET|EPIPE|closed|terminated/i.test(text)) return { reason: 'the connection was lost', badAddress: false };
  return { badAddress: false };
}
