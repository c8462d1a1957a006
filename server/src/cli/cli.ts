import { dirname, relative, resolve, sep } from 'node:path';
import { existsSync } from 'node:fs';
import { AmbiguousRolesError, Binding, Catalog, CONFIG_FILE, FindingsFile, InputError, LineIndex, NothingLeftError, ProjectConfig, allFindings, universeFor, analyzeDocument, bindPolicy, documentContext, emptyConfig, parseConfig, parseFindings, refineDocument, unifiedDiff, roleName, parsePolicyDocument, policySize, MANAGED_POLICY_LIMIT, INLINE_ROLE_POLICY_LIMIT } from '../core';
import { defaultCatalog } from '../workspace/catalogFile';
import { CliError, CliIO, EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS } from './io';
import { has, parseArgs, value, values } from './args';
import { collectPolicyFiles, expandGlobs, readText, writeAtomic } from './files';
import { Located, toSarif } from './sarif';
import { packageVersion } from './version';

const USAGE = `Usage: iam-refine <command> [options]

Commands:
  refine POLICY --findings FILE... [--role ARN...] [--write | --diff] [--config FILE]
      Print POLICY refined to least privilege (or a unified diff, or replace the file atomically).
  check PATH... [--findings FILE...] [--role ARN...] [--format text|json|sarif] [--config FILE]
      Report unused actions, wildcards covering unused actions and unknown actions.
      Exit 0 when there are none, 1 when there are some, 2 on error. Directories are searched.
  expand PATTERN...
      The actions a pattern allows, from the catalog.
  fetch [--role ARN...] [--analyzer ARN] [--region R] [--profile P] [--endpoint URL] --out FILE
      Download unused-access findings from IAM Access Analyzer.
  recommend --role ARN --policy FILE [--analyzer ARN] [--region R] [--profile P] [--endpoint URL]
      AWS's own recommendation for the policy, beside the local refinement.
  lsp --stdio
      Start the language server (for any editor).

Options:
  --version   print the version and the catalog's version
  --help      this text

Findings files: a list [{"serviceNamespace", "actions"}], a get-finding-v2 response, an array of
them, or {"findings": [...]}. iam-refiner.json in the current directory (or --config) supplies
findings globs and role bindings.`;

interface Project {
  config: ProjectConfig;
  root: string;
  findings: FindingsFile[];
}

function loadProject(args: ReturnType<typeof parseArgs>, io: CliIO, requireFindings: boolean): Project {
  let configFile = value(args, '--config');
  if (configFile) configFile = resolve(io.cwd, configFile);
  else if (existsSync(resolve(io.cwd, CONFIG_FILE))) configFile = resolve(io.cwd, CONFIG_FILE);
  const config = configFile ? parseConfig(relative(io.cwd, configFile) || CONFIG_FILE, readText(configFile)) : emptyConfig();
  const root = configFile ? dirname(configFile) : io.cwd;
  const files = values(args, '--findings').map((f) => resolve(io.cwd, f));
  if (files.length === 0 && config.findings.length) {
    files.push(...expandGlobs(root, config.findings));
    if (files.length === 0) throw new CliError(`${relative(io.cwd, configFile!)}: the findings globs (${config.findings.join(', ')}) match no file`);
  }
  if (files.length === 0 && requireFindings) throw new CliError('no findings: pass --findings FILE (or list findings globs in iam-refiner.json)');
  const findings = files.map((f) => parseFindings(relative(io.cwd, f) || f, readText(f)));
  for (const f of findings) {
    if (f.findings.every((x) => x.findingType !== 'UnusedPermission')) io.err(`iam-refine: note: ${f.file} holds no UnusedPermission finding; it removes nothing\n`);
  }
  return { config, root, findings };
}

function bindingFor(project: Project, file: string, roles: string[]): Binding {
  if (roles.length) return { kind: 'roles', roles, via: 'flag' };
  return bindPolicy(relative(project.root, file).split(sep).join('/'), project.config, allFindings(project.findings));
}

function ambiguousMessage(file: string, candidates: string[]): string {
  return `${file}: the findings concern ${candidates.length} roles (${candidates.map(roleName).join(', ')}); pass --role ARN, or bind the file in ${CONFIG_FILE} ("roles": {"${file}": ["${candidates[0]}"]})`;
}

