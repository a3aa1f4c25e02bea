// Pure parts of the store: Lucene escaping and batch splitting (the Neo4j behaviour is in test/integration/store.test.ts).
import assert from 'node:assert/strict';
import neo4j from 'neo4j-driver';
import { escapeLucene, splitOnMemoryError } from '../../src/core/store';

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

describe('splitOnMemoryError', () => {
  const memoryError = () => new neo4j.Neo4jError('too big', 'Neo.TransientError.General.TransactionMemoryLimit', '50N42', 'memory');

  it('halves a batch until each part fits, keeping every item once and in order', async () => {
    const written: number[][] = [];
    const items = Array.from({ length: 11 }, (_, i) => i);
    await splitOnMemoryError(
      items,
      async (part) => {
        if (part.length > 3) throw memoryError();
        written.push(part);
      },
      String,
    );
    assert.deepEqual(written.flat(), items);
    assert.ok(written.every((p) => p.length <= 3));
  });

  it('names the single item that still does not fit', async () => {
    await assert.rejects(
      splitOnMemoryError(['small', 'huge'], async (part) => {
        if (part.includes('huge')) throw memoryError();
      }, (s) => `file ${s}`),
      /ran out of transaction memory writing file huge/,
    );
  });

  it('passes other errors through without splitting', async () => {
    let calls = 0;
    await assert.rejects(
      splitOnMemoryError([1, 2, 3, 4], async () => {
        calls++;
        throw new Error('constraint violated');
      }, String),
      /constraint violated/,
    );
    assert.equal(calls, 1);
  });
});
