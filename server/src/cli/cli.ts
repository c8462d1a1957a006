import { dirname, resolve, sep, relative } from 'node:path';
import { existsSync } from 'node:fs';
import {
  judgedAt,
  AmbiguousRolesError, Binding, Catalog, CONFIG_FILE, FindingsFile, InputError, LineIndex, NothingLeftError, ParsedDocument,
  ProjectConfig, allFindings, universeFor, analyzeDocument, bindPolicy, documentContext, emptyConfig, parseConfig,
  parseFindings, refineDocument, unifiedDiff, lineEndingNote, roleName, parsePolicyDocument, policySize, MANAGED_POLICY_LIMIT,
  INLINE_ROLE_POLICY_LIMIT, catalogStaleness, isSyntaxProblem, isWildcard, levenshtein, literalPrefix, patternShapeError, suggest, mayContainPolicy,
} from '../core';
import { chooseCatalog } from '../workspace/catalogFile';
import { CliError, CliIO, EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS } from './io';
import { FlagSpec, ParsedArgs, briefUsage, closest, has, parseArgs, value, values } from './args';
import { displayPath, readInput, writeAtomic } from './files';
import { CliProject, analyseTarget, openProject, policyTargets } from './project';
import { refinement } from '../workspace/analysis';
import { Located, catalogProperties, toSarif } from './sarif';
import { packageVersion } from './version';

export const REFINE_USAGE = `Usage: iam-refine refine POLICY --findings FILE... [--role ARN...] [--write | --diff] [--config FILE]

Prints POLICY refined to least privilege on standard output (a summary on standard error): unused
actions removed, wildcards replaced by their least-general refinement, every rewrite verified.

  --findings FILE...  findings files (every following argument up to the next option); without it,
                      the findings globs of iam-refiner.json
  --role ARN...       the roles the policy is attached to (only what all of them leave unused goes)
  --write             replace POLICY (atomically, keeping its mode, a symbolic link and a UTF-8 BOM)
  --diff              print a unified diff instead of the policy
  --config FILE       iam-refiner.json to read (default: the one in the current directory)

Exit 0 on success (also when nothing is unused: the policy is printed unchanged), 2 on an error,
such as a statement it cannot read (each one is named with its place; nothing is refined then).`;

export const CHECK_USAGE = `Usage: iam-refine check PATH... [--findings FILE...] [--role ARN...] [--format text|json|sarif] [--config FILE] [--strict-catalog]

Reports unused actions, wildcards that cover unused actions, unknown actions and malformed
policies, each as file:line:col. A directory is searched for policy files (JSON/JSONC with a
top-level Statement, and CloudFormation JSON templates).

  --findings FILE...  findings files (every following argument up to the next option)
  --role ARN...       the roles the policies are attached to
  --format F          text (default), json or sarif (SARIF 2.1.0, for code scanning)
  --config FILE       iam-refiner.json to read (default: the one in the current directory)
  --strict-catalog    fail (exit 2) when the findings show the action catalog to be stale: newer
                      than its data by more than a week, or naming actions it lacks
                      (iam-refine catalog update fetches the current one)

Exit 0 when there is nothing to report, 1 when there is, 2 on an error.`;

export const EXPAND_USAGE = `Usage: iam-refine expand PATTERN...

Lists the actions of the catalog a pattern allows (* and ?, case-insensitive), one a line; with
several patterns, each list has a "# PATTERN (count)" header. A pattern that matches nothing is
named on standard error with the closest real actions; exit 1 then, else 0.`;

