import { Hover, MarkupKind } from 'vscode-languageserver';
import { ActionEntry, Catalog, StatementModel, isWildcard, roleName, splitFullName } from '../core';
import { plural } from '../workspace/format';
import { Analysis, describeBinding, linesOf } from '../workspace/analysis';
import { codeDescription, rangeOf } from './diagnostics';
import type { DiagnosticCode } from '../../../shared/protocol';

/** Names shown before a list collapses into "… and N more". */
const LIST_LIMIT = 12;

function list(names: string[], note?: (n: string) => string): string {
  const shown = names.slice(0, LIST_LIMIT).map((n) => '`' + n + '`' + (note ? note(n) : ''));
  const more = names.length - shown.length;
  return shown.join(', ') + (more > 0 ? `, … and ${more} more` : '');
}

function entryAt(a: Analysis, offset: number): { st: StatementModel; entry: ActionEntry } | undefined {
  for (const policy of a.parsed?.policies ?? []) {
    for (const st of policy.statements) {
      for (const entry of st.entries) {
        if (offset >= entry.span.offset && offset < entry.span.offset + entry.span.length) return { st, entry };
      }
    }
  }
  return undefined;
}

function levels(catalog: Catalog, names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) {
    const l = catalog.accessLevel(n) ?? 'unknown';
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([l, c]) => `${l} ${c}`).join(', ');
}

/** What an action or pattern expands to, which of those are unused and since when, the service's reference. */
export function hover(a: Analysis, offset: number, catalog: Catalog): Hover | null {
  if (a.kind !== 'policy' || !a.context) return null;
  const hit = entryAt(a, offset);
  if (!hit) return null;
  const { st, entry } = hit;
  const u = a.context.universe;
  const allowed = u.expand(entry.value);
  const names = allowed.map((i) => u.nameAt(i));
  const unused = a.context.unused;
  const lines: string[] = [];
  const services = [...new Set(names.map((n) => splitFullName(n)[0]))];
  const svc = services.length === 1 ? services[0] : undefined;
  const docs = svc ? catalog.docsUrl(svc) : undefined;
  const svcLabel = svc ? catalog.serviceName(svc) ?? svc : services.length ? `${services.length} services` : undefined;
  const verb = st.key === 'NotAction' ? 'excludes' : 'allows';
  const isPattern = isWildcard(entry.value);
  if (names.length === 0) {
    lines.push(`**\`${entry.value}\`** matches no action in the catalog.`);
  } else if (!isPattern && names.length === 1) {
    const level = catalog.accessLevel(names[0]);
    lines.push(`**\`${names[0]}\`**${level ? ` — access level: ${level}` : catalog.has(names[0]) ? '' : ' — not in the catalog (named by the findings or the policy)'}${svcLabel ? ` · ${svcLabel}` : ''}`);
  } else {
    lines.push(`**\`${entry.value}\`** ${verb} ${plural(names.length, 'action')}${svcLabel ? ` of ${svcLabel}` : ''} — ${levels(catalog, names)}`);
  }
  if (docs) lines.push('', `[${svcLabel} actions reference](${docs})`);
  const dates = (i: number) => {
    const info = unused?.info.get(i);
    const d = [...(info?.lastAccessed.entries() ?? [])].filter(([, v]) => !!v).map(([role, v]) => `${v!.slice(0, 10)}${role && (unused?.roles.length ?? 0) > 1 ? ` by ${roleName(role)}` : ''}`);
    return d.length ? ` (last used ${d.sort().reverse()[0]})` : '';
  };
  if (unused && names.length) {
    const unusedIdx = allowed.filter((i) => unused.indexes.has(i));
    const who = unused.roles.length ? ` for ${unused.roles.map(roleName).join(' and ')}` : '';
    if (unusedIdx.length === 0) lines.push('', `No unused action${who}.`);
    else if (!isPattern && names.length === 1) lines.push('', `**Unused**${who}: ${dates(unusedIdx[0]).trim().replace(/^\((.*)\)$/, '$1') || 'not used in the tracking period'}.`);
    else {
      const byIndex = new Map(unusedIdx.map((i) => [u.nameAt(i), i]));
      lines.push('', `**${unusedIdx.length} unused**${who}: ${list(unusedIdx.map((i) => u.nameAt(i)), (n) => dates(byIndex.get(n)!))}`);
      const used = allowed.filter((i) => !unused.indexes.has(i)).map((i) => u.nameAt(i));
      if (used.length) lines.push('', `${used.length} used: ${list(used)}`);
    }
  } else if (names.length > 1) {
    lines.push('', list(names));
  }
  if (st.effect === 'Deny') lines.push('', '_Deny statement: never refined (removing from a Deny grants more)._');
  lines.push('', `_Findings: ${describeBinding(a)}${unused?.evidence ? ` [${unused.evidence}]` : ''} · catalog ${catalog.version} (${catalog.source}), data of ${catalog.date}_`);
  if (a.catalogStaleness && isPattern) lines.push('', `⚠ ${a.catalogStaleness.message.replace(/^the/, 'The')}.`);
  // what each warning on this entry means (a document with many diagnostics sends them without this link)
  const links = [...new Set(a.problems.filter((p) => p.offset === entry.span.offset && p.length === entry.span.length).map((p) => p.code))].flatMap((code) => {
    const cd = codeDescription(code as DiagnosticCode);
    return cd ? [`[About ${code}](${cd.href})`] : [];
  });
  if (links.length) lines.push('', links.join(' · '));
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: rangeOf(linesOf(a), entry.span.offset, entry.span.length) };
}
