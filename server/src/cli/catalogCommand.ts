/**
 * `iam-refine catalog update` and `iam-refine catalog show`. A bundle of its own (dist/cli-catalog.js,
 * loaded by extra.ts only when the command runs): `refine` and `check` never load the network code.
 */
import { chooseCatalog, defaultCatalog } from '../workspace/catalogFile';
import { CatalogUpdateCancelled, CatalogUpdateError, SERVICE_REFERENCE_ENV, describeChange, serviceReferenceUrl, updateCatalog } from '../workspace/catalogUpdate';
import { CliError, CliIO, EXIT_ERROR, EXIT_OK } from './io';
import { briefUsage, has, parseArgs } from './args';

export const CATALOG_USAGE = `Usage: iam-refine catalog update | iam-refine catalog show

  update  fetch the current action catalog from AWS's Service Reference
          (https://servicereference.us-east-1.amazonaws.com/: the list of services, then each
          service's actions) into the per-user cache ($XDG_CACHE_HOME/iam-policy-refiner, else
          ~/.cache/iam-policy-refiner); every command uses it from then on, as long as its data is
          newer than the bundled catalog's. All or nothing: on any failure the cache is left as it
          was, and the message names the URL and the service. ${SERVICE_REFERENCE_ENV}
          points it at another Service Reference (https, or http on localhost: a test stand-in).
  show    which catalog is in use, of when, and where it is.

A catalog older than the findings makes wildcard refinements unsafe (an action AWS added since is
not known, so a refined s3:Get* would not allow it): run update before refining.`;

export async function catalogCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { '--quiet': 'bool' }, CATALOG_USAGE);
  if (has(args, '--help')) {
    io.out(CATALOG_USAGE + '\n');
    return EXIT_OK;
  }
  const [sub, ...extra] = args.positional;
  if (extra.length) throw new CliError(`catalog ${sub} takes no argument (${extra.join(', ')})\n\n${briefUsage(CATALOG_USAGE)}`);
  if (sub === 'show') {
    const c = chooseCatalog(io.env);
    io.out(`${c.catalog.describe()}\n${c.origin === 'cache' ? 'fetched' : 'bundled'}: ${c.path}\ncache: ${c.cachePath}\n`);
    if (c.note) io.err(`iam-refine: note: ${c.note}\n`);
    return EXIT_OK;
  }
  if (sub !== 'update') throw new CliError(`${sub ? `unknown catalog command "${sub}"` : 'catalog needs a command'}: update or show\n\n${briefUsage(CATALOG_USAGE)}`);
  let source;
  try {
    source = serviceReferenceUrl(io.env);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    if (!has(args, '--quiet')) io.err(`iam-refine: fetching the action catalog from ${source.url}${source.from === 'AWS' ? '' : ` (${source.from})`}…\n`);
    const r = await updateCatalog({ url: source.url, env: io.env, signal: abort.signal, reference: defaultCatalog() });
    io.out(
      `catalog: ${r.catalog.describe()}\n` +
        `written to ${r.path} (${(r.bytes / 1024 / 1024).toFixed(1)} MB read in ${(r.ms / 1000).toFixed(1)} s)\n` +
        `since the catalog in use before (${r.previous.source} ${r.previous.version}, data of ${r.previous.date}): ${describeChange(r)}\n`,
    );
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CatalogUpdateCancelled || e instanceof CatalogUpdateError) {
      io.err(`iam-refine: catalog update failed: ${e.message}; the catalog in use is unchanged (${chooseCatalog(io.env).catalog.describe()})\n`);
      return EXIT_ERROR;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
