/**
 * `iam-refine explain PATTERN`: the rule's trie below the pattern's literal prefix as an indented
 * tree (or JSON), ending with the refinement it implies. The pattern is analysed as the one entry
 * of an Allow statement, through the workspace service and the quick fix's own refinement
 * (server/src/workspace/explain.ts), so the tree is the editor's picture, node for node.
 */
import { join } from 'node:path';
import { Catalog, ExplainNode, Explanation, nodeActions, roleName, patternShapeError } from '../core';
import { defaultCatalog } from '../workspace/catalogFile';
import { explainTarget } from '../workspace/explain';
import { pathToUri } from '../workspace/paths';
import { closestActions, extraCommands, extraUsages } from './cli';
import { CliError, CliIO, EXIT_OK } from './io';
import { FlagSpec, briefUsage, has, parseArgs, value } from './args';
import { openProject } from './project';

export const EXPLAIN_USAGE = `Usage: iam-refine explain PATTERN... --findings FILE... [--role ARN...] [--not-action] [--format text|json] [--config FILE]

Shows why a wildcard refines as it does: the trie of the actions below PATTERN's literal prefix,
split at word boundaries (s3:Get -> Bucket -> Acl), each node with its count of actions and unused
actions, marked safe (nothing under it is unused), unsafe, or an unused leaf (with its last-used
date); the emitted patterns are marked "=>". Wholly safe subtrees are shown as one line. Ends with
the refinement it implies: the same patterns the quick fix and \`iam-refine refine\` write.
Several PATTERNs (of one service) are explained as one list against the findings, as a refined list
is: the trie below their common prefix with each pattern on its node, and whether they are exactly
the shortest safe prefixes (least general), or allow unused actions.

  --findings FILE...  findings files (every following argument up to the next option); without it,
                      the findings globs of iam-refiner.json (or *findings*.json below the folder)
  --role ARN...       the roles the policy is attached to (only what all of them leave unused counts)
  --not-action        explain an Allow statement with "NotAction": [PATTERN...]: what the refinement
                      adds to NotAction (also what "Action": "*" becomes: explain '*')
  --format F          text (default; colour when standard output is a terminal, unless NO_COLOR) or
                      json (the tree as data)
  --config FILE       iam-refiner.json to read (default: the one in the current directory)

Exit 0, or 2 on an error (a pattern that matches no action, unreadable findings).`;

const FLAGS: FlagSpec = { '--findings': 'many', '--role': 'many', '--format': 'one', '--config': 'one', '--not-action': 'bool' };

