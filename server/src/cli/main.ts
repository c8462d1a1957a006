// Entry point of the bundled CLI (dist/cli.js, run by bin/iam-refine.js).
import { runCli } from './cli';
import './extra';
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
