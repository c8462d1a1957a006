import { runCli } from '../../server/src/cli/cli';
import { CliIO } from '../../server/src/cli/io';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..');
export const EXAMPLE = join(ROOT, 'examples');

/** Runs the CLI in-process with captured output. */
export async function cli(args: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => (out += t), err: (t) => (err += t), cwd, env: {} };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** The expected refinement of the shared example (least-general-refinement.md). */
export const EXPECTED_S3 = [
  's3:GetAccess*',
  's3:GetAccountPublicAccessBlock',
  's3:GetBucketAbac',
  's3:GetBucketMetadataTableConfiguration',
  's3:GetDataAccess',
  's3:GetJobTagging',
  's3:GetMulti*',
  's3:GetObject*',
  's3:GetStorage*',
];
