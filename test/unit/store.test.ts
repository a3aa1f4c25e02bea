// Pure parts of the store: Lucene escaping and batch splitting (the Neo4j behaviour is in test/integration/store.test.ts).
import assert from 'node:assert/strict';
import neo4j from 'neo4j-driver';
import { escapeLucene, StoreUnavailableError, writeIsolated } from '../../src/core/store';

describe('escapeLucene', () => {
  it('escapes every Lucene syntax character', () => {
    assert.equal(escapeLucene('a+b-c&&d||e!f(g)h{i}j[k]l^m"n~o*p?q:r\\s/t'), 'a\\+b\\-c\\&\\&d\\|\\|e\\!f\\(g\\)h\\{i\\}j\\[k\\]l\\^m\\"n\\~o\\*p\\?q\\:r\\\\s\\/t');
  });

  it('turns bare operators into plain words and keeps other words as they are', () => {
    assert.equal(escapeLucene('cats AND dogs OR NOT birds and Android'), 'cats and dogs or not birds and Android');
    assert.equal(escapeLucene('src/core/store.ts'), 'src\\/core\\/store.ts');
  });

  it('drops words without a letter or digit and returns an empty query when nothing is left', () => {
    assert.equal(escapeLucene('( ) \\ / * ? - && || ! "'), '');
    assert.equal(escapeLucene('   '), '');
    assert.equal(escapeLucene('-- déjà vu 42 --'), 'déjà vu 42');
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
