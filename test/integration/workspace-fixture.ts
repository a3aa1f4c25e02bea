// Builds throwaway workspaces for the engine tests: the bundled sample plus hostile files, and generated projects.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeFileSystem } from '../../src/core/node-fs';
import type { FileSystem } from '../../src/core/types';

const SAMPLE = path.resolve(__dirname, '../../samples/demo-workspace');
/** A fake key that must never reach Neo4j, logs or output. */
export const LEAK_CANARY = 'sk-fake-LEAK-CANARY-4f1d2c3b5a697887';

async function tempDir(label: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `wrag-${label}-`));
}

/** A copy of the sample workspace in a new temp folder. */
export async function copySample(label: string): Promise<string> {
  const dir = await tempDir(label);
  await fs.cp(SAMPLE, dir, { recursive: true });
  return dir;
}

/** The sample plus one file of every kind that must be skipped with a reason, and a `.env` holding a fake key. */
export async function hostileWorkspace(): Promise<string> {
  const dir = await copySample('hostile');
  const write = async (rel: string, data: string | Uint8Array) => {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), data);
  };
  await write('notes/fresh.md', `# Fresh\n\nA note written for run ${randomUUID()}, so this run has something new to embed.\n`);
  await write('.env', `AZURE_OPENAI_API_KEY=${LEAK_CANARY}\n`);
  await write('config/.env.production', `BITNET_API_KEY=${LEAK_CANARY}\n`);
  await write('notes/binary.txt', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00, 0xff, 0x00, 0x13]));
  await write('notes/huge.md', `# Huge\n\n${'All work and no play makes a very large file. '.repeat(30_000)}\n`);
  await write('notes/latin1.txt', Buffer.from('caf\xe9 au lait, cr\xe8me br\xfbl\xe9e\n', 'latin1'));
  await write('web/bundle.js', `!function(){${'var a=1;function b(c){return c*2}'.repeat(400)}}();\n`);
  await write('notes/vanishing.md', '# Vanishing\n\nThis file is deleted while the indexer runs.\n');
  await fs.symlink('..', path.join(dir, 'notes', 'loop'));
  return dir;
}

/** The node file system, except that `notes/vanishing.md` disappears just before it is read. */
export function vanishingFileSystem(): FileSystem {
  return {
    ...nodeFileSystem,
    async readFile(absPath: string) {
      if (absPath.endsWith(`${path.sep}notes${path.sep}vanishing.md`)) await fs.rm(absPath, { force: true });
      return nodeFileSystem.readFile(absPath);
    },
  };
}

/** A generated project of `files` TypeScript files with `functionsPerFile` functions each. */
export async function generatedWorkspace(label: string, files: number, functionsPerFile: number): Promise<string> {
  const dir = await tempDir(label);
  for (let f = 0; f < files; f++) {
    const folder = path.join(dir, `module${f % 20}`);
    await fs.mkdir(folder, { recursive: true });
    const body = Array.from({ length: functionsPerFile }, (_, i) =>
      [
        `/** Computes the ${i}th checksum of record ${f} for the ledger. */`,
        `export function checksum${f}_${i}(input: string): number {`,
        `  let hash = ${f * 31 + i};`,
        `  for (const ch of input) hash = (hash * 33 + ch.charCodeAt(0)) >>> 0;`,
        `  return hash % ${1000 + i};`,
        `}`,
      ].join('\n'),
    ).join('\n\n');
    await fs.writeFile(path.join(folder, `file${f}.ts`), `${body}\n`);
  }
  return dir;
}
