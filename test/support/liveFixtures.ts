/**
 * What the live-mode tests (test/unit/live.test.ts: the Access Analyzer client and the CLI;
 * test/unit/lspLive.test.ts: the language server) share: an AWS environment isolated from the
 * machine's, the example as Access Analyzer finding details, and AWS's recommended policy for it.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Universe } from '../../server/src/core';
import { defaultCatalog } from '../../server/src/workspace/catalogFile';
import { EXAMPLE, EXPECTED_S3 } from './example';

/**
 * Leaves no AWS setting of the machine in reach (profiles, files, instance roles): removes every
 * AWS_* variable, makes `home` the home folder with the shared config and credentials files in it
 * (not written), and turns off the instance metadata service. Child processes inherit this.
 * Returns what puts the environment back as it was.
 */
export function isolateAwsEnvironment(home: string): () => void {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  process.env.HOME = home;
  process.env.USERPROFILE = home;
  process.env.AWS_CONFIG_FILE = path.join(home, 'aws-config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(home, 'aws-credentials');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  return () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  };
}

/** The lastAccessed date of the example's unused actions as Access Analyzer reports them. */
export const EXAMPLE_LAST_ACCESSED = '2024-01-15T08:30:00Z';

/** One unusedPermissionDetails entry of a finding (get-finding-v2): a whole service when `actions` is left out. */
export const upd = (serviceNamespace: string, actions?: string[], lastAccessed?: string) => ({
  unusedPermissionDetails: { serviceNamespace, ...(actions ? { actions: actions.map((action) => ({ action, lastAccessed })) } : {}) },
});

/** The shared example's findings (examples/findings.json), as Access Analyzer details of one role. */
export function exampleDetails() {
  const list = JSON.parse(readFileSync(path.join(EXAMPLE, 'findings.json'), 'utf8')) as { serviceNamespace: string; actions: string[] }[];
  return list.map((d) => upd(d.serviceNamespace, d.actions, EXAMPLE_LAST_ACCESSED));
}

/** AWS's recommended policy for the example: expanded, lower-cased, one S3 action different from the local refinement. */
export function awsPolicyForExample(): string {
  const u = new Universe(defaultCatalog());
  const names = (patterns: string[]) => patterns.flatMap((p) => u.expand(p).map((i) => u.names[i].toLowerCase()));
  const s3 = names([...EXPECTED_S3, 's3:List*']).filter((n) => n !== 's3:getobjectacl');
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: names(['lambda:Invoke*']), Resource: 'arn:aws:lambda:us-east-1:123456789012:function:my-lambda' },
      { Effect: 'Allow', Action: [...s3, 's3:getbucketacl'], Resource: '*' },
    ],
  });
}
