import '../../shim/register';
import { strict as assert } from 'node:assert';
import { selectedLines } from '../../../src/extension/prompts';

describe('Ask About Selection', () => {
  const at = (line: number, character: number) => ({ line, character });

  it('reports the selected lines as the user sees them: a selection ending at column 1 ends on the line before', () => {
    // Lines 5-7 selected with Shift+Down from the start of line 5: the end is the start of line 8.
    assert.deepEqual(selectedLines({ start: at(4, 0), end: at(7, 0) }), { startLine: 5, endLine: 7 });
    assert.deepEqual(selectedLines({ start: at(4, 2), end: at(6, 9) }), { startLine: 5, endLine: 7 });
    // Within one line, or an empty last line of one character: that line.
    assert.deepEqual(selectedLines({ start: at(4, 0), end: at(4, 0) }), { startLine: 5, endLine: 5 });
    assert.deepEqual(selectedLines({ start: at(4, 3), end: at(4, 8) }), { startLine: 5, endLine: 5 });
  });
});