export const USAGE = `Usage: iam-refine <command> [options]

Commands:
  refine POLICY --findings FILE... [--role ARN...] [--write | --diff] [--config FILE]
      Print POLICY refined to least privilege (or a unified diff, or replace the file atomically).
  check PATH... [--findings FILE...] [--role ARN...] [--format text|json|sarif] [--config FILE] [--strict-catalog]
      Report unused actions, wildcards covering unused actions and unknown actions.
      Exit 0 when there are none, 1 when there are some, 2 on error. Directories are searched.
  expand PATTERN...
      The actions a pattern allows, from the catalog.
  explain PATTERN... --findings FILE... [--role ARN...] [--not-action] [--format text|json]
      Why PATTERN refines as it does: the trie of its actions, safe and unsafe nodes, the result
      (several patterns: a refined list, explained against the findings).
  catalog update | catalog show
      Fetch the current action catalog from AWS's Service Reference into the per-user cache
      (used from then on), or say which catalog is in use and of when.
  fetch [--role ARN...] [--analyzer ARN] [--region R] [--profile P] [--endpoint URL] --out FILE
      Download unused-access findings from IAM Access Analyzer.
  recommend --role ARN --policy FILE [--analyzer ARN] [--region R] [--profile P] [--endpoint URL]
      AWS's own recommendation for the policy, beside the local refinement.
  lsp --stdio
      Start the language server (for any editor).

Options:
  --version   print the version and the catalog's version
  --help      this text; iam-refine COMMAND --help (or -h) for a command's options

Findings files: a list [{"serviceNamespace", "actions"}], a get-finding-v2 response, an array of
them, or {"findings": [...]}. iam-refiner.json in the current directory (or --config) supplies
findings globs and role bindings.`;

const REFINE_FLAGS: FlagSpec = { '--findings': 'many', '--role': 'many', '--write': 'bool', '--diff': 'bool', '--config': 'one' };
const CHECK_FLAGS: FlagSpec = { '--findings': 'many', '--role': 'many', '--format': 'one', '--config': 'one', '--strict-catalog': 'bool' };

function ambiguousMessage(file: string, candidates: string[]): string {
  return `${file}: the findings concern ${candidates.length} roles (${candidates.map(roleName).join(', ')}); pass --role ARN, or bind the file in ${CONFIG_FILE} ("roles": {"${file}": ["${candidates[0]}"]})`;
}

/** The positional arguments a command needs, or a message saying where they went (a `--findings` before them takes them). */
function needPositional(args: ParsedArgs, command: string, what: string, usage: string, io: CliIO, exactlyOne: boolean): void {
  const n = args.positional.length;
  if (n >= 1 && (!exactlyOne || n === 1)) return;
  if (n > 1) throw new CliError(`${command} takes one ${what}, not ${n} (${args.positional.join(', ')})\n\n${briefUsage(usage)}`);
  const took = args.swallowed.get('--findings') ?? [];
  if (took.length) {
    const all = values(args, '--findings');
    const isPolicy = (f: string) => {
      try {
        const t = readInput(resolve(io.cwd, f)).text;
        return mayContainPolicy(t) && parsePolicyDocument(t).policies.length > 0;
      } catch {
        return false;
      }
    };
    const policy = all.find(isPolicy) ?? took[took.length - 1];
    const rest = all.filter((f) => f !== policy);
    throw new CliError(
      `${command} needs ${exactlyOne ? 'a' : 'at least one'} ${what}: --findings takes every following argument up to the next option, so it took ${took.join(', ')} as findings files too. Put the ${what} first: iam-refine ${command} ${policy} --findings ${rest.join(' ')}`,
    );
  }
  throw new CliError(`${command} takes ${exactlyOne ? 'one' : 'at least one'} ${what}\n\n${briefUsage(usage)}`);
}

