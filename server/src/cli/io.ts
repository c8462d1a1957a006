/** What a CLI command may touch: its output streams and the working directory. Tests pass their own. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Resolves once the output written so far has mostly gone (a slow reader holds the writer back, not its memory). */
  drained?: () => Promise<void>;
  /** Standard output is a terminal (colour allowed unless NO_COLOR); absent: not one. */
  tty?: boolean;
}

/**
 * The process's streams. A reader that goes away (`iam-refine expand 's3:*' | head -5`) ends the
 * output quietly, as with any Unix tool: EPIPE stops further writes to that stream instead of
 * crashing with a stack trace; the command still ends with its own exit code.
 */
export const processIO = (): CliIO => {
  const closed = { out: false, err: false };
  const guard = (stream: NodeJS.WriteStream, key: 'out' | 'err') => {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
        closed[key] = true;
        return;
      }
      throw e;
    });
  };
  guard(process.stdout, 'out');
  guard(process.stderr, 'err');
  return {
    out: (t) => {
      if (!closed.out && t) process.stdout.write(t);
    },
    err: (t) => {
      if (!closed.err && t) process.stderr.write(t);
    },
    cwd: process.cwd(),
    env: process.env,
    drained: () =>
      closed.out || process.stdout.writableLength < 1 << 20
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const done = () => {
              process.stdout.off('drain', done);
              process.stdout.off('close', done);
              resolve();
            };
            process.stdout.once('drain', done);
            process.stdout.once('close', done);
          }),
    tty: !!process.stdout.isTTY,
  };
};

/** Exit codes: 0 clean, 1 problems found, 2 error (bad input, usage). */
export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_ERROR = 2;

/** A usage or input error: printed as is, exit 2. */
export class CliError extends Error {}
