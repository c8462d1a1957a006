import { runCli } from '../../server/src/cli/cli';
import '../../server/src/cli/extra';
import { CliIO } from '../../server/src/cli/io';
import { ROOT } from './example';

/** Runs the CLI in-process with captured output. */
export async function cli(args: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => (out += t), err: (t) => (err += t), cwd, env: {} };
  const code = await runCli(args, io);
  return { code, out, err };
}
