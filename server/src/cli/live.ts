/**
 * `iam-refine fetch` and `iam-refine recommend`: the live mode on the command line. Credentials come
 * from the AWS SDK's default chain only (environment, shared files, SSO, process credentials);
 * none is ever printed or written.
 */
import { basename, resolve } from 'node:path';
import { NothingLeftError, Universe, findingActionNames, parseFindings, parsePolicyDocument, refineDocument, resolveUnused } from '../core';
import { defaultCatalog } from '../workspace/catalogFile';
import {
  AnalyzerInfo, ErrorContext, FetchResult, Recommendation, comparePolicies, createClient, fetchFindings, findUnusedAccessAnalyzer,
  findingsFileText, friendlyError, isAnalyzerArn, isPrincipalArn, policyActionStrings, regionOfAnalyzerArn, requestRecommendation, toCoreFindings,
} from '../live/accessAnalyzer';
import { EMPTY_POLICY, PolicyAdvice, adviceForFile, groupSteps, listNames, policyName, prettyPolicy } from '../live/recommendation';
import { plural } from '../workspace/format';
import { AccessAdvisorReport, advisorFileText, createIamClient, fetchAdvisorReports } from '../live/accessAdvisor';
import { CliError, CliIO, EXIT_ERROR, EXIT_OK } from './io';
import { FlagSpec, ParsedArgs, has, parseArgs, value, values } from './args';
import { readText, writeAtomic } from './files';

export const FETCH_USAGE = `Usage: iam-refine fetch [--source access-analyzer|access-advisor] [--role ARN...] [--analyzer ARN] [--region R] [--profile P] [--endpoint URL] --out FILE

Downloads the active UnusedPermission findings of IAM Access Analyzer (every page, every finding
detail) into FILE, as {"findings": [get-finding-v2 responses]}: the format refine --findings reads.
FILE is replaced atomically; "-" writes to standard output.

  --role ARN...     only these roles (repeatable, or comma-separated); default: every role
  --analyzer ARN    the analyzer; default: the ACTIVE ACCOUNT_UNUSED_ACCESS analyzer, else the
                    ORGANIZATION_UNUSED_ACCESS one
  --region R        AWS region; default: the analyzer ARN's, else AWS_REGION or the profile's
  --profile P       a profile of ~/.aws/config; default: AWS_PROFILE, else "default"
  --endpoint URL    send requests to this endpoint instead of AWS's (https, or http on localhost)
  --out FILE        where to write the findings
  --concurrency N   findings read at once (default 4, at most 16)
  --source S        access-analyzer (default), or access-advisor: IAM Access Advisor's last-accessed
                    report of each --role (GenerateServiceLastAccessedDetails at ACTION_LEVEL, polled
                    until done; free, no analyzer needed), written as get-service-last-accessed-details
                    prints it, with the role's "Arn" added
  --poll-interval SECONDS, --timeout SECONDS   access-advisor: pause between polls (default 2),
                    give up after (default 180)

Credentials: the AWS SDK's default chain (environment, shared config and credentials files, SSO,
process credentials). Permissions: access-analyzer:ListAnalyzers, access-analyzer:ListFindings,
access-analyzer:GetFinding; for access-advisor, iam:GenerateServiceLastAccessedDetails and
iam:GetServiceLastAccessedDetails.`;

export const RECOMMEND_USAGE = `Usage: iam-refine recommend --role ARN --policy FILE [--policy-id ID] [--analyzer ARN] [--region R]
                           [--profile P] [--endpoint URL] [--out FILE] [--poll-interval SECONDS] [--timeout SECONDS]

Asks IAM Access Analyzer for its own recommendation for the role's unused permissions and prints it
for the policy in FILE, beside the local refinement of FILE, with the actions where they differ.

  --role ARN              the role the policy is attached to
  --policy FILE           the policy, as in the repository
  --policy-id ID          which of the role's policies FILE is (managed policy ARN or name, or the
                          inline policy name); needed when the role has several and FILE's name is
                          not the policy's
  --out FILE              also write AWS's recommended policy to FILE (atomically)
  --poll-interval SECONDS pause between polls while AWS works (default 2)
  --timeout SECONDS       give up after this long (default 180)
  --analyzer, --region, --profile, --endpoint: as for fetch

Permissions: those of fetch, and access-analyzer:GenerateFindingRecommendation and
access-analyzer:GetFindingRecommendation.`;