async function explainCommand(argv: string[], io: CliIO, catalog: Catalog): Promise<number> {
  const args = parseArgs(argv, FLAGS, EXPLAIN_USAGE);
  if (has(args, '--help')) {
    io.out(EXPLAIN_USAGE + '\n');
    return EXIT_OK;
  }
  const format = value(args, '--format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new CliError(`--format must be text or json, not "${format}"\n\n${briefUsage(EXPLAIN_USAGE)}`);
  const notAction = has(args, '--not-action');
  const patterns = args.positional;
  if (patterns.length === 0) {
    const took = args.swallowed.get('--findings') ?? [];
    throw new CliError(took.length ? `explain needs a PATTERN: --findings took ${took.join(', ')} too. Put the pattern first: iam-refine explain PATTERN --findings FILE...` : `explain takes a PATTERN, such as s3:Get*\n\n${briefUsage(EXPLAIN_USAGE)}`);
  }
  if (!notAction && patterns.length > 1) {
    // several patterns: a list (a refined one, typically) explained together; one service
    const services = new Set(patterns.map((p) => p.slice(0, Math.max(0, p.indexOf(':'))).toLowerCase()));
    if (services.size > 1 || services.has('') || [...services].some((x) => /[*?]/.test(x))) throw new CliError(`several PATTERNs are explained as one list, of one service: ${patterns.join(', ')} name ${services.size > 1 ? `${services.size} services` : 'no literal service'}`);
  }
  for (const p of patterns) {
    const shape = patternShapeError(p);
    if (shape) throw new CliError(`${shape}: give a pattern such as s3:Get*`);
  }
  const cp = await openProject(args, io, catalog, true);
  // the pattern as the one Allow statement of a policy, analysed as the editor analyses a file
  const statement = { Effect: 'Allow', [notAction ? 'NotAction' : 'Action']: patterns, Resource: '*' };
  const text = JSON.stringify({ Version: '2012-10-17', Statement: [statement] }, null, 2) + '\n';
  const a = cp.ws.analyzeFile(pathToUri(join(cp.root, 'explain.json')), null, text, cp.project, cp.snap);
  if (a.kind !== 'policy' || !a.context) throw new CliError('internal error: the pattern could not be analysed');
  const u = a.context.universe;
  for (const p of patterns) {
    if (u.expand(p).some((i) => catalog.has(u.nameAt(i)))) continue;
    if (notAction) continue; // excluding an unknown action is harmless; it is simply nothing
    const near = closestActions(catalog, p);
    throw new CliError(`${p} matches no action in the catalog (${catalog.source} ${catalog.version})${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
  }
  if (a.binding?.kind === 'ambiguous') throw new CliError(`the findings concern ${a.binding.candidates.length} roles (${a.binding.candidates.map(roleName).join(', ')}); pass --role ARN`);
  const r = explainTarget(a, cp.snap.findings, notAction ? { policy: 0, statement: 0 } : { policy: 0, statement: 0, entry: 0 }, () => undefined, { forceList: patterns.length > 1 });
  if (r.kind === 'error') throw new CliError(r.message);
  if (format === 'json') io.out(JSON.stringify(r.explanation, null, 2) + '\n');
  else io.out(explanationText(r.explanation, { color: colorWanted(io) }));
  return EXIT_OK;
}

/** Colour when standard output is a terminal, unless NO_COLOR is set; FORCE_COLOR forces it. */
export function colorWanted(io: CliIO): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return !!io.tty;
}

const ANSI = { green: '\x1b[32m', yellow: '\x1b[33m', red: '\x1b[31m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' };

const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;

/** The state word a node is shown with (the webview's colours say the same). */
export function nodeState(e: Explanation, node: ExplainNode, isRoot = false): 'safe' | 'unsafe' | 'unused' | 'not allowed' | 'excluded' | 'used' {
  const leaf = node.children.length === 0 && !node.opaque ? node.action?.kind : undefined;
  if (leaf === 'unused') return 'unused';
  if (leaf === 'outside' || (node.opaque && e.mode === 'allow' && node.counts.used + node.counts.unused === 0)) return 'not allowed';
  if (e.mode === 'exclude' && node.counts.excluded === node.counts.used + node.counts.unused + node.counts.excluded + node.counts.outside && !isRoot) return 'excluded';
  if (e.mode === 'exclude' && node.opaque) return 'used';
  return node.safe ? 'safe' : 'unsafe';
}

function countsText(e: Explanation, node: ExplainNode): string {
  const c = node.counts;
  if (e.list) return [`${c.used} allowed`, ...(c.unused ? [`${c.unused} unused`] : []), ...(c.outside ? [`${c.outside} not allowed by the list`] : [])].join(', ');
  const parts = [n(nodeActions(e.mode, node), 'action')];
  if (c.unused) parts.push(`${c.unused} unused`);
  if (e.mode === 'allow' && c.outside) parts.push(`${c.outside} not allowed by the pattern`);
  if (e.mode === 'exclude' && c.excluded) parts.push(`${c.excluded} already excluded`);
  return parts.join(', ');
}

function lastUsed(node: ExplainNode): string {
  const dates = (node.action?.lastAccessed ?? []).map((x) => x.date).filter((d): d is string => !!d).sort();
  return dates.length ? `last used ${dates[dates.length - 1].slice(0, 10)}` : 'not used in the tracking period';
}

/** The tree as indented text, then the refinement it implies. */
export function explanationText(e: Explanation, opts: { color: boolean }): string {
  const paint = (code: keyof typeof ANSI, s: string) => (opts.color ? ANSI[code] + s + ANSI.reset : s);
  const colorOf = (state: string): keyof typeof ANSI => (state === 'safe' ? 'green' : state === 'unsafe' ? 'yellow' : state === 'unused' ? 'red' : 'dim');
  const out: string[] = [];
  const subject = e.list ? e.list.entries.join(', ') : e.mode === 'allow' ? e.pattern : e.key === 'NotAction' ? 'this NotAction statement' : `"Action": "${e.pattern}"`;
  const roles = e.roles.length ? ` (roles ${e.roles.map(roleName).join(', ')})` : '';
  if (e.list) out.push(`${paint('bold', subject)}: ${n(e.root.counts.used + e.list.unusedAllowed, 'action')} allowed, ${e.list.unusedAllowed} unused; ${e.root.counts.unused} unused below ${e.root.prefix}${roles}`);
  else out.push(`${paint('bold', subject)}: ${n(nodeActions(e.mode, e.root), 'action')} ${e.mode === 'allow' ? 'allowed' : 'in the catalog and findings'}, ${e.root.counts.unused} unused${roles}`);
  out.push(paint('dim', e.list ? 'safe: nothing under it is unused or not allowed · unsafe: holds unused actions (or ones the list does not allow) · => an entry of the list' : e.mode === 'allow' ? 'safe: nothing under it is unused · unsafe: holds unused actions · => written by the refinement' : 'safe: every action under it is unused or already excluded · unsafe: holds used actions · => added to NotAction'));
  out.push('');
  /** A node written by its own action's full name (rule 5: it prefixes an action that must go) shows the arrow on that action's line. */
  const byOwnName = (node: ExplainNode) => !!node.action && node.children.length > 0 && !node.safe && node.emitted === node.action.name;
  const line = (node: ExplainNode, depth: number, isRoot: boolean) => {
    const state = isRoot ? (node.safe ? 'safe' : 'unsafe') : nodeState(e, node);
    const label = isRoot ? node.prefix || '(every service)' : node.word;
    let s = `${'  '.repeat(depth)}${paint(colorOf(state), label)}  ${countsText(e, node)}  [${paint(colorOf(state), state)}]`;
    if (node.emitted && !byOwnName(node)) s += `  ${paint('bold', '=> ' + node.emitted)}`;
    else if (node.listed && !(node.action && node.children.length > 0 && node.listed === node.action.name)) s += `  (=> ${node.listed}, already in the statement)`;
    if (node.action?.kind === 'unused' && node.children.length === 0) s += `  ${paint('dim', lastUsed(node))}`;
    out.push(s);
  };
  /** The node's own action, when longer actions share its prefix: the end of a word, shown as a leaf of its own. */
  const ownLine = (node: ExplainNode, depth: number) => {
    const a = node.action!;
    const state = a.kind === 'unused' ? 'unused' : a.kind === 'outside' ? 'not allowed' : a.kind === 'excluded' ? 'excluded' : e.mode === 'allow' ? 'safe' : 'used';
    let s = `${'  '.repeat(depth)}${paint(colorOf(state), '· ' + a.name)}  1 action${a.kind === 'unused' ? ', 1 unused' : ''}  [${paint(colorOf(state), state)}]`;
    if (byOwnName(node)) s += `  ${paint('bold', '=> ' + node.emitted)}`;
    else if (node.listed === a.name) s += `  (=> ${node.listed}, already in the statement)`;
    if (a.kind === 'unused') s += `  ${paint('dim', lastUsed(node))}`;
    out.push(s);
  };
  const walk = (node: ExplainNode, depth: number, isRoot: boolean) => {
    line(node, depth, isRoot);
    // a wholly safe subtree is one line; opaque nodes have no listed children
    if (!isRoot && node.safe && e.mode === 'allow') return;
    if (!isRoot && node.safe && e.mode === 'exclude' && node.counts.used === 0 && node.counts.unused === 0) return;
    const kids = node.children;
    if (node.action && kids.length > 0) ownLine(node, depth + 1);
    let k = 0;
    while (k < kids.length) {
      // long runs of nodes with nothing to say (not listed) become one line
      let j = k;
      while (j < kids.length && kids[j].opaque) j++;
      if (j - k > 3) {
        const total = kids.slice(k, j).reduce((t, c) => t + c.counts.used + c.counts.unused + c.counts.outside + c.counts.excluded, 0);
        const what = e.mode === 'allow' ? `not allowed by the ${e.list ? 'list' : 'pattern'}` : 'none unused';
        out.push(`${'  '.repeat(depth + 1)}${paint('dim', `… ${j - k} more (${n(total, 'action')}, ${what}): ${kids.slice(k, Math.min(j, k + 3)).map((c) => c.word).join(', ')}…`)}`);
        k = j;
        continue;
      }
      const end = Math.max(j, k + 1);
      for (; k < end; k++) walk(kids[k], depth + 1, false);
    }
  };
  walk(e.root, 0, true);
  out.push('');
  out.push(outcomeText(e));
  return out.join('\n') + '\n';
}

/** The refinement the tree implies, in one or two lines. */
export function outcomeText(e: Explanation): string {
  const list = (ps: string[]) => ps.join(', ');
  switch (e.outcome) {
    case 'keep':
      return `Refinement: ${e.pattern === 'NotAction' ? 'the statement' : e.pattern} stays as written (nothing it allows is unused).`;
    case 'remove':
      return e.listed.length
        ? `Refinement: ${e.pattern} is removed: what it must still allow is already listed (${list(e.listed)}).`
        : `Refinement: ${e.pattern} is removed (every action it allows is unused).`;
    case 'remove-statement':
      return 'Refinement: the statement is removed (every action it allows is unused).';
    case 'replace':
      return `Refinement: ${e.pattern} => ${n(e.patterns.length, 'pattern')}: ${list(e.patterns)}${e.listed.length ? ` (and ${list(e.listed)}, already in the statement)` : ''}`;
    case 'to-not-action':
      return `Refinement: "Action": "${e.pattern}" => "NotAction" with ${n(e.patterns.length, 'pattern')}: ${list(e.patterns)}`;
    case 'extend-not-action':
      return `Refinement: NotAction gains ${n(e.patterns.length, 'pattern')}: ${list(e.patterns)}`;
    case 'list':
      return listVerdict(e);
  }
}

/** What a list explained as a whole says against the findings. */
export function listVerdict(e: Explanation): string {
  const l = e.list!;
  if (l.unusedAllowed > 0) return `The list allows ${n(l.unusedAllowed, 'unused action')}: refine it (the quick fix, or iam-refine refine).`;
  if (l.leastGeneral) return `The list is least general against the findings: each of its ${n(l.entries.length, 'pattern')} is a shortest safe prefix.`;
  return `The list allows no unused action, but it is not the least-general form; the shortest safe prefixes of what it allows: ${l.frontier.join(', ')}`;
}

extraCommands.set('explain', (argv, io) => Promise.resolve(explainCommand(argv, io, defaultCatalog())));
extraUsages.set('explain', () => EXPLAIN_USAGE);
