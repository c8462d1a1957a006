import { CompletionItem, CompletionItemKind, CompletionList, Position } from 'vscode-languageserver';
import { Catalog, CompletionEntry, LineIndex, completeActions } from '../core';
import { Analysis } from '../workspace/analysis';

/** The command that opens the suggestions again once a service prefix is inserted. */
export const TRIGGER_SUGGEST = 'editor.action.triggerSuggest';

export function toCompletionItem(e: CompletionEntry, positionAt: (offset: number) => Position): CompletionItem {
  const range = { start: positionAt(e.replaceStart), end: positionAt(e.replaceEnd) };
  const item: CompletionItem = {
    label: e.label,
    kind: e.kind === 'service' ? CompletionItemKind.Module : CompletionItemKind.Function,
    detail: e.detail,
    sortText: e.sortText,
    // the edit replaces the whole string typed so far (`s3:GetObj`), so the editor filters on the full name
    filterText: e.insertText,
    textEdit: { range, newText: e.insertText },
  };
  if (e.unused) item.labelDetails = { description: 'unused' };
  if (e.kind === 'service') item.command = { title: 'Suggest actions', command: TRIGGER_SUGGEST };
  return item;
}

/**
 * IAM action names for the string under the cursor in an Action/NotAction value. `analysis` is an
 * analysis of the document (any recent version): only its universe and unused set are used.
 */
export function completion(text: string, offset: number, catalog: Catalog, analysis?: Analysis, positionAt?: (offset: number) => Position): CompletionList {
  const ctx = analysis?.context;
  const entries = completeActions({ text, offset, catalog, universe: ctx?.universe, unused: ctx?.unused?.indexes });
  if (entries.length === 0) return { isIncomplete: false, items: [] };
  const lines = positionAt ? undefined : new LineIndex(text);
  const at = positionAt ?? ((o: number) => lines!.position(o));
  return { isIncomplete: false, items: entries.map((e) => toCompletionItem(e, at)) };
}
