/**
 * Node modules that take milliseconds to load (`node:crypto` about 5 ms, `node:child_process` with
 * the stream and net modules about 2), loaded on first use: most CLI commands need neither, and
 * every command pays its start-up.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
type Crypto = typeof import('node:crypto');
type ChildProcess = typeof import('node:child_process');

let crypto: Crypto | undefined;
let childProcess: ChildProcess | undefined;

export const nodeCrypto = (): Crypto => (crypto ??= require('node:crypto') as Crypto);
export const nodeChildProcess = (): ChildProcess => (childProcess ??= require('node:child_process') as ChildProcess);
