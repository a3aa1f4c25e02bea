import { strict as assert } from 'node:assert';
import { terminalLine, terminalText } from '../../src/core/controlChars';

describe('CLI terminal output', () => {
  it('shows escape sequences as text, so a file cannot clear the screen, set the title or plant a link', () => {
    const hostile = 'a\x1b[2J\x1b]0;pwned\x07\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\b';
    const shown = terminalText(hostile);
    assert.doesNotMatch(shown, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    assert.equal(shown, 'a\\x1b[2J\\x1b]0;pwned\\x07\\x1b]8;;https://evil.example\\x1b\\click\\x1b]8;;\\x1b\\b');
  });

  it('keeps the lines of a text but not a carriage return that would overwrite one', () => {
    assert.equal(terminalText('line 1\n\tline 2\rfake'), 'line 1\n\tline 2\\x0dfake');
  });

  it('keeps a name on one line, so it cannot forge a line of the Sources list', () => {
    assert.equal(terminalLine('docs/a.md\n[2] /etc/passwd:1-9'), 'docs/a.md\\x0a[2] /etc/passwd:1-9');
  });

  it('neutralises 8-bit CSI and bidi overrides', () => {
    assert.equal(terminalLine('x\u009b2Jy'), 'x\\x9b2Jy');
    assert.equal(terminalLine('admin\u202e\u2066 // x'), 'admin\\u202e\\u2066 // x');
  });

  it('leaves ordinary text, Unicode included, exactly as it is', () => {
    const text = 'Größe: 5 µs — naïve «quotes» 日本語 ✓';
    assert.equal(terminalText(text), text);
    assert.equal(terminalLine(text), text);
  });
});
