// Entry point of the bundled CLI (dist/cli.js, run by bin/iam-refine.js).
import { extraCommands, runCli } from './cli';
import { processIO, CliError } from './io';

// live mode (the AWS SDK) and the language server load only when their command runs
extraCommands.set('fetch', async (argv, io) => (require('./live') as typeof import('./live')).fetchCommand(argv, io));
extraCommands.set('recommend', async (argv, io) => (require('./live') as typeof import('./live')).recommendCommand(argv, io));
extraCommands.set('lsp', async (argv) => {
  const transport = argv.find((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket=') || a.startsWith('--pipe='));
  if (!transport || argv.some((a) => a !== transport && !a.startsWith('--clientProcessId'))) throw new CliError('usage: iam-refine lsp --stdio (or --node-ipc, --socket=PORT, --pipe=NAME)');
  (require('../server') as typeof import('../server')).startServer();
  // the connection keeps the process alive; it exits when the client says exit
  return new Promise<number>(() => undefined);
});

runCli(process.argv.slice(2), processIO()).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`iam-refine: ${(e as Error).message}\n`);
    process.exitCode = 2;
  },
);
