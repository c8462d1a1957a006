/**
 * The server's connection from its command line, as vscode-languageserver's createConnection() reads
 * it (--node-ipc, --stdio, --socket=…, --pipe=…), but on stdio the messages are written by
 * wire.ts's encoder (JSON.stringify's bytes, a publish of many diagnostics without JSON.stringify).
 * Everything else is the library's: its reader of stdin (the process exits when stdin ends), and
 * console output sent to the client's log as it sends it (stdout is the protocol's).
 */
import { inspect } from 'node:util';
import { Connection, RemoteConsole, StreamMessageWriter, createConnection } from 'vscode-languageserver/node';
import { wireEncoder } from './wire';

/** The transport argument createConnection() acts on: the first of them. */
function transportOf(argv: string[]): string | undefined {
  return argv.find((a) => a === '--node-ipc' || a === '--stdio' || a === '--socket' || a === '--pipe' || a.startsWith('--socket=') || a.startsWith('--pipe='));
}

export function createServerConnection(argv: string[] = process.argv.slice(2)): Connection {
  if (transportOf(argv) !== '--stdio') return createConnection();
  // a stream in (the library reads it and exits when it ends), a writer out (a stream out would get the default encoder)
  const writer = new StreamMessageWriter(process.stdout, { contentTypeEncoder: wireEncoder });
  const connection = createConnection(process.stdin as never, writer as never);
  patchConsole(connection.console);
  return connection;
}

/** As vscode-languageserver patches it on --stdio: console output is the client's log, never the protocol's stdout. */
function patchConsole(logger: RemoteConsole): void {
  const text = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ');
  const counters = new Map<string, number>();
  console.assert = (assertion?: unknown, ...args: unknown[]) => {
    if (assertion) return;
    if (args.length === 0) logger.error('Assertion failed');
    else logger.error(`Assertion failed: ${String(args[0])} ${text(args.slice(1))}`);
  };
  console.count = (label = 'default') => {
    const n = (counters.get(String(label)) ?? 0) + 1;
    counters.set(String(label), n);
    logger.log(`${String(label)}: ${n}`);
  };
  console.countReset = (label?: string) => (label === undefined ? counters.clear() : void counters.delete(String(label)));
  console.debug = (...args: unknown[]) => logger.log(text(args));
  console.dir = (arg: unknown, options?: object) => logger.log(inspect(arg, options));
  console.log = (...args: unknown[]) => logger.log(text(args));
  console.info = (...args: unknown[]) => logger.info(text(args));
  console.warn = (...args: unknown[]) => logger.warn(text(args));
  console.error = (...args: unknown[]) => logger.error(text(args));
  console.trace = (...args: unknown[]) => logger.log(`Trace${args.length ? `: ${text(args)}` : ''}\n${(new Error().stack ?? '').replace(/(.+\n){2}/, '')}`);
}
