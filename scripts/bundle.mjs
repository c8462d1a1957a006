// Bundles what ships: the extension client, the language server and the CLI (esbuild; `vscode` stays external).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
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
await import('./code-cache.mjs');
