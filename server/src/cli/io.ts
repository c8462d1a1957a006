/** What a CLI command may touch: its output streams and the working directory. Tests pass their own. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export const processIO = (): CliIO => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  cwd: process.cwd(),
  env: process.env,
});

/** Exit codes: 0 clean, 1 problems found, 2 error (bad input, usage). */
export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_ERROR = 2;

/** A usage or input error: printed as is, exit 2. */
export class CliError extends Error {}
