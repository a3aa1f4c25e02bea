// The chunking worker: the same chunks as on the calling thread, and a file that exhausts the worker's heap is reported
// on its own while every other file, queued or not, is still chunked.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chunkFile } from '../../src/core/chunk';
import { ChunkingFailed, InThreadChunker, WorkerChunker } from '../../src/core/chunk/chunker';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'chunk');
const OPTIONS = { maxTokens: 384, overlapLines: 2 };

/** About 2.7 MB of distinct top-level constants: far more than a 24 MB heap can chunk. */
function hugeSource(): string {
  return Array.from({ length: 40_000 }, (_, i) => `export const v${i} = 'w${(i * 7919).toString(36)} x${i} y${i * 3} z${i * 7}';`).join('\n');
}

describe('WorkerChunker', function () {
  this.timeout(60_000);
  let chunker: WorkerChunker | undefined;
  afterEach(async () => {
    await chunker?.close();
    chunker = undefined;
  });

  it('gives exactly the chunks and links of chunking on this thread', async () => {
    chunker = new WorkerChunker();
    const names = fs.readdirSync(FIXTURES);
    assert.ok(names.length >= 10);
    for (const name of names) {
      const file = name.replace(/\.txt$/, '');
      const text = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
      assert.deepEqual(await chunker.chunk(file, text, OPTIONS), await chunkFile(file, text, OPTIONS), file);
    }
  });

  it('reports the one file that runs it out of memory and chunks the files queued behind it in a new worker', async () => {
    chunker = new WorkerChunker({ maxHeapMb: 24 });
    const small = (n: number) => `export function f${n}(): number {\n  return ${n};\n}\n`;
    const results = await Promise.allSettled([
      chunker.chunk('before.ts', small(1), OPTIONS),
      chunker.chunk('huge.ts', hugeSource(), OPTIONS),
      chunker.chunk('after1.ts', small(2), OPTIONS),
      chunker.chunk('after2.ts', small(3), OPTIONS),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const failure = (results[1] as PromiseRejectedResult).reason;
    assert.ok(failure instanceof ChunkingFailed);
    assert.match(failure.message, /^huge\.ts: chunking needed more than 24 MB of memory$/);
    const after = (results[3] as PromiseFulfilledResult<Awaited<ReturnType<WorkerChunker['chunk']>>>).value;
    assert.deepEqual(after.chunks.map((c) => c.symbol), ['f3']);
  });

  it('passes a grammar that cannot load back as an error of the run, not as a skipped file', async () => {
    chunker = new WorkerChunker({ grammarDir: path.join(__dirname, 'no-such-grammar-folder') });
    await assert.rejects(chunker.chunk('a.ts', 'export const a = 1;\n', OPTIONS), (e: unknown) => {
      assert.ok(e instanceof Error && !(e instanceof ChunkingFailed));
      assert.match(e.message, /no-such-grammar-folder/);
      return true;
    });
  });

  it('stops the run with the cause when the worker cannot start at all, instead of failing file after file', async () => {
    chunker = new WorkerChunker({ script: path.join(__dirname, 'no-such-chunk-worker.js') });
    const results = await Promise.allSettled([1, 2, 3].map((n) => chunker!.chunk(`f${n}.ts`, `export const v${n} = ${n};\n`, OPTIONS)));
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const reason = (r as PromiseRejectedResult).reason;
      assert.ok(reason instanceof Error && !(reason instanceof ChunkingFailed));
      assert.match(reason.message, /^The chunking worker could not start \(.*no-such-chunk-worker\.js.*\); the installation may be incomplete\.$/);
    }
  });

  it("sends what the worker prints to stderr, never to stdout (the MCP server's protocol stream)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wrag-noisy-worker-'));
    const script = path.join(dir, 'noisy-worker.js');
    fs.writeFileSync(
      script,
      `const { parentPort } = require('node:worker_threads');
console.log('noise from the chunking worker');
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, result: { chunks: [], links: [] } }));
`,
    );
    const seen = { stdout: '', stderr: '' };
    const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
    for (const stream of ['stdout', 'stderr'] as const) {
      process[stream].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        seen[stream] += String(chunk);
        return (writes[stream] as (...a: unknown[]) => boolean).call(process[stream], chunk, ...rest);
      }) as typeof process.stdout.write;
    }
    try {
      chunker = new WorkerChunker({ script });
      assert.deepEqual(await chunker.chunk('a.md', '# A\n', OPTIONS), { chunks: [], links: [] });
      for (let i = 0; i < 100 && !seen.stderr.includes('noise from the chunking worker'); i++) await new Promise((r) => setTimeout(r, 20));
      assert.match(seen.stderr, /noise from the chunking worker/);
      assert.doesNotMatch(seen.stdout, /noise from the chunking worker/);
    } finally {
      process.stdout.write = writes.stdout;
      process.stderr.write = writes.stderr;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts again after close', async () => {
    chunker = new WorkerChunker();
    await chunker.chunk('a.py', 'def a():\n    return 1\n', OPTIONS);
    await chunker.close();
    const again = await chunker.chunk('b.py', 'def b():\n    return 2\n', OPTIONS);
    assert.deepEqual(again.chunks.map((c) => c.symbol), ['b']);
  });
});

describe('InThreadChunker', () => {
  it('chunks as chunkFile does, with the grammars of the folder it was given', async () => {
    const text = 'def a():\n    return 1\n';
    assert.deepEqual(await new InThreadChunker().chunk('a.py', text, OPTIONS), await chunkFile('a.py', text, OPTIONS));
    const elsewhere = new InThreadChunker({ grammarDir: path.join(__dirname, 'no-such-grammar-folder') });
    await assert.rejects(elsewhere.chunk('a.py', text, OPTIONS), /no-such-grammar-folder/);
  });
});
