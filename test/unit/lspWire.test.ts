/**
 * The server on stdio with its own writer (server/src/lsp/connection.ts, wire.ts): the publish a
 * keystroke sends arrives as the editor reads it, console output goes to the client's log (never into
 * the protocol's stdout), and the server exits when its stdin ends, as vscode-languageserver's own
 * stdio connection does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { LspClient, serverPath } from '../support/lspClient';
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
