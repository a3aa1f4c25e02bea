// The chunking worker's entry (bundled as dist/chunk-worker.js): chunks one file per message, in order. It runs under a
// capped V8 heap, so the garbage that tree-sitter and token counting leave behind is collected early instead of
// swelling the host process (see WorkerChunker in chunker.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { chunkFile } from './index';
import { chunkRequestSchema, workerDataSchema, type ChunkReply } from './chunker';

const port = parentPort;
if (!port) throw new Error('chunk worker: started outside a worker thread');

const { grammarDir } = workerDataSchema.parse(workerData);

// One file at a time, in arrival order: the host relies on it to tell which file a crash happened on.
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: unknown) => {
  const request = chunkRequestSchema.parse(message);
  queue = queue.then(() =>
    chunkFile(request.path, request.text, { ...request.options, grammarDir }).then(
      (result) => port.postMessage({ id: request.id, result } satisfies ChunkReply),
      (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies ChunkReply),
    ),
  );
});
