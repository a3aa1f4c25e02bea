// Pure parts of the store: Lucene escaping and batch splitting (the Neo4j behaviour is in test/integration/store.test.ts).
import assert from 'node:assert/strict';
import neo4j from 'neo4j-driver';
import { escapeLucene, StoreUnavailableError, writeIsolated } from '../../src/core/store';
import { MAX_QUERY_TOKENS } from '../../src/core/store/lucene';

describe('escapeLucene', () => {
  it('escapes every Lucene syntax character', () => {
    assert.equal(escapeLucene('a+b-c&&d||e!f(g)h{i}j[k]l^m"n~o*p?q:r\\s/t'), 'a\\+b\\-c\\&\\&d\\|\\|e\\!f\\(g\\)h\\{i\\}j\\[k\\]l\\^m\\"n\\~o\\*p\\?q\\:r\\\\s\\/t');
  });

  it('turns bare operators into plain words and keeps other words as they are', () => {
    assert.equal(escapeLucene('cats AND dogs OR NOT birds and Android'), 'cats and dogs or not birds Android');
    assert.equal(escapeLucene('src/core/store.ts'), 'src\\/core\\/store.ts');
  });

  it('sends a repeated word once, whatever its case', () => {
    assert.equal(escapeLucene('Store store STORE the store? store'), 'Store the store\\?');
  });

  it('drops words without a letter or digit and returns an empty query when nothing is left', () => {
    assert.equal(escapeLucene('( ) \\ / * ? - && || ! "'), '');
    assert.equal(escapeLucene('   '), '');
    assert.equal(escapeLucene('-- déjà vu 42 --'), 'déjà vu 42');
  });
});

describe('escapeLucene bounds the query to Lucene\'s clause limit', () => {
  const words = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i));
  const letters = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]);

  it('leaves a query within the bound as it is', () => {
    const text = words(MAX_QUERY_TOKENS, (i) => `word${letters(i)}`).join(' ');
    assert.equal(escapeLucene(text), text);
  });

  it('keeps at most MAX_QUERY_TOKENS tokens of 2,000 distinct words', () => {
    const query = escapeLucene(words(2000, (i) => `w${letters(i)}`).join(' '));
    assert.equal(query.split(' ').length, MAX_QUERY_TOKENS);
    assert.ok(MAX_QUERY_TOKENS * 5 + 1 <= 1024, 'five fields per token and the workspace clause stay within 1024 clauses');
  });

  it('prefers code-like words, then longer ones, then earlier ones, and keeps their order', () => {
    const filler = words(300, (i) => `fill${letters(i)}`); // 26 of five letters, then six letters
    const text = [...filler.slice(0, 150), 'evictIfNeeded', 'max_memory', 'src/store.ts', 'extraordinarily', ...filler.slice(150)].join(' ');
    // 1 + 1 + 3 tokens of code, the longest word, then the four earliest six-letter words fill the budget of 10.
    assert.deepEqual(escapeLucene(text, 10).split(' '), [...filler.slice(26, 30), 'evictIfNeeded', 'max_memory', 'src\\/store.ts', 'extraordinarily']);
  });

  it('counts the tokens a word is analysed into, not the words', () => {
    // Each `a\/b\/c` is three tokens: 68 of them were the most Neo4j took (69 fail), so a budget of 30 keeps 10.
    const query = escapeLucene(words(100, (i) => `a${letters(i)}/b${letters(i)}/c${letters(i)}`).join(' '), 30);
    assert.equal(query.split(' ').length, 10);
    // Han characters are one token each, however they are spaced.
    assert.equal(escapeLucene('索引'.repeat(100) + ' 搜索', 9), '搜索');
  });

  it('keeps the first tokens of a single word longer than the whole budget', () => {
    const path = words(500, (i) => `part${letters(i)}`).join('/');
    const query = escapeLucene(path, 20);
    assert.deepEqual(query.split(' '), words(20, (i) => `part${letters(i)}`));
    assert.equal(escapeLucene('中'.repeat(400), 12), Array(12).fill('中').join(' '));
  });

  it('never exceeds the ceiling Neo4j measured, whatever the caller asks', () => {
    const query = escapeLucene(words(1000, (i) => `x${letters(i)}`).join(' '), 10_000);
    assert.equal(query.split(' ').length, 204);
  });
});

describe('writeIsolated', () => {
  const memoryError = () => new neo4j.Neo4jError('too big', 'Neo.TransientError.General.TransactionMemoryLimit', '50N42', 'memory');
  // What Neo4j 5.26 answers for a symbol name beyond the range index's key limit.
  const tooLarge = () => new neo4j.Neo4jError('Property value is too large to index', 'Neo.DatabaseError.Statement.ExecutionFailed', '50N42', 'index');

  it('halves a batch until each part fits, keeping every item once and in order', async () => {
    const written: number[][] = [];
    const items = Array.from({ length: 11 }, (_, i) => i);
    const failures = await writeIsolated(
      items,
      async (part) => {
        if (part.length > 3) throw memoryError();
        written.push(part);
      },
      String,
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(written.flat(), items);
    assert.ok(written.every((p) => p.length <= 3));
  });

  it('returns the single item that still does not fit, named, and writes the rest', async () => {
    const written: string[] = [];
    const failures = await writeIsolated(['small', 'huge', 'other'], async (part) => {
      if (part.includes('huge')) throw memoryError();
      written.push(...part);
    }, (s) => `file ${s}`);
    assert.deepEqual(written.sort(), ['other', 'small']);
    assert.deepEqual(failures.map((f) => f.item), ['huge']);
    assert.match(failures[0].message, /ran out of transaction memory writing file huge/);
  });

  it('isolates a value Neo4j refuses to the one file that holds it', async () => {
    const written: number[] = [];
    const items = Array.from({ length: 50 }, (_, i) => i);
    const failures = await writeIsolated(items, async (part) => {
      if (part.includes(37)) throw tooLarge();
      written.push(...part);
    }, (n) => `f${n}.js`);
    assert.deepEqual(failures.map((f) => f.item), [37]);
    assert.match(failures[0].message, /Neo4j refused f37\.js: Property value is too large to index/);
    assert.equal(written.length, 49);
  });

  it('throws at once when the service fails, without splitting', async () => {
    let calls = 0;
    await assert.rejects(
      writeIsolated([1, 2, 3, 4], async () => {
        calls++;
        throw new StoreUnavailableError('unreachable', 'Neo4j is not reachable');
      }, String),
      /not reachable/,
    );
    assert.equal(calls, 1);
  });

  it('throws when every file of a batch fails: that is not one file\'s fault', async () => {
    await assert.rejects(writeIsolated([1, 2, 3], async () => {
      throw new Error('disk full');
    }, String), /disk full/);
    const alone = await writeIsolated([1], async () => {
      throw new Error('constraint violated');
    }, String);
    assert.equal(alone.length, 1, 'a batch of one file is that file\'s failure');
  });
});
