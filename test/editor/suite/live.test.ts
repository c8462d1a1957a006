/**
 * Live mode in the real editor (extension host): the fake Access Analyzer on 127.0.0.1, its URL in
 * the machine-scoped iamRefiner.live.endpoint (user settings), diagnostics from live findings,
 * the refresh command (also when AWS refuses: the cached findings stay), the comparison with AWS's
 * recommendation in a diff view, and saving the findings to the workspace.
 *
 * Credentials: the language server is a child process of the extension host and inherits its
 * environment when it starts. The launcher should pass AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 * (any fake values) and AWS_EC2_METADATA_DISABLED=true; when the environment differs from that,
 * this suite sets it and restarts the language server (IAM Refiner: Restart Language Server).
 * The workspace is left as found: settings, iam-refiner.json and files are restored afterwards.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FakeAccessAnalyzer, FakeSeed } from '../../support/fakeAccessAnalyzer';
import type { LiveRefreshResult } from '../../../shared/protocol';

// the compiled fake (out/test/support/fakeAccessAnalyzer.js), next to this compiled file's parent
const { startFakeAccessAnalyzer } = require(path.join(__dirname, '..', '..', 'support', 'fakeAccessAnalyzer.js')) as typeof import('../../support/fakeAccessAnalyzer');

const EXTENSION_ID = 'iam-policy-refiner.iam-policy-refiner';
const REGION = 'us-east-1';
const ANALYZER = `arn:aws:access-analyzer:${REGION}:123456789012:analyzer/unused-access`;
const ROLE = 'arn:aws:iam::123456789012:role/live-check';
const CHECK_DIR = 'live-check';
const POLICY_FILE = 'queue-policy.json';
/** What the language server's environment should hold (fake keys: the fake does not check them). */
const TEST_ENV: Record<string, string | undefined> = {
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID || 'AKIAEDITORLIVETEST01',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY || 'editorLiveTestSecret/NotARealKey+0123456',
  AWS_EC2_METADATA_DISABLED: 'true',
  // a profile would take precedence over the keys above
  AWS_PROFILE: undefined,
  AWS_DEFAULT_PROFILE: undefined,
};

const POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:DeleteQueue'], Resource: '*' }],
};

function seed(): FakeSeed {
  return {
    region: REGION,
    analyzers: [{ arn: ANALYZER, type: 'ACCOUNT_UNUSED_ACCESS', unusedAccessAge: 90 }],
    findings: {
      'f-live': { resource: ROLE, details: [{ unusedPermissionDetails: { serviceNamespace: 'sqs', actions: [{ action: 'DeleteQueue', lastAccessed: '2024-02-01T00:00:00Z' }] } }] },
    },
    recommendations: {
      'f-live': {
        steps: [
          {
            recommendedAction: 'CREATE_POLICY',
            existingPolicyId: 'queue-policy',
            recommendedPolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:sendmessage', 'sqs:getqueueurl'], Resource: '*' }] }),
          },
        ],
      },
    },
  };
}

const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? d.code.value : d.code);
const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'iam-refiner');

