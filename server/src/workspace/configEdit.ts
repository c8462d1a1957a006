import { EditResult, FormattingOptions, applyEdits, modify, parseTree, findNodeAtLocation } from 'jsonc-parser';

/** The file's own indentation and line ends, so an inserted binding looks like the rest. */
export function formattingOf(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = /\n([ \t]+)\S/.exec(text);
  if (m && m[1].startsWith('\t')) return { insertSpaces: false, tabSize: 4, eol };
  return { insertSpaces: true, tabSize: m ? Math.min(m[1].length, 8) : 2, eol };
}

/**
 * Edits that bind a policy file to a role in iam-refiner.json (`"roles": {relPath: [role]}`),
 * keeping the rest of the file (comments, formatting) as it is. An existing binding of the same
 * key gains the role; the text may be empty (a new file).
 */
export function bindingEdits(text: string, relPath: string, role: string): EditResult {
  const formattingOptions = formattingOf(text);
  if (!text.trim()) {
    const created = applyEdits('', modify('', ['roles', relPath], [role], { formattingOptions }));
    return [{ offset: 0, length: text.length, content: created + formattingOptions.eol! }];
  }
  const root = parseTree(text, [], { allowTrailingComma: true });
  const existing = root ? findNodeAtLocation(root, ['roles', relPath]) : undefined;
  if (existing?.type === 'array') {
    const roles = (existing.children ?? []).map((c) => c.value);
    if (roles.includes(role)) return [];
    return modify(text, ['roles', relPath, roles.length], role, { formattingOptions, isArrayInsertion: true });
  }
  return modify(text, ['roles', relPath], [role], { formattingOptions });
}
