/**
 * The server's connection from its command line, as vscode-languageserver's createConnection() reads
 * it (--node-ipc, --stdio, --socket=…, --pipe=…), but on stdio, a socket or a pipe the messages are
 * written by wire.ts's encoder (JSON.stringify's bytes, a publish of many diagnostics without
 * JSON.stringify); node-ipc's are Node's own. Everything else is the library's: its reader of stdin
 * (the process exits when stdin ends), and console output sent to the client's log as it sends it
 * (stdout is the protocol's).
 */
import { createConnection as connectTo } from 'node:net';
import { inspect } from 'node:util';
import { Connection, RemoteConsole, SocketMessageReader, SocketMessageWriter, StreamMessageWriter, createConnection } from 'vscode-languageserver/node';
import { wireEncoder } from './wire';

/** The transport createConnection() acts on: the first transport argument, with its value (`--socket=N` or `--socket N`). */
function transportOf(argv: string[]): { kind: string; value?: string } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--node-ipc' || a === '--stdio') return { kind: a };
    if (a === '--socket' || a === '--pipe') return { kind: a, value: argv[i + 1] };
    const [k, v] = a.split('=');
    if (k === '--socket' || k === '--pipe') return { kind: k, value: v };
  }
  return undefined;
}

export function createServerConnection(argv: string[] = process.argv.slice(2)): Connection {
  const t = transportOf(argv);
  const port = t?.kind === '--socket' ? parseInt(t.value ?? '', 10) : NaN;
  if ((t?.kind === '--socket' && port) || (t?.kind === '--pipe' && t.value)) {
    // as the library's createServerSocketTransport / createServerPipeTransport, with the writer
    const socket = t.kind === '--socket' ? connectTo(port, '127.0.0.1') : connectTo(t.value!);
    return createConnection(new SocketMessageReader(socket, 'utf-8'), new SocketMessageWriter(socket, { charset: 'utf-8', contentTypeEncoder: wireEncoder }));
  }
  if (t?.kind !== '--stdio') return createConnection();
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
