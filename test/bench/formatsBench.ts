/**
 * Benchmarks of the host formats (issue 9): `check` over 1,000 Terraform files (a CLI process), and
 * generated Terraform / YAML texts of a given size for the language server's edit benchmark.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../support/example';

const LAMBDA = ['lambda:AddPermission', 'lambda:GetFunction', 'lambda:Invoke*', 'lambda:DeleteFunction'];

/** A .tf of about `bytes` bytes: role policies with jsonencode statements, one entry a line. */
export function terraformText(bytes: number): string {
  let out = '# generated for the benchmark\n';
  for (let i = 0; out.length < bytes; i++) {
    out += `resource "aws_iam_role_policy" "p${i}" {\n  name = "p${i}"\n  role = "app-${i}"\n  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [\n      {\n        Sid    = "Stmt${i}"\n        Effect = "Allow"\n        Action = [\n${LAMBDA.map((a) => `          "${a}",\n`).join('')}        ]\n        Resource = "*"\n      },\n      {\n        Effect   = "Allow"\n        Action   = ["s3:Get*", "s3:List*"]\n        Resource = "arn:aws:s3:::bucket-${i}/*"\n      },\n    ]\n  })\n}\n\n`;
  }
  return out;
}

/** A CloudFormation YAML template of about `bytes` bytes: AWS::IAM::Policy resources. */
export function yamlText(bytes: number): string {
  let out = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n";
  for (let i = 0; out.length < bytes; i++) {
    out += `  Policy${i}:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: p${i}\n      Roles: [!Ref Role${i}]\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Sid: Stmt${i}\n            Effect: Allow\n            Action:\n${LAMBDA.map((a) => `              - '${a}'\n`).join('')}            Resource: '*'\n          - Effect: Allow\n            Action: ['s3:Get*', 's3:List*']\n            Resource: !Sub 'arn:aws:s3:::bucket-${i}/*'\n`;
  }
  return out;
}

export interface CheckRun {
  samples: number[];
  files: number;
  problems: number;
  status: number | null;
}

/** `iam-refine check DIR` over `n` Terraform files of a few KB each, wall clock of the whole process. */
export function checkTerraform(n: number, runs: number, opts: { moduleBound?: boolean } = {}): CheckRun {
  const dir = mkdtempSync(path.join(tmpdir(), 'iam-tf-bench-'));
  try {
    for (let i = 0; i < n; i++) {
      const sub = path.join(dir, `module-${Math.floor(i / 50)}`);
      mkdirSync(sub, { recursive: true });
      // moduleBound: every policy names a role declared in another file of its directory (roles.tf)
      const text = terraformText(2 * 1024);
      writeFileSync(path.join(sub, `policy-${i}.tf`), opts.moduleBound ? text.replace(/role = "app-\d+"/g, 'role = aws_iam_role.app.id') : text);
    }
    if (opts.moduleBound) for (let m = 0; m * 50 < n; m++) writeFileSync(path.join(dir, `module-${m}`, 'roles.tf'), 'resource "aws_iam_role" "app" {\n  name = "Deployer"\n}\n');
    writeFileSync(path.join(dir, 'findings.json'), readFileSync(path.join(ROOT, 'examples', 'findings.json'), 'utf8'));
    const args = [path.join(ROOT, 'bin', 'iam-refine.js'), 'check', '.', '--format', 'json'];
    const samples: number[] = [];
    let last = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      last = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
      samples.push(performance.now() - t0);
    }
    const problems = last.status === 1 ? (JSON.parse(last.stdout) as unknown[]).length : 0;
    return { samples, files: n, problems, status: last.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
