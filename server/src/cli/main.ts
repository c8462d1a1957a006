// Entry point of the bundled CLI (dist/cli.js, run by bin/iam-refine.js).
import { extraCommands, runCli } from './cli';
import { processIO, CliError } from './io';
import { fetchCommand, recommendCommand } from './live';
import { startServer } from '../server';

extraCommands.set('fetch', fetchCommand);
extraCommands.set('recommend', recommendCommand);
extraCommands.set('lsp', async (argv) => {
  const transport = argv.find((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket=') || a.startsWith('--pipe='));
  if (!transport || argv.some((a) => a !== transport && !a.startsWith('--clientProcessId'))) throw new CliError('usage: iam-refine lsp --stdio (or --node-ipc, --socket=PORT, --pipe=NAME)');
  startServer();
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