function refineCommand(argv: string[], io: CliIO, catalog: Catalog): number {
  const args = parseArgs(argv, { '--findings': 'many', '--role': 'many', '--write': 'bool', '--diff': 'bool', '--config': 'one' }, USAGE);
  if (args.positional.length !== 1) throw new CliError(`refine takes one policy file\n\n${USAGE}`);
  if (has(args, '--write') && has(args, '--diff')) throw new CliError('--write and --diff cannot be combined');
  const project = loadProject(args, io, true);
  const [policy] = collectPolicyFiles(args.positional, io.cwd, new Set(), []);
  const rel = relative(io.cwd, policy.file) || policy.file;
  const syntax = policy.doc.problems.find((p) => p.code === 'invalid-json');
  if (syntax) throw InputError.at(rel, policy.text, syntax.offset, syntax.message);
  const binding = bindingFor(project, policy.file, values(args, '--role'));
  if (binding.kind === 'ambiguous') throw new CliError(ambiguousMessage(rel, binding.candidates));
  const ctx = documentContext(catalog, policy.doc, allFindings(project.findings), binding);
  if (!ctx.unused) throw new CliError(`${rel}: no findings apply`);
  let result;
  try {
    result = refineDocument({ universe: ctx.universe, unused: ctx.unused.indexes }, policy.doc);
  } catch (e) {
    if (e instanceof NothingLeftError) throw new CliError(`${rel}: ${e.message}`);
    throw e;
  }
  if (result.edits.length > 0) {
    const after = parsePolicyDocument(result.text);
    for (const pol of after.policies) {
      const size = policySize(pol);
      if (size > MANAGED_POLICY_LIMIT) {
        const where = pol.label === 'policy' ? rel : `${rel} (${pol.label})`;
        io.err(`iam-refine: note: ${where} is ${size} characters without white space after refinement: over IAM's ${MANAGED_POLICY_LIMIT} for a managed policy${size > INLINE_ROLE_POLICY_LIMIT ? ` and ${INLINE_ROLE_POLICY_LIMIT} for an inline role policy` : ` (an inline role policy allows ${INLINE_ROLE_POLICY_LIMIT})`}\n`);
      }
    }
  }
  for (const label of result.everythingUnused) io.err(`iam-refine: note: ${rel}: every permission in ${label} is unused; it was left as it is (IAM rejects an empty policy): detach or delete it instead\n`);
  const s = result.summary;
  const changed = result.edits.length > 0;
  const summary = changed
    ? `${rel}: removed ${s.removedActions} unused action${s.removedActions === 1 ? '' : 's'}, refined ${s.refinedWildcards} wildcard${s.refinedWildcards === 1 ? '' : 's'} into ${s.writtenPatterns} pattern${s.writtenPatterns === 1 ? '' : 's'}${s.removedStatements ? `, removed ${s.removedStatements} statement(s)` : ''}${s.notActionStatements ? `, narrowed ${s.notActionStatements} NotAction/"*" statement(s)` : ''}; verified against ${ctx.universe.size} actions`
    : `${rel}: nothing to change: no action in it is unused according to the findings (${ctx.unused.indexes.size} unused action${ctx.unused.indexes.size === 1 ? '' : 's'} known)`;
  if (has(args, '--write')) {
    if (changed) writeAtomic(policy.file, result.text);
    io.err(`${summary}${changed ? '; written' : ''}\n`);
  } else if (has(args, '--diff')) {
    io.out(unifiedDiff(policy.text, result.text, `a/${rel}`, `b/${rel}`));
    io.err(summary + '\n');
  } else {
    io.out(result.text);
    io.err(summary + '\n');
  }
  return EXIT_OK;
}

