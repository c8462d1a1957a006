import { CliError } from './io';

export interface FlagSpec {
  /** Takes values: 'one' (the next argument), 'many' (every following argument up to the next flag; repeatable). */
  [flag: string]: 'bool' | 'one' | 'many';
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[] | true>;
}

/** Parses `args` against `spec`; unknown flags are usage errors. */
export function parseArgs(args: string[], spec: FlagSpec, usage: string): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[] | true>();
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const kind = spec[a];
    if (!kind) throw new CliError(`unknown option ${a}\n\n${usage}`);
    if (kind === 'bool') {
      flags.set(a, true);
      continue;
    }
    const values = (flags.get(a) as string[] | undefined) ?? [];
    if (inline !== undefined) values.push(inline);
    else if (kind === 'one') {
      if (i + 1 >= args.length || args[i + 1].startsWith('--')) throw new CliError(`${a} needs a value\n\n${usage}`);
      values.push(args[++i]);
    } else {
      const start = values.length;
      while (i + 1 < args.length && !args[i + 1].startsWith('--')) values.push(args[++i]);
      if (values.length === start) throw new CliError(`${a} needs at least one value\n\n${usage}`);
    }
    if (kind === 'one' && values.length > 1) throw new CliError(`${a} given twice\n\n${usage}`);
    flags.set(a, values);
  }
  return { positional, flags };
}

export const values = (p: ParsedArgs, flag: string): string[] => {
  const v = p.flags.get(flag);
  return Array.isArray(v) ? v : [];
};
export const value = (p: ParsedArgs, flag: string): string | undefined => values(p, flag)[0];
export const has = (p: ParsedArgs, flag: string): boolean => p.flags.has(flag);
