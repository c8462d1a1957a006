import type { Log, ReportingDescriptor, Result } from 'sarif';
import { Catalog, CatalogStaleness, Problem, README_URL } from '../core';

export interface Located {
  file: string;
  /** relative path, `/`-separated */
  rel: string;
  problem: Problem;
  start: { line: number; column: number };
  end: { line: number; column: number };
}

const RULES: Record<string, string> = {
  'unused-action': 'An explicit action (or a pattern) that allows only actions the role never used.',
  'unused-wildcard': 'A wildcard that allows actions the role never used: refine it to its least-general form.',
  'unknown-action': 'A pattern that matches no action in the catalog: a typo or a retired action.',
  'not-judged': 'An action line changed after the findings were produced: the findings did not judge it, so it is neither flagged nor removed.',
  'invalid-policy': 'The policy document is malformed.',
  'invalid-json': 'The file is not valid JSON.',
};

/** SARIF 2.1.0, so that code-scanning tools show the problems. */
const LEVEL: Record<Problem['severity'], Result.level> = { error: 'error', warning: 'warning', information: 'note' };

/** The run's catalog properties: which catalog, of when, and whether the findings show it to be stale. */
export function catalogProperties(catalog: Catalog, stale?: CatalogStaleness): Record<string, string> {
  return { catalog: catalog.describe(), catalogSource: catalog.source, catalogVersion: catalog.version, catalogDate: catalog.date, ...(stale ? { catalogStale: stale.message } : {}) };
}

export function toSarif(items: Located[], version: string, catalog: Record<string, string>): Log {
  const ruleIds = Object.keys(RULES);
  const base = README_URL.replace(/#.*/, '');
  const rules: ReportingDescriptor[] = ruleIds.map((id) => ({ id, shortDescription: { text: RULES[id] }, helpUri: `${base}#${id}` }));
  const results: Result[] = items.map((it) => ({
    ruleId: it.problem.code,
    ruleIndex: ruleIds.indexOf(it.problem.code),
    level: LEVEL[it.problem.severity],
    message: { text: it.problem.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: it.rel },
          region: { startLine: it.start.line, startColumn: it.start.column, endLine: it.end.line, endColumn: it.end.column },
        },
      },
    ],
    ...(it.problem.unused ? { properties: { unusedActions: it.problem.unused } } : {}),
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'iam-refine',
            version,
            informationUri: base,
            properties: catalog,
            rules,
          },
        },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}
