/**
 * Glob matching for iam-refiner.json and the settings (findings, roles, include, exclude), through
 * picomatch: one matcher for the CLI and the editor. Paths are relative to the project root and
 * `/`-separated. The forms: `*` (within a segment), `**` (any depth), `?`, `{a,b}`, `[ab]`, and a
 * glob without `/` matches the file name at any depth (as .gitignore does). Dot files and folders
 * match like any other.
 */
import type Picomatch from 'picomatch';

// loaded on first use (2 ms of every CLI command's start-up otherwise, most of which match no glob)
let pm: typeof Picomatch | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const picomatch = (): typeof Picomatch => (pm ??= require('picomatch') as typeof Picomatch);

const cache = new Map<string, (p: string) => boolean>();

function matcher(glob: string): (p: string) => boolean {
  let m = cache.get(glob);
  if (!m) {
    const g = glob.replace(/^\.\//, '');
    m = picomatch()(g, { dot: true, basename: !g.includes('/') });
    if (cache.size > 1000) cache.clear();
    cache.set(glob, m);
  }
  return m;
}

export function matchesGlob(glob: string, relPath: string): boolean {
  return matcher(glob)(relPath.replace(/\\/g, '/'));
}

export function matchesAnyGlob(globs: readonly string[], relPath: string): boolean {
  return globs.some((g) => matchesGlob(g, relPath));
}

/** The literal folder a glob starts in and how deep below it it may reach (a search starts there). */
export function globBase(glob: string): { base: string; depth: number } {
  const g = glob.replace(/^\.\//, '');
  if (!g.includes('/')) return { base: '', depth: Infinity }; // a bare name matches at any depth
  const scan = picomatch().scan(g);
  const base = scan.isGlob ? scan.base : g.slice(0, Math.max(0, g.lastIndexOf('/')));
  const rest = (scan.isGlob ? scan.glob : g.slice(g.lastIndexOf('/') + 1)).split('/');
  return { base, depth: rest.includes('**') || rest.some((s) => s.includes('**')) ? Infinity : rest.length - 1 };
}
