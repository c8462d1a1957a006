import { parseArgs as nodeParseArgs, ParseArgsConfig } from 'node:util';
import { levenshtein } from '../core';
import { CliError } from './io';

export interface FlagSpec {
  /** Takes values: 'one' (the next argument), 'many' (every following argument up to the next option; repeatable). */
  [flag: string]: 'bool' | 'one' | 'many';
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[] | true>;
  /** Per 'many' flag, the values it took after its first one (the arguments a misplaced flag may have swallowed). */
  swallowed: Map<string, string[]>;
}

/** The closest of `known` to `given`, when it is close enough to be what was meant. */
export function closest(given: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.startsWith(given) && given.length >= 3 ? 0 : levenshtein(given, k, 3);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.min(3, Math.floor(given.length / 3))) ? best : undefined;
}

/**
 * Parses `args` against `spec` with node's `util.parseArgs` (its tokens), adding what it lacks: a
 * 'many' flag takes every following argument up to the next option; an unknown option is a usage
 * error naming the closest known one; a value-taking flag followed by an option (or nothing) says it
 * needs a value. `--help`/`-h` are always known (callers print their usage for them).
 */
export function parseArgs(args: string[], spec: FlagSpec, fullUsage: string): ParsedArgs {
  const usage = briefUsage(fullUsage);
  const full: FlagSpec = { ...spec, '--help': 'bool', '-h': 'bool' };
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [flag, kind] of Object.entries(full)) {
    if (!flag.startsWith('--')) continue;
    options[flag.slice(2)] = kind === 'bool' ? { type: 'boolean' } : { type: 'string', multiple: kind === 'many' };
  }
  options.help.short = 'h';
  const { tokens } = nodeParseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const positional: string[] = [];
  const flags = new Map<string, string[] | true>();
  const swallowed = new Map<string, string[]>();
  let taking: string | undefined;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') {
      taking = undefined;
      continue;
    }
    if (t.kind === 'positional') {
      if (taking) {
        (flags.get(taking) as string[]).push(t.value);
        swallowed.get(taking)!.push(t.value);
      } else positional.push(t.value);
      continue;
    }
    taking = undefined;
    const flag = t.rawName.startsWith('--') ? `--${t.name}` : t.rawName;
    const kind = full[flag] ?? (t.name === 'help' ? 'bool' : undefined);
    if (!kind) {
      const guess = closest(flag, Object.keys(full).filter((f) => f.startsWith('--')));
      throw new CliError(`unknown option ${t.rawName}${guess ? `: did you mean ${guess}?` : ''}\n\n${usage}`);
    }
    const name = kind === 'bool' && t.name === 'help' ? '--help' : flag;
    if (kind === 'bool') {
      if (t.value !== undefined) throw new CliError(`${flag} takes no value\n\n${usage}`);
      flags.set(name, true);
      continue;
    }
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--'))) {
      throw new CliError(`${flag} needs ${kind === 'many' ? 'at least one value' : 'a value'}\n\n${usage}`);
    }
    const values = (flags.get(flag) as string[] | undefined) ?? [];
    if (kind === 'one' && values.length) throw new CliError(`${flag} given twice\n\n${usage}`);
    values.push(t.value);
    flags.set(flag, values);
    if (kind === 'many' && !t.inlineValue) {
      taking = flag;
      if (!swallowed.has(flag)) swallowed.set(flag, []);
    }
  }
  return { positional, flags, swallowed };
}

export const values = (p: ParsedArgs, flag: string): string[] => {
  const v = p.flags.get(flag);
  return Array.isArray(v) ? v : [];
};
export const value = (p: ParsedArgs, flag: string): string | undefined => values(p, flag)[0];
export const has = (p: ParsedArgs, flag: string): boolean => p.flags.has(flag) || (flag === '-h' && p.flags.has('--help'));

/** The usage line of a usage text and where the rest is: what a usage error prints. */
export function briefUsage(usage: string): string {
  const first = usage.split('\n\n')[0];
  const cmd = /^Usage: iam-refine (\w+)/.exec(first)?.[1];
  return `${first}\n(iam-refine ${cmd ? `${cmd} ` : ''}--help for more)`;
}
