import { strict as assert } from 'node:assert';
import { examplesOf } from '../../../src/extension/examples';
import { MAX_EXAMPLE } from '../../../src/protocol/limits';

describe('example questions from the overview', () => {
  it('asks about the project, a README heading, a symbol and a folder, skipping boilerplate headings', () => {
    const examples = examplesOf({
      readme: { path: 'README.md', title: 'Pebble', headings: ['License', 'Quick start', 'Snapshots'] },
      folders: [{ name: 'src', files: 3 }, { name: 'docs', files: 2 }],
      symbols: [{ name: 'Store.open', path: 'src/store.ts' }],
    });
    assert.deepEqual(examples, ['What is Pebble?', 'What does the README say about “Quick start”?', 'What does Store.open do?', 'What is in the src folder?']);
  });

  it('asks what it can without a README, keeps each question on one line and within the limit', () => {
    assert.deepEqual(examplesOf({ folders: [{ name: 'lib', files: 4 }], symbols: [] }), ['What is in the lib folder?']);
    assert.deepEqual(examplesOf({ folders: [], symbols: [] }), []);
    const odd = examplesOf({ readme: { path: 'README.md', title: 'A\nB\u0007', headings: ['x'.repeat(MAX_EXAMPLE)] }, folders: [], symbols: [] });
    assert.deepEqual(odd, ['What is A B?']);
  });
});
