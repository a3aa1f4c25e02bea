import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chunkFile, CHUNKER_VERSION, embeddingInput, languageOf, resolveLinks, type RawLink } from '../../src/core/chunk';
import { countTokens } from '../../src/core/tokens';
import type { Chunk } from '../../src/core/types';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'chunk');
/** Fixture files named `x.ts.txt` stand for `x.ts` (kept out of the TypeScript project). */
const fixtures = fs.readdirSync(FIXTURES).map((name) => ({ name: name.replace(/\.txt$/, ''), text: fs.readFileSync(path.join(FIXTURES, name), 'utf8') }));
const fixture = (name: string) => fixtures.find((f) => f.name === name)!.text;

async function chunks(name: string, text: string, maxTokens = 384, overlapLines = 2): Promise<Chunk[]> {
  return (await chunkFile(name, text, { maxTokens, overlapLines })).chunks;
}

/** [symbol, kind, startLine, endLine] of each chunk that has a symbol. */
const symbols = (cs: Chunk[]) => cs.filter((c) => c.symbol).map((c) => [c.symbol, c.kind, c.startLine, c.endLine]);

function checkInvariants(file: string, text: string, cs: Chunk[], maxTokens: number): void {
  const lines = text.split('\n');
  const covered = new Array<boolean>(lines.length).fill(false);
  for (const c of cs) {
    const where = `${file} @${maxTokens} ${c.startLine}-${c.endLine}`;
    assert.ok(c.startLine >= 1 && c.startLine <= c.endLine && c.endLine <= lines.length, `${where}: line range`);
    const whole = lines.slice(c.startLine - 1, c.endLine).join('\n');
    if (c.column === undefined) assert.equal(c.text, whole, `${where}: text is exactly its lines`);
    else {
      assert.equal(c.startLine, c.endLine, `${where}: a part is of one line`);
      assert.equal(c.text, whole.slice(c.column, c.column + c.text.length), `${where}: a part is exactly its line from its column`);
    }
    assert.equal(c.contentHash, createHash('sha256').update(c.text).digest('hex'), `${where}: hash`);
    assert.equal(c.tokens, countTokens(embeddingInput(c)), `${where}: tokens count header + text`);
    assert.ok(c.tokens <= maxTokens, `${where}: ${c.tokens} tokens over budget ${maxTokens}`);
    assert.equal(c.path, file);
    assert.equal(c.language, languageOf(file));
    assert.match(c.text.split('\n')[0], /\S/, `${where}: starts on a non-blank line`);
    // A header shows lines of the file above the part, verbatim (line endings aside), never rebuilt ones.
    for (const h of c.header?.split('\n') ?? []) assert.ok(lines.some((l) => l.replace(/\r$/, '') === h), `${where}: header line ${JSON.stringify(h)} is not a line of the file`);
    for (let i = c.startLine - 1; i < c.endLine; i++) covered[i] = true;
  }
  lines.forEach((line, i) => assert.ok(covered[i] || !/\S/.test(line), `${file} @${maxTokens}: line ${i + 1} not covered: ${line}`));
}

