// Tiny `--name value` / `--flag` argument parser shared by the editor-test scripts.
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * @param {string[]} argv  process.argv.slice(2)
 * @param {{ string?: string[], boolean?: string[], paths?: string[] }} spec
 *   paths: string options resolved to absolute paths (relative to cwd)
 */
export function parseArgs(argv, spec) {
  const strings = new Set(spec.string || []);
  const booleans = new Set(spec.boolean || []);
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument: ${a}`);
    let [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (booleans.has(name)) {
      out[name] = inline === undefined ? true : !/^(0|false|no)$/i.test(inline);
    } else if (strings.has(name)) {
      const v = inline !== undefined ? inline : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      out[name] = v;
    } else {
      throw new UsageError(`unknown option: --${name}`);
    }
  }
  for (const p of spec.paths || []) if (out[p] !== undefined) out[p] = path.resolve(out[p]);
  return out;
}

export class UsageError extends Error {}

/**
 * The options launch.mjs and electron.mjs both need: --tests, and --extension or --vsix; and
 * every option of `pathKeys` that is given names something that exists.
 */
export function requireSuiteArgs(args, pathKeys) {
  if (!args.tests) throw new UsageError('--tests is required');
  if (!args.extension && !args.vsix) throw new UsageError('--extension or --vsix is required');
  requireExisting(args, pathKeys);
}

/** Every option of `keys` that is given names a file or folder that exists. */
export function requireExisting(args, keys) {
  for (const k of keys) {
    if (args[k] && !existsSync(args[k])) throw new UsageError(`--${k}: not found: ${args[k]}`);
  }
}

/** The whole run's time limit in ms: --timeout seconds, else EDITOR_TEST_TIMEOUT, else 300 (not checked). */
export function runTimeoutMs(args) {
  return Math.round(Number(args.timeout || process.env.EDITOR_TEST_TIMEOUT || 300) * 1000);
}
