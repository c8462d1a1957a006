import { createTwoFilesPatch } from 'diff';

/**
 * A unified diff of two texts, as `diff -u` prints it (jsdiff's patch, without its `===` banner):
 * a change of the final newline shows as a hunk with `\ No newline at end of file`, a change of
 * line ending as `-`/`+` lines (see `lineEndingNote` for saying so in words). Empty when equal.
 */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string, context = 3): string {
  if (a === b) return '';
  const patch = createTwoFilesPatch(nameA, nameB, a, b, undefined, undefined, { context });
  // "Index"/"====" banner lines and the tab jsdiff puts after a file name with no header
  return patch
    .replace(/^=+\n/, '')
    .replace(/^(---|\+\+\+) (.*)\t$/gm, '$1 $2');
}

const endings = (s: string) => ({ crlf: (s.match(/\r\n/g) ?? []).length, lf: (s.match(/(?<!\r)\n/g) ?? []).length, cr: (s.match(/\r(?!\n)/g) ?? []).length });

function endingName(s: string): string {
  const e = endings(s);
  const kinds = [e.crlf && 'CRLF', e.lf && 'LF', e.cr && 'CR'].filter(Boolean) as string[];
  return kinds.length === 0 ? 'no line break' : kinds.length === 1 ? kinds[0] : `mixed ${kinds.join('/')}`;
}

/**
 * What a diff of line endings or of the final newline means, in words: those changes print as
 * lines that look alike. Undefined when no line ending and no final newline changes.
 */
export function lineEndingNote(a: string, b: string): string | undefined {
  if (a === b) return undefined;
  const notes: string[] = [];
  const ea = endingName(a);
  const eb = endingName(b);
  if (ea !== eb) notes.push(`line endings change from ${ea} to ${eb}`);
  const finalA = /\r?\n$|\r$/.test(a);
  const finalB = /\r?\n$|\r$/.test(b);
  if (finalA !== finalB) notes.push(finalA ? 'the final newline is removed' : 'a final newline is added');
  if (notes.length === 0) return undefined;
  const norm = (s: string) => s.replace(/\r\n?/g, '\n').replace(/\n$/, '');
  return `${notes.join('; ')}${norm(a) === norm(b) ? ' (nothing else changes)' : ''}`;
}