const CONNECTION: FlagSpec = { '--analyzer': 'one', '--region': 'one', '--profile': 'one', '--endpoint': 'one', '--help': 'bool', '-h': 'bool' };
const FETCH_FLAGS: FlagSpec = { ...CONNECTION, '--role': 'many', '--out': 'one', '--concurrency': 'one', '--source': 'one', '--poll-interval': 'one', '--timeout': 'one' };
const RECOMMEND_FLAGS: FlagSpec = { ...CONNECTION, '--role': 'one', '--policy': 'one', '--policy-id': 'one', '--out': 'one', '--poll-interval': 'one', '--timeout': 'one' };

interface Connection {
  region?: string;
  profile?: string;
  endpoint?: string;
  analyzerArn?: string;
  ctx: ErrorContext;
}

function connection(p: ParsedArgs, io: CliIO, usage: string): Connection {
  const analyzerArn = value(p, '--analyzer');
  if (analyzerArn !== undefined && !isAnalyzerArn(analyzerArn)) {
    throw new CliError(`--analyzer expects an analyzer ARN (arn:aws:access-analyzer:REGION:ACCOUNT:analyzer/NAME), not "${analyzerArn}"\n\n${usage}`);
  }
  const region = value(p, '--region') ?? (analyzerArn ? regionOfAnalyzerArn(analyzerArn) : undefined);
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new CliError(`--region expects a region such as us-east-1, not "${region}"`);
  const profile = value(p, '--profile');
  const endpoint = value(p, '--endpoint');
  return {
    region,
    profile,
    endpoint,
    analyzerArn,
    ctx: { region: region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION, profile, endpoint, analyzerArn, surface: 'cli', env: io.env },
  };
}

function rolesOf(p: ParsedArgs, usage: string): string[] {
  const roles = values(p, '--role')
    .flatMap((r) => r.split(','))
    .map((r) => r.trim())
    .filter(Boolean);
  for (const r of roles) {
    if (!isPrincipalArn(r)) throw new CliError(`--role expects a role ARN (arn:aws:iam::ACCOUNT:role/NAME), not "${r}"\n\n${usage}`);
  }
  return [...new Set(roles)];
}