describe('chunk', () => {
  describe('exactness, coverage and budget over every fixture', () => {
    for (const { name, text } of fixtures) {
      it(name, async () => {
        for (const maxTokens of [24, 48, 96, 384]) {
          const cs = await chunks(name, text, maxTokens);
          assert.ok(cs.length > 0);
          checkInvariants(name, text, cs, maxTokens);
          // CRLF input: same line ranges and kinds, and each chunk's text keeps the '\r' of its lines.
          const crlf = text.replace(/\n/g, '\r\n');
          const crlfChunks = await chunks(name, crlf, maxTokens);
          checkInvariants(name, crlf, crlfChunks, maxTokens + 64); // '\r' adds tokens; ranges are what must match at the same budget
        }
        // At the default budget, where '\r' cannot tip a range over it, CRLF gives the same ranges, and every chunk of
        // several lines keeps its '\r\n' (the fixtures all have some).
        const lf = await chunks(name, text, 384);
        const crlf = await chunks(name, text.replace(/\n/g, '\r\n'), 384);
        assert.deepEqual(crlf.map((c) => [c.startLine, c.endLine, c.kind, c.symbol]), lf.map((c) => [c.startLine, c.endLine, c.kind, c.symbol]));
        const multiLine = crlf.filter((c) => c.endLine > c.startLine);
        assert.ok(multiLine.length > 0, 'some chunk spans several lines');
        assert.ok(multiLine.every((c) => c.text.includes('\r\n')));
      });
    }

    it('generated files of every language at several budgets', async () => {
      for (const [name, text] of Object.entries(generated())) {
        for (const maxTokens of [64, 200]) checkInvariants(name, text, await chunks(name, text, maxTokens), maxTokens);
      }
    });
  });

  describe('languageOf', () => {
    it('maps extensions and well-known names', () => {
      const cases: Record<string, string> = {
        'README.md': 'markdown', 'a/b.MDX': 'markdown', 'x.ts': 'typescript', 'x.d.ts': 'typescript', 'x.tsx': 'tsx',
        'x.jsx': 'javascript', 'x.mjs': 'javascript', 'x.cjs': 'javascript', 'x.py': 'python', 'x.go': 'go', 'X.java': 'java',
        'X.cs': 'csharp', 'x.rs': 'rust', 'x.c': 'c', 'x.h': 'c', 'x.hpp': 'cpp', 'x.cc': 'cpp', 'x.rb': 'ruby', 'x.php': 'php',
        'x.sh': 'shell', 'x.yaml': 'yaml', 'x.json': 'json', 'Dockerfile': 'dockerfile', 'sub/Makefile': 'makefile',
        'LICENSE': 'text', '.env': 'text', 'x.unknown': 'text',
      };
      for (const [p, lang] of Object.entries(cases)) assert.equal(languageOf(p), lang, p);
    });
  });

  describe('markdown', () => {
    it('builds heading paths from ATX and setext headings and front matter, ignoring # inside fences', async () => {
      const para = (topic: string) => `${topic} ${'explains the configuration of the indexer in some detail '.repeat(4)}`;
      const text = [
        '---', 'title: Handbook', 'tags: [a]', '---', '', para('Preamble'), '',
        'Install', '=======', '', para('Installing'), '',
        '```sh', '# not a heading', '```', '',
        '~~~', '## also not a heading', '~~~', '',
        'Linux', '-----', '', para('Linux'), '',
        '### Debian ###', '', para('Debian'), '',
        '## macOS', '', para('macOS'), '',
      ].join('\n');
      const cs = await chunks('docs/handbook.md', text, 64);
      checkInvariants('docs/handbook.md', text, cs, 64);
      assert.ok(cs.every((c) => c.kind === 'section' && c.symbol === undefined));
      // No H1 besides the setext one, so the title roots only the preamble.
      assert.deepEqual(
        cs.map((c) => [c.headingPath, c.startLine]),
        [['Handbook', 1], ['Install', 8], ['Install > Linux', 21], ['Install > Linux > Debian', 26], ['Install > macOS', 30]],
      );
      assert.ok(!cs.some((c) => /not a heading/.test(c.headingPath ?? '')));
    });

    it('a reference heading that names an API member defines it, in every chunk of its section; prose headings define nothing', async () => {
      const para = (topic: string) => `${topic} ${'returns the route that matches, or null when nothing does. '.repeat(5)}`;
      const text = [
        '## Server', '', para('Intro'), '',
        '#### findRoute', '', para('findRoute'), '', para('More'), '',
        '### .hijack()', '', para('Hijack'), '',
        '#### Symbol.asyncDispose', '', para('Dispose'), '',
        '## `fastify.listen(options)`', '', para('Listen'), '',
        '#### Objects', '', para('Objects'), '',
        '## Getting started', '', para('Start'),
      ].join('\n');
      const cs = await chunks('docs/Server.md', text, 96);
      const definer = (name: string) => cs.filter((c) => c.defines.includes(name)).map((c) => c.headingPath);
      assert.ok(definer('findRoute').length >= 2 && definer('findRoute').every((h) => h === 'Server > findRoute'), JSON.stringify(definer('findRoute')));
      assert.deepEqual(definer('hijack'), ['Server > .hijack()']);
      assert.deepEqual([definer('Symbol.asyncDispose'), definer('asyncDispose')], [['Server > .hijack() > Symbol.asyncDispose'], ['Server > .hijack() > Symbol.asyncDispose']]);
      assert.deepEqual([definer('fastify.listen'), definer('listen')], [['`fastify.listen(options)`'], ['`fastify.listen(options)`']]);
      for (const prose of ['Server', 'Objects', 'Getting', 'Intro']) assert.deepEqual(definer(prose), [], prose);
    });

    it('roots paths at the front matter title when the document has no level-1 heading', async () => {
      const text = ['+++', 'title = "Ops"', '+++', '## Deploy', 'deploy '.repeat(110), '## Rollback', 'rollback '.repeat(110)].join('\n');
      const cs = await chunks('ops.md', text, 120);
      assert.deepEqual(cs.map((c) => c.headingPath), ['Ops', 'Ops > Deploy', 'Ops > Rollback']);
      assert.deepEqual(cs.map((c) => c.startLine), [1, 4, 6]);
    });

    it('splits an oversized section at paragraph and fence boundaries, keeping the heading path', async () => {
      const para = (n: number) => `Paragraph ${n} ${'talks about chunk boundaries and token budgets. '.repeat(3)}`;
      const fence = ['```ts', ...Array.from({ length: 6 }, (_, i) => `const value${i} = compute(${i}); // step ${i}`), '```'];
      const text = ['# Guide', '', '## Chunking', '', para(1), '', para(2), '', ...fence, '', para(3), '', para(4), ''].join('\n');
      const cs = await chunks('guide.md', text, 90);
      checkInvariants('guide.md', text, cs, 90);
      const parts = cs.filter((c) => c.headingPath === 'Guide > Chunking');
      assert.ok(parts.length >= 3, `split into ${parts.length}`);
      const lines = text.split('\n');
      const fenceStart = lines.indexOf('```ts') + 1;
      const fenceEnd = fenceStart + fence.length - 1;
      for (const c of parts) {
        // Whole fence in one part; every part ends at the end of a paragraph or of the fence.
        assert.ok(c.endLine < fenceStart || c.startLine > fenceEnd || (c.startLine <= fenceStart && c.endLine >= fenceEnd), `${c.startLine}-${c.endLine} cuts the fence`);
        assert.ok(c.endLine === lines.length - 1 || lines[c.endLine] === '', `part ends mid-paragraph at ${c.endLine}`);
      }
      // The heading path, not a header, carries the context of every part (it is embedded above the text).
      for (const c of parts) assert.equal(c.header, undefined);
      assert.ok(parts.every((c) => embeddingInput(c).startsWith('Guide > Chunking\n')));
    });

    it('splits a fence that alone exceeds the budget by lines', async () => {
      const body = Array.from({ length: 80 }, (_, i) => `line ${i}: ${'token '.repeat(8)}`);
      const text = ['# Big', '', '```', ...body, '```'].join('\n');
      const cs = await chunks('big.md', text, 64);
      checkInvariants('big.md', text, cs, 64);
      assert.ok(cs.length > 5);
    });

    it('merges small sibling sections up to the budget under their common parent path', async () => {
      const text = ['# Setup', 'Intro.', '## Linux', 'apt install x', '## Windows', 'winget install x', '### ARM', 'Same.', '# FAQ', 'None yet.'].join('\n');
      const cs = await chunks('setup.md', text, 384);
      assert.deepEqual(cs.map((c) => [c.startLine, c.endLine, c.headingPath]), [[1, 10, 'Setup']]);
      // A budget the parent section just fits: its children merge with each other, not with it.
      const parent = ['# Setup', 'step '.repeat(100)];
      const siblings = [...parent, '## Linux', 'apt install x', '## Windows', 'winget install x', '### ARM', 'Same.'].join('\n');
      const budget = countTokens(parent.join('\n')) + 2;
      assert.deepEqual((await chunks('s.md', siblings, budget)).map((c) => [c.startLine, c.endLine, c.headingPath]), [
        [1, 2, 'Setup'],
        [3, 8, 'Setup'],
      ]);
    });

    it('does not merge a section into a following shallower one', async () => {
      const text = ['### Deep', 'tiny', '# Shallow', 'tiny too'].join('\n');
      assert.deepEqual((await chunks('d.md', text)).map((c) => [c.startLine, c.endLine, c.headingPath]), [
        [1, 2, 'Deep'],
        [3, 4, 'Shallow'],
      ]);
    });

    it('extracts relative links and reference definitions, not images, anchors, URLs or code spans', async () => {
      const { links } = await chunkFile('docs/guide.md', fixture('guide.md'), { maxTokens: 384, overlapLines: 0 });
      assert.deepEqual(links, [
        { spec: './setup/install.md#linux', kind: 'link' },
        { spec: '../reference/api.md', kind: 'link' },
        { spec: './faq.md', kind: 'link' },
        { spec: './setup/linux notes.md', kind: 'link' },
        { spec: './CONTRIBUTING.md', kind: 'link' },
      ]);
    });
  });

  describe('code', () => {
    it('TypeScript: symbols with kinds, exact lines, leading comments and decorators', async () => {
      const cs = await chunks('src/store.ts', fixture('store.ts'));
      assert.deepEqual(symbols(cs), [
        ['StoreOptions', 'interface', 9, 13],
        ['Mode', 'enum', 15, 18],
        ['Id', 'type', 20, 20],
        ['Store', 'class', 22, 45],
        ['loadLazy', 'function', 47, 50],
        ['helperFn', 'function', 52, 54],
        ['Internal', 'module', 56, 58],
      ]);
      const store = cs.find((c) => c.symbol === 'Store')!;
      assert.deepEqual(store.defines, ['Store', 'Store.replaceFiles', 'Store.size']);
      const glue = cs.filter((c) => c.kind === 'code');
      assert.deepEqual(glue.map((c) => [c.startLine, c.endLine, c.defines]), [[1, 7, ['DEFAULT_LIMIT']]]);
    });

    it('JavaScript: functions declared inside a function and methods assigned to a prototype are defined where they are', async () => {
      const helpers = Array.from({ length: 30 }, (_, i) => `  function helper${i} (x) {\n    return x.value + ${i} // the helper number ${i} of the router\n  }`).join('\n');
      const text = `function buildRouting (options) {\n  const router = {}\n${helpers}\n  return { helper0, helper29 }\n}\n\nReply.prototype.hijack = function () {\n  this[kReplyHijacked] = true\n  return this\n}\nmodule.exports.build = () => {}\nlimit = 10\n`;
      const cs = await chunks('lib/route.js', text, 128);
      const definer = (name: string) => cs.filter((c) => c.defines.includes(name)).map((c) => [c.startLine, c.endLine]);
      for (const i of [0, 13, 29]) {
        const [[start, end]] = definer(`helper${i}`);
        const row = 3 + i * 3;
        assert.ok(start <= row && row <= end, `helper${i} (line ${row}) in ${start}-${end}`);
      }
      assert.ok(cs.every((c) => !c.defines.includes('helper5') || c.defines.includes('buildRouting')), 'a part still defines its function');
      assert.deepEqual(definer('hijack'), definer('Reply.hijack'));
      assert.equal(definer('hijack').length, 1);
      assert.equal(definer('build').length, 1);
      assert.deepEqual(definer('module.exports.build'), []);
      assert.equal(definer('limit').length, 1);
      const whole = await chunks('lib/small.js', 'function outer () {\n  function inner () { return 1 }\n  return inner\n}\n');
      assert.deepEqual(whole[0].defines, ['outer', 'inner']);
    });

    it('top-level constants split over several glue chunks: each chunk defines only the names on its own lines', async () => {
      const text = Array.from({ length: 400 }, (_, i) => `export const setting${i} = 'value number ${i} of the table';`).join('\n');
      const cs = await chunks('src/settings.ts', text);
      assert.ok(cs.length > 3, `expected several chunks, got ${cs.length}`);
      for (const c of cs) {
        const own = Array.from({ length: c.endLine - c.startLine + 1 }, (_, k) => `setting${c.startLine - 1 + k}`);
        assert.deepEqual(c.defines, own, `${c.startLine}-${c.endLine}`);
      }
    });

    it('TypeScript: a class over budget splits into a skeleton and methods under the class signature', async () => {
      const cs = await chunks('src/store.ts', fixture('store.ts'), 64);
      const header = 'export class Store extends Base implements Closeable {';
      const parts = cs.filter((c) => c.symbol === 'Store' || c.symbol?.startsWith('Store.'));
      assert.deepEqual(parts.map((c) => [c.symbol, c.kind, c.startLine, c.endLine]), [
        ['Store', 'class', 22, 32],
        ['Store.replaceFiles', 'method', 34, 37],
        ['Store.replaceFiles', 'method', 38, 40],
        ['Store.size', 'method', 42, 45],
      ]);
      assert.equal(parts[0].header, undefined);
      assert.ok(parts[0].text.includes('constructor('), 'the skeleton keeps fields and the constructor');
      assert.equal(parts[1].header, header);
      // At this small budget the header keeps only the innermost signature (headers take at most a quarter of it).
      assert.equal(parts[2].header, '  async replaceFiles(files: string[]): Promise<void> {');
      assert.equal(parts[3].header, header);
    });

    it('Python: class with decorators, docstrings and methods; __init__ stays in the skeleton', async () => {
      const text = fixture('models.py');
      const whole = await chunks('pkg/models.py', text);
      assert.deepEqual(symbols(whole), [
        ['top_level', 'function', 12, 14],
        ['Item', 'class', 17, 34],
        ['fetch_all', 'function', 37, 38],
      ]);
      assert.deepEqual(whole.find((c) => c.symbol === 'Item')!.defines, ['Item', 'Item.slug', 'Item.make']);
      const split = await chunks('pkg/models.py', text, 48);
      const item = split.filter((c) => c.symbol?.startsWith('Item'));
      assert.deepEqual(item.map((c) => [c.symbol, c.kind, c.startLine, c.endLine, c.header]), [
        ['Item', 'class', 17, 25, undefined],
        ['Item.slug', 'method', 27, 30, 'class Item(Base):'],
        ['Item.make', 'method', 32, 34, 'class Item(Base):'],
      ]);
      assert.match(item[0].text, /^@dataclass\n/);
      assert.match(item[0].text, /def __init__/);
      assert.match(item[1].text, /^ {4}@property\n.*\n {8}"""The slug\."""/);
    });

    const expectations: Record<string, Array<[string, string, number, number]>> = {
      'server.go': [
        ['Store', 'struct', 11, 14], ['Getter', 'interface', 16, 19], ['ID', 'type', 21, 21],
        ['Store.Get', 'method', 23, 26], ['New', 'function', 28, 31], ['handler', 'function', 33, 35],
      ],
      'Store.java': [['Store', 'class', 6, 32]],
      // Containers larger than a third of the budget are cited by member, so namespaces split at the default budget.
      'Store.cs': [
        ['Example.Storage', 'module', 4, 5], ['Store', 'class', 6, 23], ['IReader', 'interface', 25, 28], ['Color', 'enum', 30, 30],
        ['Point', 'struct', 32, 32], ['Person', 'class', 34, 35],
      ],
      'lib.rs': [
        ['Store', 'struct', 7, 11], ['Kind', 'enum', 13, 16], ['Reader', 'trait', 18, 21], ['Store', 'impl', 23, 32],
        ['Store', 'impl', 34, 38], ['Map', 'type', 40, 40], ['square', 'macro', 44, 48], ['free_function', 'function', 50, 52],
      ],
      'list.c': [['node', 'struct', 8, 12], ['list_t', 'type', 14, 16], ['list_push', 'function', 20, 25], ['list_free', 'function', 27, 29]],
      'store.cpp': [
        ['app', 'module', 5, 5], ['Store', 'class', 7, 16], ['Store::size', 'method', 18, 20], ['maxOf', 'function', 22, 25],
        ['Point', 'struct', 27, 30], ['Color', 'enum', 32, 34],
      ],
      'app.js': [['start', 'function', 8, 13], ['stop', 'function', 15, 17], ['App', 'class', 19, 27]],
      'view.tsx': [['Props', 'type', 4, 4], ['Header', 'function', 6, 8], ['Panel', 'class', 10, 19]],
      'tool.rb': [['Tools', 'module', 4, 20], ['helper', 'function', 22, 24]],
      'index.php': [['Greeter', 'interface', 6, 8], ['Hello', 'class', 10, 16], ['main', 'function', 18, 20]],
      'deploy.sh': [['build', 'function', 6, 8], ['deploy', 'function', 10, 13]],
    };
    for (const [file, expected] of Object.entries(expectations)) {
      it(`${languageOf(file)}: symbols of ${file}`, async () => {
        assert.deepEqual(symbols(await chunks(`src/${file}`, fixture(file))), expected);
      });
    }

    it('defines of whole containers list their members, qualified by class', async () => {
      const defines = async (file: string, symbol: string) => (await chunks(`src/${file}`, fixture(file))).find((c) => c.symbol === symbol)!.defines;
      assert.deepEqual(await defines('Store.java', 'Store'), ['Store', 'Store.add', 'Store.size', 'Store.Listener', 'Store.Listener.changed', 'Store.Kind']);
      assert.deepEqual(await defines('Store.cs', 'Store'), ['Store', 'Store.Add', 'Store.Dispose']);
      assert.deepEqual(await defines('Store.cs', 'IReader'), ['IReader', 'IReader.Read']);
      assert.deepEqual(await defines('store.cpp', 'Store'), ['Store', 'Store::add']);
      assert.deepEqual(await defines('tool.rb', 'Tools'), ['Tools', 'Runner', 'Runner.run', 'Runner.create']);
      assert.deepEqual(await defines('lib.rs', 'Store'), ['Store'], 'a struct without methods defines itself');
    });

    it('splits namespaces and classes of C#, C++ and Java into members with nested headers', async () => {
      const cs = await chunks('src/Store.cs', fixture('Store.cs'), 64);
      assert.deepEqual(symbols(cs), [
        ['Example.Storage', 'module', 4, 5],
        ['Store', 'class', 6, 14],
        ['Store.Add', 'method', 16, 20],
        ['Store.Dispose', 'method', 22, 23],
        ['IReader', 'interface', 25, 28],
        ['Color', 'enum', 30, 30],
        ['Point', 'struct', 32, 32],
        ['Person', 'class', 34, 35],
      ]);
      const add = cs.find((c) => c.symbol === 'Store.Add')!;
      // The class's own lines, verbatim; at this budget the namespace's lines do not fit above them, at twice it they do.
      assert.equal(add.header, '    [Serializable]\n    public class Store : IDisposable\n    {');
      const roomier = (await chunks('src/Store.cs', fixture('Store.cs'), 128)).find((c) => c.symbol === 'Store.Add')!;
      assert.equal(roomier.header, 'namespace Example.Storage\n{\n    [Serializable]\n    public class Store : IDisposable\n    {');
      const cpp = await chunks('src/store.cpp', fixture('store.cpp'), 64);
      assert.deepEqual([...new Set(symbols(cpp).map((s) => s[0]))], ['app', 'Store', 'Store::add', 'Store::size', 'maxOf', 'Point', 'Color']);
      assert.equal(cpp.find((c) => c.symbol === 'Store::size')!.kind, 'method');
      const java = await chunks('src/Store.java', fixture('Store.java'), 40);
      assert.deepEqual([...new Set(symbols(java).map((s) => s[0]))], ['Store', 'Store.add', 'Store.size', 'Store.Listener', 'Store.Listener.changed', 'Store.Kind']);
      assert.ok(java.some((c) => c.symbol === 'Store' && c.kind === 'class' && /public Store\(\)/.test(c.text)), 'the constructor is part of the skeleton');
    });

    it('splits an oversized function at statement boundaries, each part under the signature', async () => {
      const statements = Array.from({ length: 40 }, (_, i) => `  const v${i} = await fetchValue(${i}, "item-${i}");`);
      const text = ['export async function load(ids: string[]): Promise<number> {', ...statements, '  return 0;', '}', ''].join('\n');
      const cs = await chunks('src/load.ts', text, 64);
      checkInvariants('src/load.ts', text, cs, 64);
      assert.ok(cs.length >= 4);
      assert.ok(cs.every((c) => c.symbol === 'load' && c.kind === 'function'));
      assert.equal(cs[0].header, undefined);
      for (const c of cs.slice(1)) assert.equal(c.header, 'export async function load(ids: string[]): Promise<number> {');
      const go = ['package x', '', 'func Big() int {', ...Array.from({ length: 40 }, (_, i) => `\tv${i} := compute(${i}, "item")`), '\treturn 0', '}', ''].join('\n');
      const goChunks = await chunks('x.go', go, 64);
      checkInvariants('x.go', go, goChunks, 64);
      assert.ok(goChunks.filter((c) => c.symbol === 'Big').slice(1).every((c) => c.header === 'func Big() int {'));
    });

    it('folds symbols sharing a row into one chunk that defines them all', async () => {
      const cs = await chunks('src/one.js', 'function a() { return 1 } function b() { return 2 }\nconst c = 3;\n');
      assert.deepEqual(cs.map((c) => [c.symbol, c.startLine, c.endLine, c.defines]), [['a', 1, 1, ['a', 'b']], [undefined, 2, 2, ['c']]]);
    });

    it('keeps lone closing rows with the symbol before them', async () => {
      const text = fixture('store.cpp');
      const cs = await chunks('src/store.cpp', text, 64);
      const last = cs[cs.length - 1];
      assert.equal(last.symbol, 'Color');
      assert.equal(last.endLine, text.trimEnd().split('\n').length, 'the namespace\'s closing brace joins the last member');
    });

    it('falls back to windows when the syntax tree is mostly errors', async () => {
      const text = Array.from({ length: 30 }, (_, i) => `)))) ${i} ((( }}} <<<>>> @@@ ${i}`).join('\n');
      const cs = await chunks('src/broken.ts', text, 64);
      assert.ok(cs.length > 0 && cs.every((c) => c.kind === 'window'));
      checkInvariants('src/broken.ts', text, cs, 64);
    });

    it('loads the grammars from the folder it is given', async () => {
      const grammarDir = path.join(FIXTURES, 'no-such-dir');
      await assert.rejects(chunkFile('src/a.py', 'def f():\n    return 1\n', { maxTokens: 64, overlapLines: 0, grammarDir }), /no-such-dir/);
      assert.deepEqual(symbols(await chunks('src/a.py', 'def f():\n    return 1\n')), [['f', 'function', 1, 2]]);
    });
  });

  describe('windows', () => {
    it('covers config files with overlapping windows that prefer blank lines', async () => {
      const text = Array.from({ length: 12 }, (_, b) => [`block${b}:`, `  name: item-${b}`, `  value: ${b * 7}`, ''].join('\n')).join('\n');
      const cs = await chunks('config.yaml', text, 40, 1);
      checkInvariants('config.yaml', text, cs, 40);
      assert.ok(cs.length > 2 && cs.every((c) => c.kind === 'window'));
      const lines = text.split('\n');
      for (const c of cs.slice(0, -1)) assert.equal(lines[c.endLine], '', `window ${c.startLine}-${c.endLine} should end before a blank line`);
      for (let i = 1; i < cs.length; i++) assert.ok(cs[i].startLine > cs[i - 1].startLine && cs[i].endLine > cs[i - 1].endLine);
    });

    it('overlaps consecutive windows by overlapLines', async () => {
      const text = Array.from({ length: 60 }, (_, i) => `row ${i} ${'data '.repeat(5)}`).join('\n');
      const cs = await chunks('data.txt', text, 50, 3);
      checkInvariants('data.txt', text, cs, 50);
      for (let i = 1; i < cs.length; i++) assert.equal(cs[i].startLine, cs[i - 1].endLine - 2);
    });

    it('splits a single line longer than the budget into parts of that line, in order, within the budget', async () => {
      const long = 'x = ' + Array.from({ length: 300 }, (_, i) => `value${i}`).join(' + ');
      const text = ['first line', long, 'last line'].join('\n');
      const cs = await chunks('calc.txt', text, 64, 1);
      checkInvariants('calc.txt', text, cs, 64);
      const parts = cs.filter((c) => c.column !== undefined);
      assert.ok(parts.length > 1 && parts.every((c) => c.startLine === 2 && c.endLine === 2));
      assert.equal(parts.map((c) => c.text).join(''), long);
    });

    it('returns nothing for blank files and rejects bad options', async () => {
      assert.deepEqual(await chunkFile('a.ts', ' \n\n\t\n', { maxTokens: 64, overlapLines: 0 }), { chunks: [], links: [] });
      await assert.rejects(chunkFile('a.ts', 'x', { maxTokens: 0, overlapLines: 0 }), RangeError);
      await assert.rejects(chunkFile('a.ts', 'x', { maxTokens: 64, overlapLines: -1 }), RangeError);
    });
  });

  describe('links', () => {
    const specs = async (file: string, virtual = `src/${file}`) => (await chunkFile(virtual, fixture(file), { maxTokens: 384, overlapLines: 0 })).links.map((l) => l.spec);

    it('extracts relative imports only', async () => {
      assert.deepEqual(await specs('store.ts'), ['../types', './util', './helpers/index', './lazy']);
      assert.deepEqual(await specs('app.js'), ['./config.json', '../lib/index', './reexport', './server']);
      assert.deepEqual(await specs('view.tsx'), ['./components/Button']);
      assert.deepEqual(await specs('models.py', 'pkg/sub/models.py'), ['./base', '../utils/text', './', './helpers']);
      assert.deepEqual(await specs('list.c'), ['list.h', '../common/util.h']);
      assert.deepEqual(await specs('store.cpp'), ['store.hpp']);
      assert.deepEqual(await specs('lib.rs'), ['./util.rs', './util/mod.rs', './parser.rs', './parser/mod.rs']);
      assert.deepEqual(await specs('tool.rb'), ['./helpers/format.rb']);
      assert.deepEqual(await specs('server.go'), []);
      const { links } = await chunkFile('src/x.ts', "import fs from 'node:fs';\nimport y = require('./y');\nconst z = require(`./z`);\n", { maxTokens: 64, overlapLines: 0 });
      assert.deepEqual(links, [{ spec: './y', kind: 'import' }, { spec: './z', kind: 'import' }]);
    });

    it('resolves relative to the file, with extensions, index files and __init__.py', () => {
      const files = new Set([
        'docs/setup/install.md', 'docs/setup/linux notes.md', 'reference/api.md', 'src/types.ts', 'src/core/util.ts',
        'src/core/helpers/index.ts', 'src/core/lazy.tsx', 'pkg/base.py', 'pkg/__init__.py', 'utils/text.py', 'src/core/esm.ts',
      ]);
      const exists = (p: string) => files.has(p);
      const link = (spec: string): RawLink => ({ spec, kind: 'link' });
      const imp = (spec: string): RawLink => ({ spec, kind: 'import' });
      assert.deepEqual(
        resolveLinks('docs/guide.md', [link('./setup/install.md#linux'), link('setup/linux%20notes.md?raw=1'), link('../reference/api.md'), link('./missing.md'), link('../../outside.md'), link('https://x.y/a.md'), link('./setup/install.md')], exists),
        [{ target: 'docs/setup/install.md', kind: 'link' }, { target: 'docs/setup/linux notes.md', kind: 'link' }, { target: 'reference/api.md', kind: 'link' }],
      );
      assert.deepEqual(
        resolveLinks('src/core/store.ts', [imp('../types'), imp('./util'), imp('./helpers'), imp('./lazy'), imp('./esm.js'), imp('./store')], exists),
        [
          { target: 'src/types.ts', kind: 'import' }, { target: 'src/core/util.ts', kind: 'import' }, { target: 'src/core/helpers/index.ts', kind: 'import' },
          { target: 'src/core/lazy.tsx', kind: 'import' }, { target: 'src/core/esm.ts', kind: 'import' },
        ],
      );
      assert.deepEqual(resolveLinks('pkg/models.py', [imp('./base'), imp('./'), imp('../utils/text')], exists), [
        { target: 'pkg/base.py', kind: 'import' }, { target: 'pkg/__init__.py', kind: 'import' }, { target: 'utils/text.py', kind: 'import' },
      ]);
      assert.deepEqual(resolveLinks('docs/a.md', [link('/reference/api.md')], exists), [{ target: 'reference/api.md', kind: 'link' }]);
    });
  });
});

