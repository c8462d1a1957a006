import { writeSync } from 'node:fs';

/** What a CLI command may touch: its output streams and the working directory. Tests pass their own. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Resolves once the output written so far has mostly gone (a slow reader holds the writer back, not its memory). */
  drained?: () => Promise<void>;
  /** Standard output is a terminal (colour allowed unless NO_COLOR); absent: not one. */
  readonly tty?: boolean;
}

/**
 * One of the process's output streams. On POSIX the text is written to the file descriptor
 * synchronously, whole: `process.stdout` to a pipe loads Node's stream and net modules, about 3 ms of
 * every command's start-up (`--version` is 10 ms over `node -e 0` in all), and a synchronous write
 * is what a command needs anyway (its output is gone when it exits). A descriptor the parent made
 * non-blocking (EAGAIN) hands the rest to the stream, which waits for the reader, in order; on
 * Windows the stream always (its console takes UTF-16). A reader that goes away
 * (`iam-refine expand 's3:*' | head -5`) ends the output quietly, as with any Unix tool: EPIPE
 * stops further writes to that stream instead of crashing with a stack trace; the command still
 * ends with its own exit code.
 */
class Output {
  closed = false;
  private streamed = false;

  constructor(
    private readonly fd: 1 | 2,
    private readonly stream: () => NodeJS.WriteStream,
    direct = process.platform !== 'win32',
  ) {
    if (!direct) this.toStream();
  }

  write(text: string): void {
    if (this.closed || !text) return;
    if (this.streamed) {
      this.stream().write(text);
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    let at = 0;
    while (at < bytes.length) {
      let n: number;
      try {
        n = writeSync(this.fd, bytes, at, bytes.length - at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          this.closed = true;
          return;
        }
        if (code !== 'EAGAIN') throw e;
        n = 0;
      }
      if (n === 0) {
        // the descriptor takes nothing now: the stream waits for it (never a loop here)
        this.toStream();
        this.stream().write(bytes.subarray(at));
        return;
      }
      at += n;
    }
  }

  /** Whether everything was written directly: no stream holds any of it. */
  get direct(): boolean {
    return !this.streamed;
  }

  /** Bytes handed to the stream and not written yet (none when written directly). */
  get pending(): number {
    return this.streamed ? this.stream().writableLength : 0;
  }

  private toStream(): void {
    this.streamed = true;
    this.stream().on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
        this.closed = true;
        return;
      }
      throw e;
    });
  }
}

/** The process's standard output and error (see Output). */
export interface ProcessIO extends CliIO {
  /** Everything written so far is written (directly, no stream holds any): the process may exit at once. */
  allWritten(): boolean;
}

export const processIO = (): ProcessIO => {
  const out = new Output(1, () => process.stdout);
  const err = new Output(2, () => process.stderr);
  let tty: boolean | undefined;
  return {
    out: (t) => out.write(t),
    err: (t) => err.write(t),
    allWritten: () => out.direct && err.direct,
    cwd: process.cwd(),
    env: process.env,
    drained: () =>
      out.closed || out.pending < 1 << 20
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
    // asked only by what colours its output: node:tty loads the net module (3 ms)
    get tty() {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (tty ??= (require('node:tty') as typeof import('node:tty')).isatty(1));
    },
  };
};

/** Exit codes: 0 clean, 1 problems found, 2 error (bad input, usage). */
export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_ERROR = 2;

/** A usage or input error: printed as is, exit 2. */
export class CliError extends Error {}
