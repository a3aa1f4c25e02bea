package workspacerag;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Record;
import org.neo4j.driver.SessionConfig;
import org.neo4j.driver.exceptions.AuthenticationException;

/**
 * A Neo4j Community server (5.26 LTS, or 2026.x with NEO4J_VERSION) for local development and CI, driven by
 * scripts/neo4j.sh. The same source builds against both: it uses only the embedding API they share.
 *
 * <pre>
 *   serve  run the DBMS with Bolt on 127.0.0.1 and authentication on, until SIGTERM
 *   ping   open an authenticated Bolt connection and run a query; exit 0 ok, 2 credentials rejected, 1 otherwise
 * </pre>
 *
 * Settings come from environment variables (set by the script): NEO4J_HOME_DIR, NEO4J_PORT, NEO4J_USERNAME,
 * NEO4J_PASSWORD, NEO4J_PAGECACHE, NEO4J_DATABASE.
 */
public final class Neo4jTestServer {
    private Neo4jTestServer() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "";
        switch (mode) {
            case "serve" -> serve();
            case "ping" -> System.exit(ping());
            default -> {
                System.err.println("usage: Neo4jTestServer serve|ping");
                System.exit(64);
            }
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static int port() {
        return Integer.parseInt(env("NEO4J_PORT", "7687"));
    }

    private static void serve() throws Exception {
        Path home = Path.of(env("NEO4J_HOME_DIR", ".neo4j")).toAbsolutePath();
        Files.createDirectories(home);
        int port = port();
        String password = env("NEO4J_PASSWORD", "workspace-rag-test");
        long pageCache = parseBytes(env("NEO4J_PAGECACHE", "256m"));

        log("starting Neo4j (home " + home + ", bolt 127.0.0.1:" + port + ", page cache " + pageCache + " bytes)");
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                // Loopback only: this server is for tests and local development, never for the network.
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                // Embedded mode turns authentication off by default; tests must exercise real credentials.
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .build();

        Path readyFile = home.resolve("ready");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("stopping Neo4j");
            try {
                Files.deleteIfExists(readyFile);
            } catch (java.io.IOException ignored) {
                // The script checks the pid inside the file, so a leftover file is harmless.
            }
            dbms.shutdown();
            log("stopped");
            stopped.countDown();
        }, "neo4j-shutdown"));

        setPassword(dbms, env("NEO4J_USERNAME", "neo4j"), password);
        // Bolt opens before the password is set; the script only probes once this file names our pid.
        Files.writeString(readyFile, Long.toString(ProcessHandle.current().pid()));
        log("ready: bolt://127.0.0.1:" + port);
        stopped.await();
    }

    /** Sets the password on every start, so a changed NEO4J_PASSWORD takes effect and the first-login change is not required. */
    private static void setPassword(DatabaseManagementService dbms, String user, String password) {
        var system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        try {
            system.executeTransactionally(
                    "ALTER USER " + quoteName(user) + " SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
            log("password of user " + user + " set");
        } catch (RuntimeException e) {
            // Neo4j refuses to "change" a password to its current value; that means it is already right.
            if (String.valueOf(e.getMessage()).contains("Old password and new password cannot be the same")) {
                system.executeTransactionally("ALTER USER " + quoteName(user) + " SET PASSWORD CHANGE NOT REQUIRED");
                log("password of user " + user + " unchanged");
            } else {
                throw e;
            }
        }
    }

    private static String quoteName(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    private static int ping() {
        String uri = "bolt://127.0.0.1:" + port();
        Config config = Config.builder()
                .withoutEncryption()
                .withConnectionTimeout(3, TimeUnit.SECONDS)
                .withMaxConnectionPoolSize(1)
                .withLogging(org.neo4j.driver.Logging.none())
                .build();
        try (Driver driver = GraphDatabase.driver(uri,
                AuthTokens.basic(env("NEO4J_USERNAME", "neo4j"), env("NEO4J_PASSWORD", "workspace-rag-test")), config);
             var session = driver.session(SessionConfig.forDatabase(env("NEO4J_DATABASE", "neo4j")))) {
            // 2026.x also lists a "Cypher" component (the language versions it speaks).
            Record r = session.run("CALL dbms.components() YIELD name, versions, edition WHERE name = 'Neo4j Kernel' "
                    + "RETURN name + ' ' + versions[0] + ' ' + edition AS v").single();
            System.out.println(r.get("v").asString());
            return 0;
        } catch (AuthenticationException e) {
            System.err.println("credentials rejected: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("not ready: " + e.getMessage());
            return 1;
        }
    }

    static long parseBytes(String text) {
        String t = text.trim().toLowerCase();
        long unit = switch (t.charAt(t.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1L;
        };
        String digits = unit == 1L ? t : t.substring(0, t.length() - 1);
        return Long.parseLong(digits) * unit;
    }

    private static void log(String message) {
        System.out.println(java.time.Instant.now() + " " + message);
        System.out.flush();
    }
}
