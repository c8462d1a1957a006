import { runCli } from './cli';
import { processIO } from './io';

runCli(process.argv.slice(2), processIO()).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`iam-refine: ${(e as Error).message}\n`);
    process.exitCode = 2;
  },
);