function checkCommand(argv: string[], io: CliIO, catalog: Catalog): number {
  const args = parseArgs(argv, { '--findings': 'many', '--role': 'many', '--format': 'one', '--config': 'one' }, USAGE);
  const format = value(args, '--format') ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) throw new CliError(`--format must be text, json or sarif\n\n${USAGE}`);
  if (args.positional.length === 0) throw new CliError(`check takes at least one file or directory\n\n${USAGE}`);
  const project = loadProject(args, io, false);
  if (project.findings.length === 0) io.err('iam-refine: note: no findings given: checking unknown actions and policy errors only\n');
  const notes: string[] = [];
  const exclude = new Set(project.findings.map((f) => resolve(io.cwd, f.file)));
  const policies = collectPolicyFiles(args.positional, io.cwd, exclude, notes);
  const items: Located[] = [];
  for (const pf of policies) {
    const rel = relative(io.cwd, pf.file).split(sep).join('/') || pf.file;
    const binding = bindingFor(project, pf.file, values(args, '--role'));
    if (binding.kind === 'ambiguous') notes.push(ambiguousMessage(rel, binding.candidates));
    const ctx = documentContext(catalog, pf.doc, allFindings(project.findings), binding);
    const lines = new LineIndex(pf.text);
    for (const problem of analyzeDocument(pf.doc, { catalog, universe: ctx.universe, unused: ctx.unused })) {
      const a = lines.position(problem.offset);
      const b = lines.position(problem.offset + problem.length);
      items.push({ file: pf.file, rel, problem, start: { line: a.line + 1, column: a.character + 1 }, end: { line: b.line + 1, column: b.character + 1 } });
    }
  }
  for (const n of notes) io.err(`iam-refine: note: ${n}\n`);
  if (format === 'sarif') io.out(JSON.stringify(toSarif(items, packageVersion(), catalog.describe()), null, 2) + '\n');
  else if (format === 'json')
    io.out(
      JSON.stringify(
        items.map((it) => ({
          file: it.rel, line: it.start.line, column: it.start.column, endLine: it.end.line, endColumn: it.end.column,
          code: it.problem.code, severity: it.problem.severity, message: it.problem.message,
          ...(it.problem.unused ? { unused: it.problem.unused } : {}),
          ...(it.problem.suggestions?.length ? { suggestions: it.problem.suggestions } : {}),
        })),
        null,
        2,
      ) + '\n',
    );
  else {
    for (const it of items) io.out(`${it.rel}:${it.start.line}:${it.start.column}: ${it.problem.severity} ${it.problem.code}: ${it.problem.message}\n`);
    io.err(`${items.length} problem${items.length === 1 ? '' : 's'} in ${policies.length} policy file${policies.length === 1 ? '' : 's'}\n`);
  }
  return items.length ? EXIT_PROBLEMS : EXIT_OK;
}

function expandCommand(argv: string[], io: CliIO, catalog: Catalog): number {
  const args = parseArgs(argv, {}, USAGE);
  if (args.positional.length === 0) throw new CliError(`expand takes at least one pattern\n\n${USAGE}`);
  const u = universeFor(catalog, []);
  let empty = 0;
  for (const p of args.positional) {
    const names = u.expand(p).map((i) => u.names[i]);
    if (args.positional.length > 1) io.out(`# ${p} (${names.length})\n`);
    for (const n of names) io.out(n + '\n');
    if (names.length === 0) {
      empty++;
      io.err(`iam-refine: ${p} matches no action in the catalog\n`);
    }
  }
  return empty ? EXIT_PROBLEMS : EXIT_OK;
}

export type Command = (argv: string[], io: CliIO, catalog: Catalog) => number | Promise<number>;

/** Subcommands that live elsewhere (live mode, the language server) register here, so this file stays free of their imports. */
export const extraCommands = new Map<string, (argv: string[], io: CliIO) => Promise<number>>();

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.out(USAGE + '\n');
      return cmd ? EXIT_OK : EXIT_ERROR;
    }
    if (cmd === '--version' || cmd === '-v') {
      const c = defaultCatalog();
      io.out(`iam-refine ${packageVersion()}\ncatalog: ${c.describe()}\n`);
      return EXIT_OK;
    }
    const extra = extraCommands.get(cmd);
    if (extra) return await extra(rest, io);
    const local: Record<string, Command> = { refine: refineCommand, check: checkCommand, expand: expandCommand };
    const run = local[cmd];
    if (!run) throw new CliError(`unknown command "${cmd}"\n\n${USAGE}`);
    return await run(rest, io, defaultCatalog());
  } catch (e) {
    if (e instanceof InputError || e instanceof CliError) {
      io.err(e instanceof InputError ? `${e.message}\n` : `iam-refine: ${e.message}\n`);
      return EXIT_ERROR;
    }
    if (e instanceof AmbiguousRolesError) {
      io.err(`iam-refine: ${e.message}\n`);
      return EXIT_ERROR;
    }
    io.err(`iam-refine: ${(e as Error).message}\n`);
    return EXIT_ERROR;
  }
}
