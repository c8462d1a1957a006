// Bundles what ships: the extension client, the language server and the CLI (esbuild; `vscode` stays external).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', minifySyntax: true, mainFields: ['module', 'main'] };
mkdirSync('dist', { recursive: true });
// the WASM files the Terraform parser loads at run time (web-tree-sitter's runtime and the HCL grammar), next to the bundles
const require = createRequire(import.meta.url);
for (const f of ['web-tree-sitter/tree-sitter.wasm', '@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-terraform.wasm']) copyFileSync(require.resolve(f), `dist/${f.split('/').pop()}`);
// and web-tree-sitter's own module, loaded by path (not bundled): evaluated afresh, it gives a new WASM instance, so the server can
// let go of one whose memory a huge document grew (server/src/core/formats/hcl/tree.ts)
copyFileSync(require.resolve('web-tree-sitter'), 'dist/web-tree-sitter.cjs');
// the CLI's live commands (the AWS SDK), its catalog update (network code) and its language server are bundles of their own, loaded
// only by the commands that need them: `refine` and `check` never compile the SDK
const lazyParts = {
  name: 'lazy-parts',
  setup(b) {
    const bundles = { './live': './cli-live.js', '../server': './server.js', './catalogCommand': './cli-catalog.js' };
    b.onResolve({ filter: /^(\.\/live|\.\.\/server|\.\/catalogCommand)$/ }, (args) =>
      args.importer.endsWith('extra.ts') ? { path: bundles[args.path], external: true } : undefined,
    );
  },
};
// the YAML and Terraform parsers (the yaml package, web-tree-sitter) too: a command over JSON
// policies loads neither (server/src/core/formats/index.ts requires them on first use)
const lazyFormats = {
  name: 'lazy-formats',
  setup(b) {
    b.onResolve({ filter: /^\.\/(yaml|terraform)$/ }, (args) =>
      /formats[\\/]index\.ts$/.test(args.importer) ? { path: `./format-${args.path.slice(2)}.js`, external: true } : undefined,
    );
  },
};
await Promise.all([
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] }),
  build({ ...common, entryPoints: ['server/src/serverMain.ts'], outfile: 'dist/server.js' }),
  // a build id first in the file: what the CLI's code cache is checked against (scripts/code-cache.mjs)
  build({ ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js', plugins: [lazyParts, lazyFormats], banner: { js: `/* iam-refine build ${randomBytes(8).toString('hex')} */` } }),
  build({ ...common, entryPoints: ['server/src/core/formats/yaml.ts'], outfile: 'dist/format-yaml.js' }),
  build({ ...common, entryPoints: ['server/src/core/formats/terraform.ts'], outfile: 'dist/format-terraform.js' }),
  build({ ...common, entryPoints: ['server/src/cli/live.ts'], outfile: 'dist/cli-live.js' }),
  build({ ...common, entryPoints: ['server/src/cli/catalogCommand.ts'], outfile: 'dist/cli-catalog.js' }),
]);
// ASCII bundles: esbuild escapes every other character of the code (its default charset), but not of the comments it
// keeps, and V8 holds a source with a single character beyond Latin-1 at two bytes per character (the server's 2 MB
// bundle took 3.9 MB of its heap for one arrow in a comment). Whatever is left beyond ASCII is in a comment, so an
// escape there changes nothing else (nor a line: source maps still hold)
for (const f of readdirSync('dist').filter((n) => /\.(c?js)$/.test(n))) {
  const text = readFileSync(`dist/${f}`, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(`dist/${f}`, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
await import('./code-cache.mjs');