/** The problems that make a document unsafe to refine: syntax, duplicate keys, statements it cannot read, empty actions. */
function blockingProblems(doc: ParsedDocument): { offset: number; message: string }[] {
  const out = doc.problems.filter((p) => isSyntaxProblem(p) || p.code === 'invalid-policy').map((p) => ({ offset: p.offset, message: p.message }));
  for (const pol of doc.policies) {
    for (const st of pol.statements) {
      for (const e of st.entries) {
        if (e.value.trim() === '') out.push({ offset: e.span.offset, message: `${patternShapeError(e.value)}: IAM rejects it` });
      }
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}

const MAX_LISTED = 20;

async function refineCommand(argv: string[], io: CliIO, catalog: Catalog): Promise<number> {
  const args = parseArgs(argv, REFINE_FLAGS, REFINE_USAGE);
  if (has(args, '--help')) return help(io, REFINE_USAGE);
  needPositional(args, 'refine', 'policy file', REFINE_USAGE, io, true);
  if (has(args, '--write') && has(args, '--diff')) throw new CliError('--write and --diff cannot be combined');
  const cp = await openProject(args, io, catalog, true);
  evidenceWarnings(cp, io);
  const [target] = await policyTargets(cp, args.positional, io, [], 'the policy');
  const policy = (await analyseTarget(cp, target, []))!;
  const rel = policy.name;
  const a = policy.analysis;
  const spared = a.problems.filter((p) => p.code === 'not-judged');
  if (spared.length) {
    const lines = new LineIndex(policy.text);
    for (const p of spared) io.err(`iam-refine: note: ${rel}:${lines.where(p.offset)}: ${p.message}: kept\n`);
  }
  const doc = a.parsed!;
  const blocking = blockingProblems(doc);
  if (blocking.length) {
    const lines = new LineIndex(policy.text);
    for (const b of blocking.slice(0, MAX_LISTED)) io.err(`${rel}:${lines.where(b.offset)}: ${b.message}\n`);
    if (blocking.length > MAX_LISTED) io.err(`… and ${blocking.length - MAX_LISTED} more\n`);
    const n = blocking.length;
    throw new CliError(`${rel}: not refined: ${n === 1 ? 'this problem' : `these ${n} problems`} must be fixed first (a statement that cannot be read is never refined on a guess)${has(args, '--write') ? '; the file is unchanged' : ''}`);
  }
  const binding = a.binding!;
  if (binding.kind === 'ambiguous') throw new CliError(ambiguousMessage(rel, binding.candidates));
  const ctx = a.context!;
  const unchanged = (why: string): number => {
    if (!has(args, '--write') && !has(args, '--diff')) io.out(policy.text);
    io.err(`${rel}: nothing to change: ${why}${has(args, '--write') ? '; not written' : ''}\n`);
    return EXIT_OK;
  };
  if (!ctx.unused) return unchanged(`the findings (${cp.snap.sources.map((s) => s.label).join(', ')}) say no action is unused`);
  const outcome = refinement(a, { kind: 'document' }, () => undefined);
  if (outcome.kind === 'nothing-left') throw new CliError(`${rel}: ${outcome.message}`);
  if (outcome.kind === 'unavailable') throw new CliError(`${rel}: ${outcome.message}`);
  const result = outcome.result;
  for (const label of result.everythingUnused) io.err(`iam-refine: note: ${rel}: every permission in ${label} is unused; it was left as it is (IAM rejects an empty policy): detach or delete it instead\n`);
  const n = ctx.unused.indexes.size;
  if (result.edits.length === 0 || result.text === policy.text) {
    return unchanged(`no action in it is unused according to the findings (${n} unused action${n === 1 ? '' : 's'} known)`);
  }
  const after = doc.format.parse(result.text);
  for (const pol of after.policies) {
    const size = policySize(pol);
    if (size > MANAGED_POLICY_LIMIT) {
      const where = pol.label === 'policy' ? rel : `${rel} (${pol.label})`;
      io.err(`iam-refine: note: ${where} is ${size} characters without white space after refinement: over IAM's ${MANAGED_POLICY_LIMIT} for a managed policy${size > INLINE_ROLE_POLICY_LIMIT ? ` and ${INLINE_ROLE_POLICY_LIMIT} for an inline role policy` : ` (an inline role policy allows ${INLINE_ROLE_POLICY_LIMIT})`}\n`);
    }
  }
  const s = result.summary;
  // a wildcard refined over a catalog older than the findings may drop an action AWS added since
  if (a.catalogStaleness && (s.refinedWildcards || s.notActionStatements)) io.err(`iam-refine: warning: ${a.catalogStaleness.message}\n`);
  const summary = `${rel}: removed ${s.removedActions} unused action${s.removedActions === 1 ? '' : 's'}, refined ${s.refinedWildcards} wildcard${s.refinedWildcards === 1 ? '' : 's'} into ${s.writtenPatterns} pattern${s.writtenPatterns === 1 ? '' : 's'}${s.removedStatements ? `, removed ${s.removedStatements} statement(s)` : ''}${s.notActionStatements ? `, narrowed ${s.notActionStatements} NotAction/"*" statement(s)` : ''}; verified against ${ctx.universe.size} actions`;
  if (has(args, '--write')) {
    writeAtomic(policy.file, result.text, { name: rel, bom: policy.bom, expected: policy.text });
    io.err(`${summary}; written\n`);
  } else if (has(args, '--diff')) {
    const slashed = rel.split(sep).join('/');
    io.out(unifiedDiff(policy.text, result.text, `a/${slashed}`, `b/${slashed}`));
    const note = lineEndingNote(policy.text, result.text);
    if (note) io.err(`iam-refine: note: ${rel}: ${note}\n`);
    io.err(summary + '\n');
  } else {
    io.out(result.text);
    io.err(summary + '\n');
  }
  return EXIT_OK;
}

async function checkCommand(argv: string[], io: CliIO, catalog: Catalog): Promise<number> {
  const args = parseArgs(argv, CHECK_FLAGS, CHECK_USAGE);
  if (has(args, '--help')) return help(io, CHECK_USAGE);
  const format = value(args, '--format') ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) throw new CliError(`--format must be text, json or sarif, not "${format}"\n\n${briefUsage(CHECK_USAGE)}`);
  needPositional(args, 'check', 'file or directory', CHECK_USAGE, io, false);
  const cp = await openProject(args, io, catalog, false);
  if (cp.snap.findings.length === 0) io.err(`iam-refine: note: no findings given or found (${cp.snap.defaultGlobs ? `none matching ${cp.snap.globs.join(', ')}` : 'none in the globs'}): checking unknown actions and policy errors only\n`);
  evidenceWarnings(cp, io);
  const notes: string[] = [];
  const targets = await policyTargets(cp, args.positional, io, notes, 'a PATH');
  // one file at a time, nothing of it kept but its problems; text and JSON are written as each file
  // is done (SARIF, one document, at the end): memory does not grow with the files
  const sarif: Located[] = [];
  let problems = 0;
  let files = 0;
  let count = 0;
  const jsonItem = (it: Located) => ({
    file: it.rel, line: it.start.line, column: it.start.column, endLine: it.end.line, endColumn: it.end.column,
    code: it.problem.code, severity: it.problem.severity, message: it.problem.message,
    ...(it.problem.unused ? { unused: it.problem.unused } : {}),
    ...(it.problem.suggestions?.length ? { suggestions: it.problem.suggestions } : {}),
  });
  for (const t of targets) {
    const pf = await analyseTarget(cp, t, notes);
    if (!pf) continue;
    files++;
    count += pf.analysis.parsed?.policies.length ?? 0;
    const rel = pf.name.split(sep).join('/');
    const binding = pf.analysis.binding;
    if (binding?.kind === 'ambiguous') notes.push(ambiguousMessage(rel, binding.candidates));
    const lines = new LineIndex(pf.text);
    let chunk = '';
    const items: ReturnType<typeof jsonItem>[] = [];
    for (const p of pf.analysis.problems) {
      const a = lines.position(p.offset);
      const b = lines.position(p.offset + p.length);
      const it: Located = { file: pf.file, rel, problem: p, start: { line: a.line + 1, column: a.character + 1 }, end: { line: b.line + 1, column: b.character + 1 } };
      if (format === 'sarif') sarif.push(it);
      else if (format === 'json') items.push(jsonItem(it));
      else chunk += `${it.rel}:${it.start.line}:${it.start.column}: ${it.problem.severity} ${it.problem.code}: ${oneLine(it.problem.message)}\n`;
    }
    // a file's items as the array's own elements: "[\n  {…},\n  {…}\n]" without its brackets (one
    // stringify a file, not one and a re-indenting pass a problem)
    if (items.length) chunk = (problems === 0 ? '[\n' : ',\n') + JSON.stringify(items, null, 2).slice(2, -2);
    problems += pf.analysis.problems.length;
    if (chunk) {
      io.out(chunk);
      await io.drained?.();
    }
  }
  if (format === 'json') io.out(problems ? '\n]\n' : '[]\n');
  const stale = catalogStaleness(catalog, cp.snap.findings);
  if (stale && !has(args, '--strict-catalog')) notes.push(stale.message); // --strict-catalog says it last, as the failure
  for (const n of notes) io.err(`iam-refine: note: ${n}\n`);
  if (format === 'sarif') io.out(JSON.stringify(toSarif(sarif, packageVersion(), catalogProperties(catalog, stale)), null, 2) + '\n');
  else if (format === 'text')
    io.err(`${problems} problem${problems === 1 ? '' : 's'} in ${files} policy file${files === 1 ? '' : 's'} (${count} polic${count === 1 ? 'y' : 'ies'})${notes.length ? `, ${notes.length} note${notes.length === 1 ? '' : 's'} above` : ''}\n`);
  if (stale && has(args, '--strict-catalog')) {
    io.err(`iam-refine: --strict-catalog: ${stale.message}\n`);
    return EXIT_ERROR;
  }
  return problems ? EXIT_PROBLEMS : EXIT_OK;
}

/** Stale findings (a warning) and whether newer lines can be told apart (a note), on stderr. */
function evidenceWarnings(cp: CliProject, io: CliIO): void {
  for (const w of cp.snap.status.staleFindings ?? []) io.err(`iam-refine: warning: ${w}\n`);
  const dated = cp.snap.findings.some((f) => judgedAt(f) !== undefined);
  const history = cp.snap.status.history;
  if (dated && history && !history.startsWith('git:')) io.err(`iam-refine: note: ${history}\n`);
}

/** Real actions (or patterns that match some) close to a pattern that matches nothing. */
export function closestActions(catalog: Catalog, pattern: string, count = 3): string[] {
  const direct = suggest(catalog, pattern, count);
  if (direct.length || !isWildcard(pattern)) return direct;
  // a wildcard over a known service: the literal part is probably misspelt (s3:GetObjekt*)
  const colon = pattern.indexOf(':');
  if (colon <= 0) return [];
  const svc = catalog.services.get(pattern.slice(0, colon).toLowerCase());
  const lit = literalPrefix(pattern).slice(colon + 1);
  if (!svc || lit.length < 3 || lit.includes(':')) return [];
  const rest = pattern.slice(colon + 1 + lit.length);
  const limit = Math.max(1, Math.floor(lit.length / 4));
  const u = universeFor(catalog, []);
  const seen = new Map<string, number>();
  for (const a of svc.actions) {
    const head = a.slice(0, lit.length);
    if (seen.has(head)) continue;
    seen.set(head, levenshtein(lit, head.toLowerCase(), limit));
  }
  return [...seen]
    .filter(([, d]) => d <= limit)
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .map(([head]) => `${svc.prefix}:${head}${rest}`)
    .filter((p) => u.expand(p).length > 0)
    .slice(0, count);
}

function expandCommand(argv: string[], io: CliIO, catalog: Catalog): number {
  const args = parseArgs(argv, {}, EXPAND_USAGE);
  if (has(args, '--help')) return help(io, EXPAND_USAGE);
  if (args.positional.length === 0) throw new CliError(`expand takes at least one pattern\n\n${briefUsage(EXPAND_USAGE)}`);
  for (const p of args.positional) {
    if (p.trim() === '') throw new CliError(`${patternShapeError(p)}: give a pattern such as s3:Get*`);
  }
  const u = universeFor(catalog, []);
  let empty = 0;
  for (const p of args.positional) {
    const names = u.expand(p).map((i) => u.nameAt(i));
    let text = args.positional.length > 1 ? `# ${p} (${names.length})\n` : '';
    if (names.length) text += names.join('\n') + '\n';
    io.out(text);
    if (names.length === 0) {
      empty++;
      const near = closestActions(catalog, p);
      const shape = patternShapeError(p);
      io.err(`iam-refine: ${p} matches no action in the catalog (${catalog.source} ${catalog.version})${shape ? `: ${shape}` : ''}${near.length ? `; did you mean ${near.join(', ')}?` : ''}\n`);
    }
  }
  return empty ? EXIT_PROBLEMS : EXIT_OK;
}

function help(io: CliIO, usage: string): number {
  io.out(usage + '\n');
  return EXIT_OK;
}

export type Command = (argv: string[], io: CliIO, catalog: Catalog) => number | Promise<number>;

/** Subcommands that live elsewhere (live mode, the language server) register here, so this file stays free of their imports. */
export const extraCommands = new Map<string, (argv: string[], io: CliIO) => Promise<number>>();
/** The usage of each of those, for `iam-refine help COMMAND`. */
export const extraUsages = new Map<string, () => string>();

const LOCAL: Record<string, [Command, string]> = { refine: [refineCommand, REFINE_USAGE], check: [checkCommand, CHECK_USAGE], expand: [expandCommand, EXPAND_USAGE] };

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    if (!cmd) {
      io.err(USAGE + '\n');
      return EXIT_ERROR;
    }
    if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
      const about = cmd === 'help' ? rest[0] : undefined;
      if (about && about !== '--help' && about !== '-h') {
        const usage = LOCAL[about]?.[1] ?? extraUsages.get(about)?.();
        if (!usage) throw unknownCommand(about);
        return help(io, usage);
      }
      return help(io, USAGE);
    }
    if (cmd === '--version' || cmd === '-v' || cmd === '-V') {
      const c = chooseCatalog(io.env);
      io.out(`iam-refine ${packageVersion()}\ncatalog: ${c.catalog.describe()}, ${c.origin === 'cache' ? `fetched into ${c.path}` : 'bundled'}\n`);
      if (c.note) io.err(`iam-refine: note: ${c.note}\n`);
      return EXIT_OK;
    }
    const extra = extraCommands.get(cmd);
    if (extra) return await extra(rest, io);
    const local = LOCAL[cmd];
    if (!local) throw unknownCommand(cmd);
    const chosen = chooseCatalog(io.env);
    if (chosen.note) io.err(`iam-refine: note: ${chosen.note}\n`);
    return await local[0](rest, io, chosen.catalog);
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`${e.message}\n`);
      return EXIT_ERROR;
    }
    if (e instanceof CliError || e instanceof AmbiguousRolesError) {
      io.err(`iam-refine: ${e.message}\n`);
      return EXIT_ERROR;
    }
    io.err(`iam-refine: ${(e as Error).message}\n`);
    return EXIT_ERROR;
  }
}

function unknownCommand(cmd: string): CliError {
  const known = [...Object.keys(LOCAL), ...extraCommands.keys(), 'help'];
  const guess = cmd.startsWith('-') ? closest(cmd, ['--help', '--version']) : closest(cmd, known);
  return new CliError(`unknown ${cmd.startsWith('-') ? 'option' : 'command'} "${cmd}"${guess ? `: did you mean ${guess}?` : ''}\n\n${USAGE}`);
}

/** A message on one line of `check`'s text output: a line break or other control character in it (from an action string, say) written as an escape. */
function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    const j = JSON.stringify(c).slice(1, -1);
    return j.length > 1 ? j : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
