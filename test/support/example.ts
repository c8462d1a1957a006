/**
 * The shared example (examples/policy.json with examples/findings.json) and what it must give,
 * from test/fixtures/example-expected.json: the one list the unit tests, the editor suites and
 * test/editor/ui-steps.mjs all check against. Node only (no vscode, no server code), so that the
 * editor suites can use it in the extension host.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the first folder above this file with a package.json (from test/support or out/test/support alike). */
function repoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = repoRoot(__dirname);
export const EXAMPLE = join(ROOT, 'examples');

const expected = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'example-expected.json'), 'utf8')) as {
  s3GetRefinement: string[];
  lambdaUnused: string[];
};

/** The least-general refinement of `s3:Get*` in the example (9 patterns). */
export const EXPECTED_S3: readonly string[] = expected.s3GetRefinement;

/** The eight explicitly listed (and all unused) lambda actions of the example, in file order. */
export const LAMBDA_UNUSED: readonly string[] = expected.lambdaUnused;

/** The example's texts, as a test writes them into a workspace. */
export const examplePolicy = (): string => readFileSync(join(EXAMPLE, 'policy.json'), 'utf8');
export const exampleFindings = (): string => readFileSync(join(EXAMPLE, 'findings.json'), 'utf8');
