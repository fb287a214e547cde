package local.mongo;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * A MongoDB-compatible server on one port, for development and tests.
 *
 * <pre>
 *   java -cp ... local.mongo.MongoServerMain --host 127.0.0.1 --port 27017 --backend memory
 *   java -cp ... local.mongo.MongoServerMain --port 0 --backend h2 --file .data/mongo/store.mv
 * </pre>
 *
 * Prints exactly one line starting with "ready " (then the connection string) once it accepts
 * connections, so the launcher knows the port even when it asked for port 0. Stops cleanly on
 * SIGTERM/SIGINT: the H2 store is committed and closed, so data survives a restart.
 */
public final class MongoServerMain {
  public static void main(String[] args) throws Exception {
    String host = "127.0.0.1";
    int port = 27017;
    String backendName = "memory";
    String file = ".data/mongo/store.mv";
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--host" -> { host = require(args[i], value); i++; }
        case "--port" -> { port = Integer.parseInt(require(args[i], value)); i++; }
        case "--backend" -> { backendName = require(args[i], value); i++; }
        case "--file" -> { file = require(args[i], value); i++; }
        default -> fail("unknown argument " + args[i] + " (expected --host, --port, --backend memory|h2, --file)");
      }
    }

    MongoBackend backend = switch (backendName) {
      case "memory" -> new IdFirstMemoryBackend();
      case "h2" -> {
        File store = new File(file);
        if (store.getParentFile() != null) store.getParentFile().mkdirs();
        yield new IdFirstH2Backend(store.getPath());
      }
      default -> { fail("unknown backend " + backendName + " (expected memory or h2)"); yield null; }
    };
    // Report MongoDB 5.0's wire version: the Node.js driver 6.x needs 4.0 or newer.
    backend.version(ServerVersion.MONGO_5_0);

    MongoServer server = new MongoServer(backend);
    server.bind(host, port);
    InetSocketAddress bound = server.getLocalAddress();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown(); // closes the backend too: H2 commits and closes its file
      stopped.countDown();
    }, "mongo-server-shutdown"));

    System.out.println("ready mongodb://" + bound.getHostString() + ":" + bound.getPort() + " backend=" + backendName
        + ("h2".equals(backendName) ? " file=" + file : ""));
    System.out.flush();
    stopped.await();
  }

  private static String require(String flag, String value) {
    if (value == null) fail(flag + " needs a value");
    return value;
  }

  private static void fail(String message) {
    System.err.println("mongo-server: " + message);
    System.exit(2);
  }
}
