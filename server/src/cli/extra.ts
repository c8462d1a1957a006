// The commands whose code loads only when they run: live mode (the AWS SDK) and the language server.
import { extraCommands, extraUsages } from './cli';
import { CliError, EXIT_OK } from './io';
import './explainCommand';

export const LSP_USAGE = `Usage: iam-refine lsp --stdio (or --node-ipc, --socket=PORT, --pipe=NAME)

Starts the language server (diagnostics, quick fixes, hover, completion) for any LSP editor.
Settings come through workspace/configuration (section "iamRefiner") or, for clients without it,
initializationOptions.settings.`;

const live = () => require('./live') as typeof import('./live');
// the catalog update's network code, in a bundle of its own (dist/cli-catalog.js)
const catalog = () => require('./catalogCommand') as typeof import('./catalogCommand');

extraCommands.set('fetch', async (argv, io) => live().fetchCommand(argv, io));
extraCommands.set('recommend', async (argv, io) => live().recommendCommand(argv, io));
extraCommands.set('lsp', async (argv, io) => {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(LSP_USAGE + '\n');
    return EXIT_OK;
  }
  const transport = argv.find((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket=') || a.startsWith('--pipe='));
  if (!transport || argv.some((a) => a !== transport && !a.startsWith('--clientProcessId'))) throw new CliError(LSP_USAGE);
  (require('../server') as typeof import('../server')).startServer();
  // the connection keeps the process alive; it exits when the client says exit
  return new Promise<number>(() => undefined);
});
extraUsages.set('lsp', () => LSP_USAGE);
extraCommands.set('catalog', async (argv, io) => catalog().catalogCommand(argv, io));
extraUsages.set('catalog', () => catalog().CATALOG_USAGE);
extraUsages.set('fetch', () => live().FETCH_USAGE);
extraUsages.set('recommend', () => live().RECOMMEND_USAGE);