function seconds(p: ParsedArgs, flag: string, fallback: number): number {
  const v = value(p, flag);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} expects a number of seconds, not "${v}"`);
  return n * 1000;
}

/** The SDK warns on stderr that future versions need Node 22; the CLI's users cannot act on that. */
function quietSdk(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * Runs a live command: parses its flags, answers --help with its usage, refuses positional
 * arguments, reads the connection flags, then runs `body`. CLI errors and AWS errors become one
 * line `iam-refine: …` and exit 2.
 */
async function liveCommand(
  args: string[],
  io: CliIO,
  flags: FlagSpec,
  usage: string,
  body: (p: ParsedArgs, conn: Connection) => Promise<number>,
): Promise<number> {
  let conn: Connection | undefined;
  try {
    const p = parseArgs(args, flags, usage);
    if (has(p, '--help') || has(p, '-h')) {
      io.out(usage + '\n');
      return EXIT_OK;
    }
    if (p.positional.length) throw new CliError(`unexpected argument "${p.positional[0]}"\n\n${usage}`);
    conn = connection(p, io, usage);
    return await body(p, conn);
  } catch (e) {
    const msg = e instanceof CliError ? e.message : friendlyError(e, conn?.ctx ?? { surface: 'cli', env: io.env });
    io.err(`iam-refine: ${msg}\n`);
    return EXIT_ERROR;
  }
}

/** `iam-refine fetch …`: args are everything after "fetch". */
export function fetchCommand(args: string[], io: CliIO): Promise<number> {
  return liveCommand(args, io, FETCH_FLAGS, FETCH_USAGE, async (p, conn) => {
    const roles = rolesOf(p, FETCH_USAGE);
    const out = value(p, '--out');
    if (!out) throw new CliError(`fetch needs --out FILE (or --out - for standard output)\n\n${FETCH_USAGE}`);
    const concurrency = value(p, '--concurrency');
    if (concurrency !== undefined && !(Number.isInteger(Number(concurrency)) && Number(concurrency) >= 1 && Number(concurrency) <= 16)) {
      throw new CliError(`--concurrency expects a whole number from 1 to 16, not "${concurrency}"`);
    }
    const source = value(p, '--source') ?? 'access-analyzer';
    if (source === 'access-advisor') return fetchAdvisor(p, conn, roles, out, io);
    if (source !== 'access-analyzer') throw new CliError(`--source must be access-analyzer or access-advisor, not "${source}"`);
    quietSdk();
    const client = createClient({ region: conn.region, profile: conn.profile, endpoint: conn.endpoint });
    let result: FetchResult;
    try {
      result = await fetchFindings({ client, analyzerArn: conn.analyzerArn, roles, concurrency: concurrency ? Number(concurrency) : undefined });
    } finally {
      client.destroy();
    }
    // the analyzer's tracking period goes with each finding: every diagnostic says it
    const age = result.analyzer.unusedAccessAge;
    const text = findingsFileText(age ? result.findings.map((f) => ({ ...f, unusedAccessAge: age })) : result.findings);
    const say = out === '-' ? io.err : io.out;
    if (out === '-') io.out(text);
    else writeAtomic(resolve(io.cwd, out), text);
    const n = result.findings.length;
    const roleCount = new Set(result.findings.map((f) => f.resource)).size;
    say(`${plural(n, 'UnusedPermission finding')}${n ? ` (${plural(roleCount, 'role')})` : ''} from ${result.analyzer.arn}${out === '-' ? '' : `, written to ${out}`}\n`);
    for (const r of result.rolesWithoutFindings) say(`${r}: nothing unused (no active UnusedPermission finding)\n`);
    if (!roles.length && n === 0) say(`nothing unused: the analyzer has no active UnusedPermission finding\n`);
    return EXIT_OK;
  });
}

/** `fetch --source access-advisor`: one Access Advisor report per role. */
async function fetchAdvisor(p: ParsedArgs, conn: Connection, roles: string[], out: string, io: CliIO): Promise<number> {
  if (!roles.length) throw new CliError(`fetch --source access-advisor needs --role ARN (Access Advisor reports on one role at a time)\n\n${FETCH_USAGE}`);
  if (conn.analyzerArn) throw new CliError('--analyzer is for --source access-analyzer: Access Advisor needs no analyzer');
  const pollIntervalMs = seconds(p, '--poll-interval', 2);
  const timeoutMs = seconds(p, '--timeout', 180);
  quietSdk();
  const client = createIamClient({ region: conn.region, profile: conn.profile, endpoint: conn.endpoint });
  let reports: AccessAdvisorReport[];
  try {
    reports = await fetchAdvisorReports({ client, roles, pollIntervalMs, timeoutMs });
  } finally {
    client.destroy();
  }
  const text = advisorFileText(reports);
  const say = out === '-' ? io.err : io.out;
  if (out === '-') io.out(text);
  else writeAtomic(resolve(io.cwd, out), text);
  for (const r of reports) say(`${r.Arn}: Access Advisor report of ${r.JobCompletionDate ?? 'unknown date'}, ${plural(r.ServicesLastAccessed.length, 'service')}\n`);
  say(`${plural(reports.length, 'Access Advisor report')}${out === '-' ? '' : ` written to ${out}`}\n`);
  return EXIT_OK;
}

function chooseAdvice(all: PolicyAdvice[], policyId: string | undefined, file: string): PolicyAdvice {
  const ids = all.map((a) => a.policyId || '(unnamed)').join(', ');
  if (policyId !== undefined) {
    const want = policyId.toLowerCase();
    const hit = all.filter((a) => a.policyId.toLowerCase() === want || policyName(a.policyId).toLowerCase() === want);
    if (hit.length === 1) return hit[0];
    throw new CliError(`AWS's recommendation names no policy "${policyId}" (it names ${ids})`);
  }
  const i = adviceForFile(all, basename(file));
  if (i !== undefined) return all[i];
  throw new CliError(`AWS's recommendation covers ${all.length} policies of the role (${ids}): say which one ${basename(file)} is with --policy-id`);
}

