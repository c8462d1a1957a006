// Entry point of the bundled language server (dist/server.js): `node dist/server.js --stdio | --node-ipc`.
import { startServer } from './server';

startServer();
