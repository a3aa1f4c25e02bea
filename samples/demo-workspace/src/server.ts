import { createServer } from 'node:http';
import { PebbleStore } from './store';
import { scheduleSnapshots, writeSnapshot } from './snapshot';

const port = Number(process.env.PEBBLE_PORT ?? 7070);
const host = process.env.PEBBLE_HOST ?? '127.0.0.1';
const maxMemoryMb = Number(process.env.PEBBLE_MAX_MEMORY_MB ?? 256);
const snapshotDir = process.env.PEBBLE_SNAPSHOT_DIR ?? './data';
const snapshotIntervalSeconds = Number(process.env.PEBBLE_SNAPSHOT_INTERVAL_SECONDS ?? 60);

const store = new PebbleStore(maxMemoryMb * 1024 * 1024);
const stopSnapshots = scheduleSnapshots(store, snapshotDir, snapshotIntervalSeconds);

/** GET /keys/:key reads a value, PUT /keys/:key stores the request body, DELETE /keys/:key removes it. */
const server = createServer((req, res) => {
  const key = decodeURIComponent((req.url ?? '').replace(/^\/keys\//, ''));
  if (req.method === 'GET') {
    const value = store.get(key);
    res.writeHead(value === undefined ? 404 : 200).end(value ?? '');
  } else if (req.method === 'PUT') {
    let body = '';
    req.on('data', (part) => (body += part));
    req.on('end', () => {
      store.set(key, body);
      res.writeHead(204).end();
    });
  } else if (req.method === 'DELETE') {
    res.writeHead(store.delete(key) ? 204 : 404).end();
  } else {
    res.writeHead(405).end();
  }
});

server.listen(port, host);

process.on('SIGTERM', async () => {
  stopSnapshots();
  await writeSnapshot(store, snapshotDir);
  server.close();
});
