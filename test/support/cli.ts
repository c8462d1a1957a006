import { runCli } from '../../server/src/cli/cli';
import '../../server/src/cli/extra';
import { CliIO } from '../../server/src/cli/io';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './example';

/** An empty per-user cache for the tests: a catalog the developer fetched never changes what they expect. */
const EMPTY_CACHE = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'iam-refine-cache-')) };

/** Runs the CLI in-process with captured output (the environment: an empty user cache, plus `env`). */
export async function cli(args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => (out += t), err: (t) => (err += t), cwd, env: { ...EMPTY_CACHE, ...env } };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** One problem of `iam-refine check --format json`. */
export interface CheckItem {
  file: string;
  line: number;
  column: number;
  code: string;
  message: string;
}
