/** The packed action catalog on disk (dist/catalog.json, written at build time): the one place it is read. */
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { Catalog } from '../core';

/** dist/catalog.json next to the bundle, or in the repository's dist/ when running from out/. */
export function defaultCatalogPath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'catalog.json'), join(dir, 'dist', 'catalog.json')]) {
      if (existsSync(candidate)) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error(`catalog.json not found near ${__dirname}: run "npm run build" first`);
}

/** Reads a packed catalog file. */
export function loadCatalog(file = defaultCatalogPath()): Catalog {
  return Catalog.fromJSON(readFileSync(file, 'utf8'));
}

let shared: Catalog | undefined;
/** The bundled catalog, read once per process. */
export function defaultCatalog(): Catalog {
  return (shared ??= loadCatalog());
}
