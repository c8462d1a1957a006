// ad-hoc: profile the server on the 100 KB edit loop. node scripts/.tfprof.js tf|yaml [edits] [profdir]
const path = require('path'), fs = require('fs'), os = require('os');
const { LspClient } = require('../out/test/support/lspClient');
const { terraformText, yamlText } = require('../out/test/bench/formatsBench');
(async () => {
  const kind = process.argv[2] || 'tf', n = Number(process.argv[3] || 200), prof = process.argv[4];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfprof-'));
  fs.writeFileSync(path.join(dir, 'findings.json'), fs.readFileSync(path.join(__dirname, '../examples/findings.json')));
  const file = kind === 'tf' ? 'big.tf' : 'big-template.yaml';
  const text = kind === 'tf' ? terraformText(100 * 1024) : yamlText(100 * 1024);
  fs.writeFileSync(path.join(dir, file), text);
  const args = prof ? ['--cpu-prof', '--cpu-prof-dir=' + prof] : [];
  const { client: c } = await LspClient.start({ folders: [dir], command: { exe: process.execPath, args: [...args, path.join(__dirname, '../dist/server.js'), '--stdio'] }, initializationOptions: { debounceMs: 0 } });
  const uri = c.open(path.join(dir, file), text, kind === 'tf' ? 'terraform' : 'yaml');
  await c.waitForDiagnostics(uri, (d) => d.length > 0, 60000);
  for (const typed of [false, true]) {
    const s = [];
    for (let i = 0; i < n; i++) {
      const doc = c.docs.get(uri);
      const at = doc.getText().indexOf('Stmt0') + 4;
      const t0 = performance.now();
      const range = { start: doc.positionAt(at), end: doc.positionAt(typed && i % 2 === 0 ? at : at + 1) };
      const version = c.edit(uri, [{ range, newText: typed ? (i % 2 ? '' : 'X') : i % 2 ? '0' : 'X' }]);
      await c.nextDiagnostics(uri, () => c.diagnostics.get(uri)?.version === version, 60000);
      s.push(performance.now() - t0);
    }
    s.sort((a, b) => a - b);
    const st = await c.request('iamRefiner/serverStats');
    console.log(kind, typed ? 'typed' : 'edit', 'median', s[n >> 1].toFixed(1), 'min', s[0].toFixed(1), 'p90', s[Math.floor(n * 0.9)].toFixed(1), 'cpuMs', JSON.stringify(st.cpuMs ?? null));
  }
  await c.stop();
  fs.rmSync(dir, { recursive: true, force: true });
})();
