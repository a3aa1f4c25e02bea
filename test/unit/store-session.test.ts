// The driver's errors for not getting into Neo4j, as the store explains them: one sentence each, the right kind, and
// nothing of the driver's routing-table dump or of credentials in the URI.
import { strict as assert } from 'node:assert';
import neo4j from 'neo4j-driver';
import { StoreUnavailableError } from '../../src/core/store';
import { explainDriverError, serverInfo } from '../../src/core/store/session';

const cfg = { uri: 'neo4j://db.example.com:7687', username: 'reader', database: 'docs' };
const driverError = (code: string, message: string, cause?: Error) => new neo4j.Neo4jError(message, code, '50N42', 'error', undefined, cause);

/** What the driver throws when discovery fails: the routing table, with the system error two causes down. */
function discoveryFailure(systemError: string): Error {
  const connect = driverError(
    'SessionExpired',
    `Failed to connect to server. Please ensure that your database is listening on the correct host and port and that you have compatible encryption settings both on Neo4j server and driver. Note that the default encryption setting has changed in Neo4j 4.0. Caused by: ${systemError}`,
  );
  return driverError(
    'ServiceUnavailable',
    'Could not perform discovery. No routing servers available. Known routing table: RoutingTable[database=docs, expirationTime=0, currentTime=1796163254128, routers=[], readers=[], writers=[]]',
    connect,
  );
}

function explained(e: unknown, config = cfg): StoreUnavailableError {
  const out = explainDriverError(e, config);
  assert.ok(out instanceof StoreUnavailableError, `expected a StoreUnavailableError, got ${String(out)}`);
  return out;
}

describe('store session: the driver errors explained', () => {
  it('says the server is unreachable in one sentence, with the system error in words and no routing table', () => {
    const e = explained(discoveryFailure('connect ECONNREFUSED 10.0.0.5:7687'));
    assert.equal(e.kind, 'unreachable');
    assert.equal(e.message, 'Neo4j is not reachable at neo4j://db.example.com:7687 (connection refused): is the server running and the URI right?');
    assert.equal(e.details.badAddress, false);
    assert.ok(e.cause, 'the driver error stays the cause');
    const lost = explained(driverError('SessionExpired', 'Connection was closed by server'));
    assert.match(lost.message, /\(the connection was lost\)/);
  });

  it('tells a wrong address from a server that is down', () => {
    assert.equal(explained(discoveryFailure('getaddrinfo ENOTFOUND db.exmaple.com')).details.badAddress, true);
    const http = explained(driverError('N/A', 'Server responded HTTP. Make sure you are not trying to connect to the http endpoint (HTTP defaults to port 7474 whereas BOLT defaults to port 7687)'));
    assert.equal(http.kind, 'unreachable');
    assert.equal(http.details.badAddress, true);
    assert.match(http.message, /speaks HTTP/);
  });

  it('reports the authentication rate limit as such, not as a wrong password', () => {
    const e = explained(driverError('Neo.ClientError.Security.AuthenticationRateLimit', 'The client has provided incorrect authentication details too many times in a row.'));
    assert.equal(e.kind, 'auth-rate-limit');
    assert.match(e.message, /too many failed sign-ins; wait and try again/);
    assert.doesNotMatch(e.message, /check the user name and password/);
  });

  it('keeps wrong credentials, expired passwords and unknown databases apart', () => {
    const wrong = explained(driverError('Neo.ClientError.Security.Unauthorized', 'The client is unauthorized due to authentication failure.'));
    assert.equal(wrong.kind, 'auth');
    assert.match(wrong.message, /rejected the credentials for user reader/);
    const expired = explained(driverError('Neo.ClientError.Security.CredentialsExpired', 'Permission denied.'));
    assert.equal(expired.kind, 'auth');
    assert.match(expired.message, /requires a new password/);
    const db = explained(driverError('Neo.ClientError.Database.DatabaseNotFound', "Unable to get a routing table for database 'docs' because this database does not exist"));
    assert.equal(db.kind, 'database');
    assert.match(db.message, /no database named docs/);
  });

  it('passes other errors through', () => {
    const other = driverError('Neo.ClientError.Statement.SyntaxError', 'Invalid input');
    assert.equal(explainDriverError(other, cfg), other);
  });

  it('never shows credentials written inside the URI', () => {
    const secret = 'FAKE-neo4j-pass-9000';
    for (const uri of [`neo4j://reader:${secret}@db.example.com:7687`, `bolt://db.example.com:7687?token=${secret}`]) {
      for (const error of [
        discoveryFailure('connect ECONNREFUSED 10.0.0.5:7687'),
        driverError('Neo.ClientError.Security.Unauthorized', 'unauthorized'),
        driverError('Neo.ClientError.Security.AuthenticationRateLimit', 'too many'),
        driverError('Neo.ClientError.Database.DatabaseNotFound', 'no such database'),
      ]) {
        const e = explained(error, { ...cfg, uri });
        assert.ok(!e.message.includes(secret), e.message);
      }
    }
  });
});

describe('store session: what the server can do, from its version', () => {
  it('uses vector filters inside the index from Neo4j 2026.01 on', () => {
    for (const version of ['2026.01.0', '2026.09.0', '2026.10.1', '2027.01.0', '2026.02-aura']) {
      assert.equal(serverInfo(version).vectorFilters, true, version);
    }
  });

  it('filters after the search on 5.26 LTS, 2025.x and an unknown version', () => {
    for (const version of ['5.26.30', '5.27-aura', '2025.10.1', '2025.12.0', '', 'dev']) {
      assert.equal(serverInfo(version).vectorFilters, false, version);
    }
    assert.equal(serverInfo('5.26.30').version, '5.26.30');
  });
});
