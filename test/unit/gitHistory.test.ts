/**
 * Line times of an edited text derived from the last blame (server/src/workspace/gitHistory.ts):
 * a keystroke never waits for git. Checked against the edit itself: the lines before and after it
 * keep their times, the edited lines are "not committed" unless equal to the line they replaced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deriveTimes } from '../../server/src/workspace/gitHistory';

const factor = Number(process.env.PROPERTY_RUNS ?? '1');

test("property: after one contiguous edit, every kept time is an identical old line's, in order, and no line outside the edit loses its time", () => {
  const line = fc.constantFrom('{', '}', '"s3:GetObject",', '"s3:PutObject"', '  ]', '"Effect": "Allow",', '');
  fc.assert(
    fc.property(fc.array(line, { maxLength: 30 }), fc.nat(), fc.nat(), fc.array(line, { maxLength: 6 }), (before, a0, len, inserted) => {
      const a = before.length ? a0 % (before.length + 1) : 0;
      const b = Math.min(before.length, a + (len % 5));
      const times = before.map((_, i) => 1000 + i);
      const now = [...before.slice(0, a), ...inserted, ...before.slice(b)];
      const got = deriveTimes(before, times, now);
      assert.equal(got.length, now.length);
      // a kept time is that of an old line with the same text, in the old order
      let last = -Infinity;
      got.forEach((t, i) => {
        if (t === Infinity) return;
        const j = times.indexOf(t);
        assert.ok(j >= 0 && before[j] === now[i], `line ${i} took the time of another line`);
        assert.ok(t > last, `line ${i}: times out of order`);
        last = t;
      });
      // and at least every line the edit did not touch keeps one
      assert.ok(got.filter((t) => t !== Infinity).length >= a + (before.length - b), 'lines outside the edit lost their times');
    }),
    { numRuns: Math.round(500 * factor) },
  );
});

test('an unchanged text keeps every time; an appended line is not committed', () => {
  const before = ['{', '"Action": [', '"s3:GetObject"', ']', '}'];
  const times = [1, 2, 3, 4, 5];
  assert.deepEqual(deriveTimes(before, times, before), times);
  const now = ['{', '"Action": [', '"s3:GetObject",', '"s3:PutObject"', ']', '}'];
  assert.deepEqual(deriveTimes(before, times, now), [1, 2, Infinity, Infinity, 4, 5]);
});
