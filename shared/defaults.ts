/**
 * The defaults of the settings: plain values, importable without the LSP library (shared/protocol.ts
 * re-exports them), so the CLI bundle does not carry vscode-languageserver-protocol.
 */
import type { Settings } from './protocol';

export const DEFAULT_SETTINGS: Settings = {
  enable: true,
  findings: [],
  include: [],
  exclude: [],
  severity: { unusedAction: 'warning', unusedWildcard: 'warning', unknownAction: 'warning' },
  live: { enabled: false, refreshIntervalMinutes: 60 },
};

/** Findings globs used when neither iam-refiner.json nor the settings name any. */
export const DEFAULT_FINDINGS_GLOBS = ['**/*findings*.json'];
