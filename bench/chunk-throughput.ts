// Chunking throughput on generated sources: `npx tsx bench/chunk-throughput.ts [files] [maxTokens]`.
// Prints files/s, MB/s and chunks per language; the first pass (grammar loading) is reported separately.
import { performance } from 'node:perf_hooks';
import { chunkFile } from '../src/core/chunk';

const files = Number(process.argv[2] ?? 400);
const maxTokens = Number(process.argv[3] ?? 384);

function source(kind: string, i: number): [string, string] {
  const n = 8 + (i % 17);
  const seq = Array.from({ length: n }, (_, j) => j);
  switch (kind) {
    case 'ts':
      return [`src/m${i}.ts`, `import { dep } from './dep${i}';\n\n${seq.map((j) => `/** Does ${j}. */\nexport class Service${j} {\n  private cache = new Map<string, number>();\n\n${seq.map((k) => `  method${k}(input: string): number {\n    const value = this.cache.get(input) ?? ${k};\n    if (value > ${j}) {\n      return dep(value, ${k});\n    }\n    return value * ${j};\n  }\n`).join('\n')}}\n`).join('\n')}`];
    case 'py':
      return [`pkg/m${i}.py`, `from .dep import helper\n\n${seq.map((j) => `class Model${j}:\n    """Model ${j}."""\n\n${seq.map((k) => `    def method_${k}(self, x):\n        """Method ${k}."""\n        return helper(x, ${k}) * ${j}\n`).join('\n')}`).join('\n\n')}`];
    case 'go':
      return [`go/m${i}.go`, `package m\n\n${seq.map((j) => `// F${j} computes.\nfunc F${j}(a int) int {\n${seq.map((k) => `\tif a > ${k} {\n\t\ta -= ${k}\n\t}\n`).join('')}\treturn a\n}\n`).join('\n')}`];
    case 'md':
      return [`docs/d${i}.md`, `---\ntitle: Doc ${i}\n---\n\n${seq.map((j) => `## Section ${j}\n\n${seq.map((k) => `Paragraph ${k} explains [topic ${k}](./t${k}.md) in a few words of prose.`).join('\n\n')}\n\n\`\`\`sh\n# step ${j}\nrun --flag ${j}\n\`\`\`\n`).join('\n')}`];
    default:
      return [`conf/c${i}.yaml`, seq.map((j) => `group${j}:\n${seq.map((k) => `  key${k}: value-${j}-${k}`).join('\n')}\n`).join('\n')];
  }
}

async function main(): Promise<void> {
  const kinds = ['ts', 'py', 'go', 'md', 'yaml'];
  const inputs = Array.from({ length: files }, (_, i) => source(kinds[i % kinds.length], i));
  const warm = performance.now();
  for (const k of kinds) {
    const [p, t] = source(k, 0);
    await chunkFile(p, t, { maxTokens, overlapLines: 3 });
  }
  console.log(`first pass (runtime + 3 grammars): ${(performance.now() - warm).toFixed(0)} ms`);
  const bytes = inputs.reduce((n, [, t]) => n + Buffer.byteLength(t), 0);
  const perKind = new Map<string, { files: number; chunks: number; ms: number }>();
  const start = performance.now();
  for (const [p, t] of inputs) {
    const t0 = performance.now();
    const { chunks } = await chunkFile(p, t, { maxTokens, overlapLines: 3 });
    const k = p.slice(p.lastIndexOf('.') + 1);
    const s = perKind.get(k) ?? { files: 0, chunks: 0, ms: 0 };
    perKind.set(k, { files: s.files + 1, chunks: s.chunks + chunks.length, ms: s.ms + performance.now() - t0 });
  }
  const ms = performance.now() - start;
  console.log(`${files} files, ${(bytes / 1e6).toFixed(2)} MB, maxTokens ${maxTokens}: ${ms.toFixed(0)} ms = ${((files / ms) * 1000).toFixed(0)} files/s, ${(bytes / 1e6 / (ms / 1000)).toFixed(2)} MB/s`);
  for (const [k, s] of perKind) console.log(`  ${k.padEnd(5)} ${s.files} files, ${s.chunks} chunks, ${(s.ms / s.files).toFixed(1)} ms/file`);
}

void main();
