/** Every glob form the README documents, through the one matcher the CLI and the editor share. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globBase, matchesGlob } from '../../server/src/core';

const TABLE: [glob: string, path: string, matches: boolean][] = [
  // a glob without "/" matches the file name at any depth
  ['*findings*.json', 'findings.json', true],
  ['*findings*.json', 'sub/deep/my-findings.json', true],
  ['*findings*.json', 'findings.json.bak', false],
  // * stays within a segment
  ['findings/*.json', 'findings/a.json', true],
  ['findings/*.json', 'findings/sub/a.json', false],
  ['findings/*.json', 'other/findings/a.json', false],
  // ** crosses segments, including none
  ['**/*findings*.json', 'findings.json', true],
  ['**/*findings*.json', 'a/b/c/x-findings.json', true],
  ['policies/**', 'policies/a/b.json', true],
  ['**/skip/**', 'x/skip/p.json', true],
  ['**/skip/**', 'x/skipped/p.json', false],
  // ? is one character, not "/"
  ['p?.json', 'p1.json', true],
  ['p?.json', 'p12.json', false],
  ['dir?x.json', 'dir/x.json', false],
  // braces, with wildcards inside
  ['{*.json,*.jsonc}', 'a/b/p.jsonc', true],
  ['**/*.{json,jsonc}', 'a/p.json', true],
  ['**/*.{json,jsonc}', 'a/p.yaml', false],
  ['audit/{dev,prod}-findings.json', 'audit/prod-findings.json', true],
  ['audit/{dev,prod}-findings.json', 'audit/test-findings.json', false],
  // character classes
  ['legacy/[ab]*.json', 'legacy/a-old.json', true],
  ['legacy/[ab]*.json', 'legacy/c-old.json', false],
  ['[^c]*.json', 'x/b.json', true],
  ['[^c]*.json', 'x/c.json', false],
  // a leading ./ is the root; dot files and folders match like others
  ['./findings/*.json', 'findings/a.json', true],
  ['**/*.json', '.github/policy.json', true],
  // paths with backslashes (Windows) are read as /
  ['findings/*.json', 'findings\\a.json', true],
];

test('the glob table: every documented form', () => {
  for (const [glob, p, want] of TABLE) assert.equal(matchesGlob(glob, p), want, `${glob} vs ${p}`);
});

test('where a search for a glob starts, and how deep it reaches', () => {
  assert.deepEqual(globBase('findings/*.json'), { base: 'findings', depth: 0 });
  assert.deepEqual(globBase('a/b/**/x.json'), { base: 'a/b', depth: Infinity });
  assert.deepEqual(globBase('*findings*.json'), { base: '', depth: Infinity });
  assert.deepEqual(globBase('audit/{dev,prod}-findings.json'), { base: 'audit', depth: 0 });
  assert.deepEqual(globBase('a/*/x.json'), { base: 'a', depth: 1 });
});
