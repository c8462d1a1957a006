// Entry point of the bundled language server (dist/server.js): `node dist/server.js --stdio | --node-ipc`.
// `iam-refine lsp` loads the same bundle and starts it itself.
import { startServer } from './server';

export { startServer };
if (require.main === module) startServer();
