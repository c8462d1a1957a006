/** LineIndex (offsets ↔ LSP positions) against its own reading of line breaks: \r\n, \n and a lone \r end a line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineIndex } from '../../server/src/core';

/** The oracle: line starts by splitting on the three line breaks. */
function starts(text: string): number[] {
  const out = [0];
  const re = /\r\n|\r|\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m.index + m[0].length);
  return out;
}

test('LineIndex: every offset maps to the line and character the line breaks give, and back', () => {
  const piece = fc.constantFrom('a', 'Action', '"s3:Get*"', ' ', '\n', '\r\n', '\r', '\n\n', '\r\r\n', 'é', '😀');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
      const text = pieces.join('');
      const lines = new LineIndex(text);
      const s = starts(text);
      for (let offset = 0; offset <= text.length; offset++) {
        let line = 0;
        while (line + 1 < s.length && s[line + 1] <= offset) line++;
        assert.deepEqual(lines.position(offset), { line, character: offset - s[line] }, `offset ${offset} of ${JSON.stringify(text)}`);
        assert.equal(lines.offset({ line, character: offset - s[line] }), offset);
      }
    }),
    { numRuns: 500 },
  );
});