/** Resolves with the document's IAM Refiner diagnostics once `test` holds (now or after a change); no fixed sleeps. */
function waitForDiagnostics(uri: vscode.Uri, test: (ds: vscode.Diagnostic[]) => boolean, what: string, timeoutMs = 30_000): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    let sub: vscode.Disposable | undefined;
    const timer = setTimeout(() => {
      sub?.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; diagnostics: ${JSON.stringify(ours(uri).map((d) => d.message))}`));
    }, timeoutMs);
    const check = () => {
      const ds = ours(uri);
      if (!test(ds)) return;
      clearTimeout(timer);
      sub?.dispose();
      resolve(ds);
    };
    sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    check();
  });
}

const isDeleteQueueUnused = (ds: vscode.Diagnostic[]) => ds.some((d) => codeOf(d) === 'unused-action' && d.message.includes('sqs:DeleteQueue'));

describe('live findings from Access Analyzer', function () {
  this.timeout(90_000);
  let fake: FakeAccessAnalyzer;
  let root: string;
  let policyUri: vscode.Uri;
  let configBackup: string | undefined;
  const savedEnv: Record<string, string | undefined> = {};
  const settingsToReset: string[] = [];

  before(async function () {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the editor suite needs a workspace folder');
    root = folder.uri.fsPath;

    // the language server inherits the extension host's environment when it starts
    let envChanged = false;
    for (const [k, v] of Object.entries(TEST_ENV)) {
      savedEnv[k] = process.env[k];
      if (process.env[k] === v) continue;
      envChanged = true;
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} not found`);
    if (envChanged && ext.isActive) await vscode.commands.executeCommand('iamRefiner.restartServer');

    fake = await startFakeAccessAnalyzer(seed());

    // this suite's own binding: live-check/*.json belongs to ROLE (whatever iam-refiner.json held is restored after)
    const configFile = path.join(root, 'iam-refiner.json');
    configBackup = fs.existsSync(configFile) ? fs.readFileSync(configFile, 'utf8') : undefined;
    fs.mkdirSync(path.join(root, CHECK_DIR), { recursive: true });
    fs.writeFileSync(path.join(root, CHECK_DIR, POLICY_FILE), JSON.stringify(POLICY, null, 2) + '\n');
    fs.writeFileSync(configFile, JSON.stringify({ roles: { [`${CHECK_DIR}/*.json`]: [ROLE] } }, null, 2) + '\n');

    // the endpoint only counts from user (machine) settings; set it before live mode goes on
    const cfg = () => vscode.workspace.getConfiguration('iamRefiner');
    for (const [key, value] of [
      ['live.endpoint', fake.url],
      ['live.region', REGION],
      ['live.refreshIntervalMinutes', 0],
      ['live.enabled', true],
    ] as const) {
      await cfg().update(key, value, vscode.ConfigurationTarget.Global);
      settingsToReset.push(key);
    }
    assert.equal(cfg().inspect('live.endpoint')?.globalValue, fake.url);

    policyUri = vscode.Uri.file(path.join(root, CHECK_DIR, POLICY_FILE));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(policyUri));
    await ext.activate();
  });

  after(async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const key of settingsToReset.reverse()) await vscode.workspace.getConfiguration('iamRefiner').update(key, undefined, vscode.ConfigurationTarget.Global);
    if (root) {
      const configFile = path.join(root, 'iam-refiner.json');
      if (configBackup !== undefined) fs.writeFileSync(configFile, configBackup);
      else fs.rmSync(configFile, { force: true });
      fs.rmSync(path.join(root, CHECK_DIR), { recursive: true, force: true });
    }
    await fake?.close();
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('shows diagnostics from live findings', async () => {
    const ds = await waitForDiagnostics(policyUri, isDeleteQueueUnused, 'sqs:DeleteQueue reported unused from the live finding');
    assert.ok(!ds.some((d) => d.message.includes('sqs:SendMessage')), 'sqs:SendMessage is used');
    assert.ok(fake.count('GetFindingV2') >= 1);
    // only the bound role was asked for
    const list = fake.requests.find((r) => r.operation === 'ListFindingsV2');
    assert.deepEqual(list?.body.filter.resource, { eq: [ROLE] });
  });

  it('refreshes on command, and keeps the cached findings when AWS refuses', async () => {
    const listed = fake.count('ListFindingsV2');
    const ok = await vscode.commands.executeCommand<LiveRefreshResult>('iamRefiner.refreshLiveFindings');
    assert.ok(ok, 'the refresh command returns its result');
    assert.equal(ok.folders.length, 1, JSON.stringify(ok));
    assert.equal(ok.folders[0].ok, true, ok.folders[0].message);
    assert.equal(ok.folders[0].message, '1 finding from Access Analyzer (us-east-1)');
    assert.equal(fake.count('ListFindingsV2'), listed + 1);

    fake.faults.expiredToken = true;
    try {
      const failed = await vscode.commands.executeCommand<LiveRefreshResult>('iamRefiner.refreshLiveFindings');
      assert.equal(failed?.folders[0].ok, false);
      assert.match(failed!.folders[0].message, /the AWS session token has expired: run `aws sso login/);
      assert.match(failed!.folders[0].message, /using findings from just now\)$/);
    } finally {
      fake.faults.expiredToken = false;
    }
    assert.ok(isDeleteQueueUnused(ours(policyUri)), 'the cached findings are still in use');
  });

  it("compares with AWS's recommendation in a diff view", async () => {
    const r = await vscode.commands.executeCommand<{ item: { onlyLocal: string[]; onlyAws: string[]; summary: string }; left: vscode.Uri; right: vscode.Uri } | undefined>(
      'iamRefiner.compareWithAwsRecommendation',
      policyUri,
    );
    assert.ok(r, 'the compare command returns what it showed');
    assert.deepEqual(r.item.onlyLocal, []);
    assert.deepEqual(r.item.onlyAws, ['sqs:GetQueueUrl']);
    assert.equal(r.left.scheme, 'iam-refiner-aws');
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputTextDiff, `the active tab is a diff: ${tab?.label}`);
    assert.equal(tab.input.original.toString(), r.left.toString());
    assert.equal(tab.input.modified.toString(), r.right.toString());
    const aws = (await vscode.workspace.openTextDocument(r.left)).getText();
    assert.ok(aws.includes('sqs:getqueueurl'), aws);
    const local = JSON.parse((await vscode.workspace.openTextDocument(r.right)).getText());
    assert.deepEqual(local.Statement[0].Action, ['sqs:SendMessage']);
    assert.equal(fake.count('GenerateFindingRecommendation'), 1);
  });

  it('saves the live findings to a workspace file', async () => {
    const target = vscode.Uri.file(path.join(root, CHECK_DIR, 'saved', 'access-analyzer.json'));
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>('iamRefiner.saveLiveFindings', target);
    assert.equal(written?.toString(), target.toString());
    const saved = JSON.parse(fs.readFileSync(target.fsPath, 'utf8'));
    assert.deepEqual(
      saved.findings.map((f: { id: string; resource: string }) => [f.id, f.resource]),
      [['f-live', ROLE]],
    );
    assert.ok(!JSON.stringify(saved).includes(TEST_ENV.AWS_SECRET_ACCESS_KEY!), 'no credential in the saved file');
  });
});
