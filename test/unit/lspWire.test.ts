/**
 * The server's connections (server/src/lsp/connection.ts, wire.ts): on stdio the publish a keystroke
 * sends arrives as the editor reads it, console output goes to the client's log (never into the
 * protocol's stdout), and the server exits when its stdin ends, as vscode-languageserver's own stdio
 * connection does; on node-ipc, a socket and a pipe the server answers and a publish of many
 * diagnostics (the writer's own path on a socket and a pipe) arrives whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { ChildProcess, spawn } from 'node:child_process';
import { IPCMessageReader, IPCMessageWriter, MessageReader, MessageWriter, createClientPipeTransport, createClientSocketTransport, createMessageConnection, generateRandomPipeName } from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { CLIENT_CAPABILITIES, LspClient, serverPath, uriOf } from '../support/lspClient';
import { exampleFindings, examplePolicy } from '../support/example';
import { tempWorkspaces } from '../support/files';

const workspace = tempWorkspaces('iam-wire-');

test('stdio: console output of the server is a log message, and the diagnostics of every version still arrive whole', async () => {
  const dir = workspace({ 'policy.json': examplePolicy(), 'findings.json': exampleFindings() });
  // the bundled server, started as dist/server.js starts it, then writing to the console as a library might
  const script = path.join(dir, 'noisy-server.js');
  writeFileSync(
    script,
    `const s = require(${JSON.stringify(serverPath())});\ns.startServer();\nsetTimeout(() => {\n  console.log('stray console.log', { n: 1 });\n  console.error('stray console.error');\n  console.info('stray console.info');\n}, 300);\n`,
  );
  const { client } = await LspClient.start({ folders: [dir], command: { exe: process.execPath, args: [script, '--stdio'] }, initializationOptions: { debounceMs: 0 } });
  try {
    // the console is written after initialize is answered (stray bytes before would only hang the handshake)
    for (const deadline = Date.now() + 10_000; !client.logs.includes('stray console.info') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    const uri = client.open(path.join(dir, 'policy.json'));
    const first = await client.waitForDiagnostics(uri, (d) => d.length > 0);
    assert.equal(first.length, 9);
    // versions 2..11: a space in and out; every version's publish is read whole, with its version in each diagnostic's data
    const text = client.text(uri);
    const at = client.docs.get(uri)!.positionAt(text.indexOf('"Statement"'));
    for (let i = 0; i < 10; i++) {
      const end = { line: at.line, character: at.character + 1 };
      const v = client.edit(uri, [i % 2 ? { range: { start: at, end }, newText: '' } : { range: { start: at, end: at }, newText: ' ' }]);
      await client.nextDiagnostics(uri, () => client.diagnostics.get(uri)?.version === v);
      const ds = client.diagnostics.get(uri)!.diagnostics;
      assert.deepEqual(
        ds.map((d) => d.message),
        first.map((d) => d.message),
      );
      for (const d of ds) assert.equal((d.data as number[])[0], v, JSON.stringify(d));
    }
    assert.ok(client.logs.some((l) => l === "stray console.log { n: 1 }"), client.logs.join('\n'));
    assert.ok(client.errorLogs.includes('stray console.error'), client.errorLogs.join('\n'));
    assert.ok(client.logs.includes('stray console.info'));
  } finally {
    await client.stop();
  }
});

test('stdio: the server exits when its stdin ends without a shutdown (exit code 1)', async () => {
  const dir = workspace({ 'policy.json': examplePolicy() });
  const { client } = await LspClient.start({ folders: [dir], initializationOptions: { debounceMs: 0 } });
  const exited = once(client.proc, 'exit');
  client.proc.stdin!.end();
  const timer = setTimeout(() => client.proc.kill(), 10_000);
  const [code] = await exited;
  clearTimeout(timer);
  assert.equal(code, 1);
});

/** A policy naming every unused action of the example's findings in three statements: more diagnostics than the writer's threshold (64). */
function manyUnusedPolicy(): string {
  const findings = JSON.parse(exampleFindings()) as { serviceNamespace: string; actions: string[] }[];
  const actions = findings.flatMap((f) => f.actions.map((a) => `${f.serviceNamespace}:${a}`));
  const statement = (sid: string) => ({ Sid: sid, Effect: 'Allow', Action: actions, Resource: '*' });
  return JSON.stringify({ Version: '2012-10-17', Statement: [statement('A'), statement('B'), statement('C')] }, null, 2);
}

for (const transport of ['--node-ipc', '--socket', '--pipe'] as const) {
  test(`${transport}: the server answers, and a publish of many diagnostics arrives whole`, async () => {
    const dir = workspace({ 'policy.json': manyUnusedPolicy(), 'findings.json': exampleFindings() });
    const expected = (JSON.parse(exampleFindings()) as { actions: string[] }[]).reduce((n, f) => n + f.actions.length, 0) * 3;
    let reader: MessageReader;
    let writer: MessageWriter;
    let proc: ChildProcess;
    let close = () => undefined as void;
    if (transport === '--node-ipc') {
      proc = spawn(process.execPath, [serverPath(), '--node-ipc'], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
      reader = new IPCMessageReader(proc);
      writer = new IPCMessageWriter(proc);
    } else if (transport === '--socket') {
      const t = await createClientSocketTransport(0);
      proc = spawn(process.execPath, [serverPath(), `--socket=${t.port()}`], { stdio: ['pipe', 'pipe', 'pipe'] });
      close = () => t.close();
      [reader, writer] = await t.onConnected();
    } else {
      const name = generateRandomPipeName();
      const t = await createClientPipeTransport(name);
      proc = spawn(process.execPath, [serverPath(), `--pipe=${name}`], { stdio: ['pipe', 'pipe', 'pipe'] });
      close = () => t.close();
      [reader, writer] = await t.onConnected();
    }
    const timer = setTimeout(() => proc.kill(), 30_000);
    const connection = createMessageConnection(reader, writer);
    try {
      const published = new Promise<PublishDiagnosticsParams>((resolve) =>
        connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
          if (p.diagnostics.length > 0) resolve(p);
        }),
      );
      connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
      connection.onRequest('client/registerCapability', () => null);
      connection.listen();
      await connection.sendRequest('initialize', { processId: process.pid, rootUri: uriOf(dir), workspaceFolders: [{ uri: uriOf(dir), name: 'w' }], capabilities: CLIENT_CAPABILITIES, initializationOptions: { debounceMs: 0 } });
      await connection.sendNotification('initialized', {});
      const uri = uriOf(path.join(dir, 'policy.json'));
      await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'json', version: 1, text: manyUnusedPolicy() } });
      const p = await published;
      assert.equal(p.version, 1);
      assert.equal(p.diagnostics.length, expected);
      assert.ok(expected >= 64, `${expected} diagnostics: the writer's own path`);
      for (const d of p.diagnostics) {
        assert.equal(d.code, 'unused-action');
        assert.equal((d.data as number[])[0], 1);
      }
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
    } finally {
      clearTimeout(timer);
      connection.dispose();
      close();
      if (proc.exitCode === null) await Promise.race([once(proc, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
      proc.kill();
    }
  });
}
