// Entry point of the bundled CLI (dist/cli.js, run by bin/iam-refine.js).
import { runCli } from './cli';
import './extra';
import { processIO } from './io';

const io = processIO();
/**
 * A command has ended (everything it starts is awaited, its writes included; `lsp` never ends): with
 * its output written the process exits now, not after Node's teardown runs what V8 left for idle
 * time (a scavenge of the heap the catalog made: about 3 ms of a short command). Output a stream
 * still holds (a non-blocking pipe) is left to drain before the natural exit.
 */
const end = (code: number) => {
  process.exitCode = code;
  if (io.allWritten()) process.exit(code);
};
runCli(process.argv.slice(2), io).then(end, (e) => {
  io.err(`iam-refine: ${(e as Error).message}\n`);
  end(2);
});