/** Larger synthetic sources, so splitting paths run in every language. */
function generated(): Record<string, string> {
  const n = Array.from({ length: 12 }, (_, i) => i);
  return {
    'gen/big.ts': n.map((i) => `/** Doc ${i}. */\nexport class C${i} {\n  field${i} = ${i};\n${n.map((j) => `  m${j}(a: number): number {\n    const x = a * ${j};\n    return x + ${i};\n  }\n`).join('\n')}}\n`).join('\n'),
    'gen/big.py': n.map((i) => `class C${i}:\n    """Doc ${i}."""\n\n${n.map((j) => `    @staticmethod\n    def m${j}(a):\n        x = a * ${j}\n        return x + ${i}\n`).join('\n')}`).join('\n\n'),
    'gen/big.go': `package gen\n\n${n.map((i) => `// F${i} does things.\nfunc F${i}(a int) int {\n${n.map((j) => `\tx${j} := a * ${j}\n`).join('')}\treturn x0\n}\n`).join('\n')}`,
    'gen/Big.java': `class Big {\n${n.map((i) => `  /** M${i}. */\n  int m${i}(int a) {\n${n.map((j) => `    int x${j} = a * ${j};\n`).join('')}    return a;\n  }\n`).join('\n')}}\n`,
    'gen/big.rs': n.map((i) => `impl S${i} {\n${n.map((j) => `    fn m${j}(&self) -> i32 {\n        ${j} + ${i}\n    }\n`).join('')}}\n`).join('\n'),
    'gen/big.h': `#ifndef BIG_H\n#define BIG_H\n${n.map((i) => `int f${i}(int a) {\n${n.map((j) => `    a += ${j};\n`).join('')}    return a;\n}\n`).join('\n')}#endif\n`,
    'gen/big.md': n.map((i) => `## Part ${i}\n\n${n.map((j) => `Paragraph ${j} of part ${i} with several words in it.\n`).join('\n')}\n\`\`\`\n# code ${i}\n\`\`\`\n`).join('\n'),
    'gen/big.json': JSON.stringify({ items: n.map((i) => ({ id: i, tags: n.map((j) => `t${j}`) })) }, null, 2),
  };
}
