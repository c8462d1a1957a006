/**
 * A second, older editor: Neovim 0.7 (Debian's), headless, as a user's config drives the server
 * (`iam-refine lsp --stdio`, settings in initializationOptions: 0.7 has no workspace/configuration,
 * and no pulled diagnostics, so the server publishes). test/support/neovim-client.lua opens the
 * example's policy, reads the published diagnostics, asks for the code actions on s3:Get*, applies
 * "Refine s3:Get* to 9 patterns" and reads the diagnostics of the edited buffer. Needs `nvim` on PATH
 * (NVIM to name another): .ci/run installs Debian's neovim; without it this test fails, saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EXPECTED_S3, LAMBDA_UNUSED, exampleFindings, examplePolicy } from '../support/example';
import { tempWorkspaces } from '../support/files';

const ROOT = path.resolve(__dirname, '../../..');
const workspace = tempWorkspaces('iam-nvim-');

interface NvimDiagnostic {
  lnum: number;
  col: number;
  end_lnum: number;
  end_col: number;
  code: string;
  message: string;
}

interface NvimOut {
  steps: string[];
  error?: string;
  pulls?: boolean;
  first?: NvimDiagnostic[];
  titles?: string[];
  text?: string;
  after?: NvimDiagnostic[];
}

/** Where `needle` stands in `text` (0-based line and column, as Neovim counts them: bytes, the example is ASCII). */
function at(text: string, needle: string): { lnum: number; col: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} not in the text`);
  const before = text.slice(0, i).split('\n');
  return { lnum: before.length - 1, col: before[before.length - 1].length };
}

test('Neovim 0.7: the example diagnosed from publishes, its quick fix applied, the edited buffer diagnosed again', () => {
  const nvim = process.env.NVIM ?? 'nvim';
  const version = spawnSync(nvim, ['--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, `no Neovim (${nvim}): install it (Debian: apt-get install neovim), or set NVIM; .ci/run installs it`);
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  const outFile = path.join(dir, 'out.json');
  const r = spawnSync(nvim, ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${path.join(ROOT, 'test', 'support', 'neovim-client.lua')}`], {
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, IAM_NODE: process.execPath, IAM_CLI: path.join(ROOT, 'bin', 'iam-refine.js'), IAM_ROOT: dir, IAM_OUT: outFile },
  });
  assert.equal(r.status, 0, `nvim exited ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  const out = JSON.parse(readFileSync(outFile, 'utf8')) as NvimOut;
  assert.equal(out.error, undefined, `${out.error} after ${out.steps.join(', ')}: ${JSON.stringify(out)}`);
  assert.deepEqual(out.steps, ['diagnostics', 'code actions', 'after the fix']);
  // a client that does not ask to pull is published to
  assert.equal(out.pulls, false);
  const policy = examplePolicy();
  const lambda = out.first!.filter((d) => d.code === 'unused-action');
  assert.deepEqual(
    lambda.map((d) => ({ lnum: d.lnum, col: d.col, len: d.end_col - d.col })),
    LAMBDA_UNUSED.map((a) => ({ ...at(policy, `"${a}"`), len: a.length + 2 })),
  );
  const [wildcard, ...more] = out.first!.filter((d) => d.code === 'unused-wildcard');
  assert.equal(more.length, 0);
  assert.deepEqual({ lnum: wildcard.lnum, col: wildcard.col }, at(policy, '"s3:Get*"'));
  assert.match(wildcard.message, /^s3:Get\* allows 22 unused actions/);
  assert.equal(out.first!.length, 9);
  assert.ok(out.titles!.some((t) => /^Refine s3:Get\* to 9 patterns/.test(t)), out.titles!.join('\n'));
  // the nine patterns in place of s3:Get*, s3:List* kept, the lambda statement as it was
  const edited = JSON.parse(out.text!) as { Statement: { Action: string[] }[] };
  const original = JSON.parse(policy) as { Statement: { Action: string[] }[] };
  assert.deepEqual(edited.Statement[1].Action, [...EXPECTED_S3, ...original.Statement[1].Action.filter((a) => a !== 's3:Get*')]);
  assert.deepEqual(edited.Statement[0], original.Statement[0]);
  assert.deepEqual(out.after!.map((d) => [d.code, d.lnum]), lambda.map((d) => ['unused-action', d.lnum]));
});