/** `iam-refine recommend …`: args are everything after "recommend". */
export function recommendCommand(args: string[], io: CliIO): Promise<number> {
  return liveCommand(args, io, RECOMMEND_FLAGS, RECOMMEND_USAGE, async (p, conn) => {
    const roles = rolesOf(p, RECOMMEND_USAGE);
    if (roles.length !== 1) throw new CliError(`recommend needs --role ARN (one role)\n\n${RECOMMEND_USAGE}`);
    const role = roles[0];
    const policyFile = value(p, '--policy');
    if (!policyFile) throw new CliError(`recommend needs --policy FILE\n\n${RECOMMEND_USAGE}`);
    const pollIntervalMs = seconds(p, '--poll-interval', 2);
    const timeoutMs = seconds(p, '--timeout', 180);
    const out = value(p, '--out');
    const policyPath = resolve(io.cwd, policyFile);
    let policyText: string;
    try {
      policyText = readText(policyPath);
    } catch (e) {
      throw e instanceof CliError ? new CliError(e.message.replace(policyPath, policyFile)) : e;
    }
    const doc = parsePolicyDocument(policyText);
    if (doc.hasSyntaxErrors) throw new CliError(`${policyFile}: invalid JSON (${doc.problems[0]?.message ?? 'syntax error'})`);
    if (doc.policies.length === 0) throw new CliError(`${policyFile}: no IAM policy in this file`);

    quietSdk();
    const client = createClient({ region: conn.region, profile: conn.profile, endpoint: conn.endpoint });
    let analyzer: AnalyzerInfo;
    let fetched: FetchResult;
    let rec: Recommendation;
    try {
      analyzer = await findUnusedAccessAnalyzer({ client, analyzerArn: conn.analyzerArn });
      conn.ctx.analyzerArn = analyzer.arn;
      fetched = await fetchFindings({ client, analyzerArn: analyzer.arn, roles: [role] });
      if (fetched.findings.length === 0) {
        io.out(`${role}: nothing unused (no active UnusedPermission finding), so AWS has nothing to recommend\n`);
        return EXIT_OK;
      }
      const finding = fetched.findings[0];
      let told = false;
      rec = await requestRecommendation({
        client,
        analyzerArn: analyzer.arn,
        findingId: finding.id,
        pollIntervalMs,
        timeoutMs,
        onPoll: (status) => {
          if (status === 'IN_PROGRESS' && !told) {
            told = true;
            io.err(`waiting for AWS's recommendation for finding ${finding.id}…\n`);
          }
        },
      });
    } finally {
      client.destroy();
    }

    const advice = groupSteps(rec.steps);
    if (advice.length === 0) {
      io.out(`${role}: AWS's recommendation (finding ${rec.findingId}) has no step: nothing to change\n`);
      return EXIT_OK;
    }
    const chosen = chooseAdvice(advice, value(p, '--policy-id'), policyFile);
    const label = chosen.policyId || basename(policyFile);

    // the local refinement of the same policy with the same finding
    const findings = toCoreFindings(fetched.findings, '(fetched)');
    const universe = new Universe(defaultCatalog(), [...findingActionNames(findings), ...policyActionStrings(doc)]);
    const unused = resolveUnused(findings, universe, [role]);
    let localText: string | undefined;
    try {
      localText = refineDocument({ universe, unused: unused.indexes }, doc).text;
    } catch (e) {
      if (!(e instanceof NothingLeftError)) throw e;
    }

    const lines: string[] = [`AWS's recommendation for ${role} (finding ${rec.findingId}, analyzer ${analyzer.arn}):`];
    let awsText: string;
    if (chosen.recommendedPolicy) {
      awsText = chosen.recommendedPolicy;
      lines.push(`${label}: AWS recommends replacing this policy${chosen.detach ? ' (create the policy below, attach it to the role, and detach this one)' : ' with the policy below'}:`);
      lines.push(prettyPolicy(awsText));
    } else {
      awsText = EMPTY_POLICY;
      lines.push(`${label}: AWS recommends detaching this policy`);
    }
    const local = `the local refinement of ${policyFile}`;
    if (localText === undefined) {
      lines.push(
        chosen.recommendedPolicy
          ? `${local} removes every permission (detach the policy instead); AWS's recommendation keeps ${plural(comparePolicies(universe, EMPTY_POLICY, awsText).onlyInB.length, 'action')}`
          : `${local} agrees: every permission in this policy is unused`,
      );
    } else {
      let cmp;
      try {
        cmp = comparePolicies(universe, localText, awsText);
      } catch {
        throw new CliError(`AWS's recommended policy for ${label} is not a policy document`);
      }
      if (!cmp.onlyInA.length && !cmp.onlyInB.length) lines.push(`${local} allows the same actions`);
      else {
        lines.push(`compared with ${local}:`);
        if (cmp.onlyInA.length) lines.push(`  ${local} allows ${plural(cmp.onlyInA.length, 'action')} AWS's does not: ${listNames(cmp.onlyInA, 25)}`);
        if (cmp.onlyInB.length) lines.push(`  AWS's recommendation allows ${plural(cmp.onlyInB.length, 'action')} ${local} does not: ${listNames(cmp.onlyInB, 25)}`);
      }
    }
    const others = advice.filter((a) => a !== chosen);
    if (others.length) lines.push(`(the recommendation also covers ${others.map((a) => `${a.policyId || '(unnamed)'}: ${a.recommendedPolicy ? 'replace' : 'detach'}`).join('; ')})`);
    if (out) {
      if (chosen.recommendedPolicy) {
        writeAtomic(resolve(io.cwd, out), prettyPolicy(chosen.recommendedPolicy) + '\n');
        lines.push(`AWS's recommended policy written to ${out}`);
      } else lines.push(`nothing written to ${out}: AWS recommends detaching the policy`);
    }
    io.out(lines.join('\n') + '\n');
    return EXIT_OK;
  });
}
