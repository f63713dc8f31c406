// The access matrix (issue 16): which request against which VictoriaMetrics component port must
// be allowed, from which host, with which credentials. Pure: the table, the requests, how an
// answer is classified and the report. scripts/verify/access-matrix.ts sends the requests.
import type { LabGroup, LabHost } from './lab-topology.js';
import type { VmhaPorts } from './inventory/schema.js';
import type { ComponentSecretKey } from './inventory/schema.js';

export type Component = 'vminsert' | 'vmselect' | 'vmstorage';
export const COMPONENTS: readonly Component[] = ['vminsert', 'vmselect', 'vmstorage'];

export type Operation =
  | 'write'
  | 'read'
  | 'delete'
  | 'snapshot_create'
  | 'snapshot_delete'
  | 'force_merge'
  | 'force_flush'
  | 'cache_reset'
  | 'pprof'
  | 'flags'
  | 'metrics';

/**
 * none: no credentials; wrong: the right user or parameter with a wrong secret; other: the
 * secrets another tier holds (the backend password the load balancers pass, the metrics key
 * every vmagent has) used where they are not meant to work; right: this endpoint's own secret.
 */
export type CredentialCase = 'none' | 'wrong' | 'other' | 'right';
export const CREDENTIAL_CASES: readonly CredentialCase[] = ['none', 'wrong', 'other', 'right'];

/** How a request is authorised: basic auth with a component password, or an authKey parameter. */
export type Guard = { kind: 'basic'; secret: ComponentSecretKey } | { kind: 'authKey'; secret: ComponentSecretKey };

export interface OperationSpec {
  component: Component;
  operation: Operation;
  method: 'GET' | 'POST';
  /** Path and query without the authKey parameter, for the sending host and the delete's match. */
  path: string | ((values: { source: string; deleteMatch: string }) => string);
  /** Request body (Prometheus text format for writes). */
  body?: string;
  guard: Guard;
  /** Changes state when allowed (sent with the right credentials only in the mutating phase). */
  mutating: boolean;
}

/** The metric the matrix writes and deletes; a sentinel series of the same name proves a refused delete deleted nothing. */
export const PROBE_METRIC = 'vmha_access_probe';
export const SENTINEL_SOURCE = 'sentinel';
/** A partition prefix no partition has: an allowed force merge is checked without merging anything. */
export const NO_PARTITION = '1970_01';

/** Every operation of every component, with the guard vmha configures for it. */
export const OPERATIONS: readonly OperationSpec[] = [
  {
    component: 'vminsert', operation: 'write', method: 'POST', mutating: true,
    path: '/insert/0/prometheus/api/v1/import/prometheus',
    body: `${PROBE_METRIC}{source="{source}",target="{target}",case="{case}"} 1\n`,
    guard: { kind: 'basic', secret: 'vmha_vminsert_password' },
  },
  {
    component: 'vmselect', operation: 'read', method: 'GET', mutating: false,
    path: `/select/0/prometheus/api/v1/series?match[]=${PROBE_METRIC}&nocache=1`,
    guard: { kind: 'basic', secret: 'vmha_vmselect_password' },
  },
  {
    component: 'vmselect', operation: 'delete', method: 'POST', mutating: true,
    // a refused delete would remove the sentinel too; an allowed one removes only this source's probes
    path: ({ deleteMatch }) =>
      `/delete/0/prometheus/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent(`${PROBE_METRIC}{source=~"${deleteMatch}"}`)}`,
    guard: { kind: 'authKey', secret: 'vmha_delete_auth_key' },
  },
  {
    component: 'vmselect', operation: 'cache_reset', method: 'GET', mutating: true,
    path: '/internal/resetRollupResultCache',
    guard: { kind: 'authKey', secret: 'vmha_reset_cache_auth_key' },
  },
  {
    component: 'vmstorage', operation: 'snapshot_create', method: 'POST', mutating: true,
    path: '/snapshot/create',
    guard: { kind: 'authKey', secret: 'vmha_snapshot_auth_key' },
  },
  {
    component: 'vmstorage', operation: 'snapshot_delete', method: 'POST', mutating: true,
    path: '/snapshot/delete_all',
    guard: { kind: 'authKey', secret: 'vmha_snapshot_auth_key' },
  },
  {
    component: 'vmstorage', operation: 'force_merge', method: 'POST', mutating: true,
    path: `/internal/force_merge?partition_prefix=${NO_PARTITION}`,
    guard: { kind: 'authKey', secret: 'vmha_force_merge_auth_key' },
  },
  {
    component: 'vmstorage', operation: 'force_flush', method: 'POST', mutating: true,
    path: '/internal/force_flush',
    guard: { kind: 'authKey', secret: 'vmha_force_flush_auth_key' },
  },
  ...(['vminsert', 'vmselect', 'vmstorage'] as const).flatMap((component): OperationSpec[] => [
    { component, operation: 'pprof', method: 'GET', mutating: false, path: '/debug/pprof/cmdline', guard: { kind: 'authKey', secret: 'vmha_pprof_auth_key' } },
    { component, operation: 'flags', method: 'GET', mutating: false, path: '/flags', guard: { kind: 'authKey', secret: 'vmha_flags_auth_key' } },
    { component, operation: 'metrics', method: 'GET', mutating: false, path: '/metrics', guard: { kind: 'authKey', secret: 'vmha_metrics_auth_key' } },
  ]),
];

/** The port key of each component's HTTP API. */
export const COMPONENT_PORT: Record<Component, keyof VmhaPorts> = {
  vminsert: 'vminsert_http',
  vmselect: 'vmselect_http',
  vmstorage: 'vmstorage_http',
};

/**
 * The firewall's purpose, written down independently of its implementation: which tiers reach
 * each component's HTTP port (besides the host itself). Write LBs write, read LBs read, vmagents scrape.
 */
export const REACHES: Record<Component, readonly LabGroup[]> = {
  vminsert: ['lb_insert', 'vmagent'],
  vmselect: ['lb_select', 'vmagent'],
  vmstorage: ['vmagent'],
};

/** A host that sends requests: a lab host, or the lab network's gateway (this machine). */
export interface Source {
  name: string;
  address: string;
  groups: readonly LabGroup[];
}

export function gatewaySource(address: string): Source {
  return { name: 'gateway', address, groups: [] };
}

export type Outcome = 'allowed' | 'denied' | 'unreachable' | 'unexpected';

export function canReach(source: Source, target: LabHost, component: Component): boolean {
  return source.name === target.name || source.groups.some((g) => REACHES[component].includes(g));
}

export function expectedOutcome(source: Source, target: LabHost, component: Component, credentials: CredentialCase): Outcome {
  if (!canReach(source, target, component)) return 'unreachable';
  return credentials === 'right' ? 'allowed' : 'denied';
}

/** curl's %{http_code}: 000 when no HTTP answer came (dropped, refused, timed out). */
export function classify(httpCode: number): Outcome {
  if (httpCode === 0) return 'unreachable';
  if (httpCode >= 200 && httpCode < 300) return 'allowed';
  if (httpCode === 401 || httpCode === 403) return 'denied';
  return 'unexpected';
}

export type Secrets = Record<ComponentSecretKey, string>;
export const COMPONENT_USER = 'vmha';
export const WRONG_SECRET = 'wrong-secret-0123456789';

/** Which secret another tier holds that is tried where it must not work. */
function otherSecret(guard: Guard): ComponentSecretKey {
  // the vmagents' metrics key on everything else; the backend password where the key is the metrics key
  if (guard.secret === 'vmha_metrics_auth_key') return 'vmha_vmselect_password';
  return 'vmha_metrics_auth_key';
}

export interface PlannedRequest {
  source: string;
  target: string;
  targetAddress: string;
  port: number;
  component: Component;
  operation: Operation;
  credentials: CredentialCase;
  method: 'GET' | 'POST';
  /** Path with query, authKey included where the case sends one. */
  url: string;
  /** "user:password" for curl -u, or undefined. */
  basic: string | undefined;
  body: string | undefined;
  mutating: boolean;
  expected: Outcome;
}

const fill = (text: string, values: Record<string, string>) =>
  text.replace(/\{(source|target|case)\}/g, (_, key: string) => values[key] ?? '');

/** The credentials a case sends for a guard: basic auth and/or an authKey parameter. */
export function credentialsFor(guard: Guard, credentials: CredentialCase, secrets: Secrets): { basic?: string; authKey?: string } {
  const secretOf = (key: ComponentSecretKey) => secrets[key];
  const send = (value: string, keyOf: Guard['kind']) =>
    keyOf === 'basic' ? { basic: `${COMPONENT_USER}:${value}` } : { authKey: value };
  switch (credentials) {
    case 'none':
      return {};
    case 'wrong':
      return send(WRONG_SECRET, guard.kind);
    case 'right':
      return send(secretOf(guard.secret), guard.kind);
    case 'other': {
      const other = otherSecret(guard);
      // the other tier's secret in the form it is used there
      return other === 'vmha_metrics_auth_key' ? { authKey: secretOf(other) } : { basic: `${COMPONENT_USER}:${secretOf(other)}` };
    }
  }
}

/** Every request of the matrix: sources x component hosts x operations x credential cases. */
export function planAccessMatrix(
  sources: readonly Source[],
  targets: readonly LabHost[],
  ports: Readonly<VmhaPorts>,
  secrets: Secrets,
): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  for (const source of sources) {
    for (const target of targets) {
      for (const spec of OPERATIONS) {
        if (!target.groups.includes(spec.component)) continue;
        for (const credentials of CREDENTIAL_CASES) {
          const sent = credentialsFor(spec.guard, credentials, secrets);
          // an allowed delete removes this source's probes only; a refused one would have hit every probe and the sentinel
          const deleteMatch = credentials === 'right' ? source.name : '.+';
          let url = typeof spec.path === 'function' ? spec.path({ source: source.name, deleteMatch }) : spec.path;
          if (sent.authKey !== undefined) url += `${url.includes('?') ? '&' : '?'}authKey=${encodeURIComponent(sent.authKey)}`;
          out.push({
            source: source.name,
            target: target.name,
            targetAddress: target.address,
            port: ports[COMPONENT_PORT[spec.component]],
            component: spec.component,
            operation: spec.operation,
            credentials,
            method: spec.method,
            url,
            basic: sent.basic,
            body: spec.body === undefined ? undefined : fill(spec.body, { source: source.name, target: target.name, case: credentials }),
            mutating: spec.mutating,
            expected: expectedOutcome(source, target, spec.component, credentials),
          });
        }
      }
    }
  }
  return out;
}

/**
 * Order of the mutating phase with the right credentials: write, flush, then the rest, delete and
 * snapshot removal last. Snapshot removal goes one source at a time: two /snapshot/delete_all
 * at once on one vmstorage race for the same snapshot and the loser exits with
 * "FATAL: cannot read directory contents" (seen on v1.150.0 in the lab, all three vmstorages).
 */
export const RIGHT_PHASES: readonly { operations: readonly Operation[]; sequential: boolean }[] = [
  { operations: ['write'], sequential: false },
  { operations: ['force_flush'], sequential: false },
  { operations: ['read', 'cache_reset', 'force_merge', 'snapshot_create', 'pprof', 'flags', 'metrics'], sequential: false },
  { operations: ['delete'], sequential: false },
  { operations: ['snapshot_delete'], sequential: true },
];

export interface RequestResult extends PlannedRequest {
  httpCode: number;
  outcome: Outcome;
  ok: boolean;
}

export function judge(request: PlannedRequest, httpCode: number): RequestResult {
  const outcome = classify(httpCode);
  return { ...request, httpCode, outcome, ok: outcome === request.expected };
}

/**
 * Shell script that sends the requests with curl and prints one "index code" line each.
 * Secrets travel in the script's stdin, never in a process argument list visible to others
 * for long: curl reads its options (-u, URL) from a config file on stdin (-K -).
 */
export function curlScript(requests: readonly { index: number; request: PlannedRequest }[], timeoutSeconds: number): string {
  const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const lines: string[] = [];
  for (const { index, request } of requests) {
    const config = [
      `url = ${quote(`http://${request.targetAddress}:${request.port}${request.url}`)}`,
      `request = ${request.method}`,
      'silent',
      'output = /dev/null',
      'write-out = "%{http_code}"',
      `connect-timeout = ${timeoutSeconds}`,
      `max-time = ${timeoutSeconds * 3}`,
      'globoff',
      ...(request.basic !== undefined ? [`user = ${quote(request.basic)}`] : []),
      ...(request.body !== undefined ? [`data-binary = ${quote(request.body)}`] : request.method === 'POST' ? ['data-binary = ""'] : []),
    ].join('\n');
    // printf keeps the config (with its secrets) off curl's argument list
    lines.push(`code=$(printf '%s\\n' ${shellQuote(config)} | curl -K -); echo "${index} \${code:-000}"`);
  }
  return lines.join('\n') + '\n';
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface StateCheck {
  name: string;
  before: string;
  after: string;
  ok: boolean;
}

export interface ThrottleMeasurement {
  target: string;
  wrongAttempts: number;
  wrongSeconds: number;
  wrongCodes: Record<string, number>;
  rightSeconds: number;
  rightCode: number;
  logLines: number;
  ok: boolean;
}

const OUTCOME_SHORT: Record<Outcome, string> = { allowed: 'allow', denied: 'deny', unreachable: 'no-conn', unexpected: '?' };

/** reports/access-matrix.md: summary per (source tier, component, operation, case), every failure in full. */
export function renderAccessMatrixMarkdown(
  results: readonly RequestResult[],
  states: readonly StateCheck[],
  throttle: readonly ThrottleMeasurement[],
  extra: readonly { name: string; ok: boolean; evidence: string }[],
  meta: { date: string; seconds: number },
): string {
  const failed = results.filter((r) => !r.ok);
  const lines: string[] = [
    '# Access matrix',
    '',
    `Run ${meta.date}, ${meta.seconds.toFixed(0)} s, written by \`scripts/verify/access-matrix.ts\`. ` +
      `${results.length} requests against every vminsert, vmselect and vmstorage HTTP port from every lab host and the ` +
      `lab network's gateway: **${results.length - failed.length} as expected, ${failed.length} not**.`,
    '',
    'Expected: `no-conn` where the firewall keeps the tier out (only the host itself, and: vminsert from the write load ' +
      'balancers and vmagents, vmselect from the read load balancers and vmagents, vmstorage from vmagents), otherwise `allow` with ' +
      'the right credentials and `deny` (401/403) with none, wrong ones or another tier\'s (`other`: the metrics key every vmagent holds, ' +
      'or the backend password the load balancers hold).',
    '',
    '## Per component and operation (all sources; cells: outcome counts, each compared with the expected one)',
    '',
    '| component | operation | none | wrong | other | right |',
    '|---|---|---|---|---|---|',
  ];
  const keyOf = (r: RequestResult) => `${r.component}|${r.operation}`;
  const groups = new Map<string, RequestResult[]>();
  for (const r of results) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
  for (const [key, rows] of groups) {
    const [component, operation] = key.split('|');
    const cell = (c: CredentialCase) => {
      const counts = new Map<string, number>();
      for (const r of rows.filter((x) => x.credentials === c)) {
        const label = `${OUTCOME_SHORT[r.outcome]}${r.ok ? '' : ' (UNEXPECTED)'}`;
        counts.set(label, (counts.get(label) ?? 0) + 1);
      }
      return [...counts].map(([label, n]) => `${n} ${label}`).join(', ');
    };
    lines.push(`| ${component} | ${operation} | ${cell('none')} | ${cell('wrong')} | ${cell('other')} | ${cell('right')} |`);
  }
  lines.push('', '## Per source (requests that connected, and what they were allowed to do)', '', '| source | sent | no-conn | denied | allowed | allowed operations |', '|---|---|---|---|---|---|');
  const bySource = new Map<string, RequestResult[]>();
  for (const r of results) bySource.set(r.source, [...(bySource.get(r.source) ?? []), r]);
  for (const [source, rows] of bySource) {
    const count = (o: Outcome) => rows.filter((r) => r.outcome === o).length;
    const allowedOps = [...new Set(rows.filter((r) => r.outcome === 'allowed').map((r) => `${r.component}:${r.operation}`))].sort();
    lines.push(`| ${source} | ${rows.length} | ${count('unreachable')} | ${count('denied')} | ${count('allowed')} | ${allowedOps.length ? allowedOps.join(', ') : '-'} |`);
  }
  lines.push('', '## A refused request changed nothing', '', '| check | before | after | ok |', '|---|---|---|---|');
  for (const s of states) lines.push(`| ${s.name} | ${s.before} | ${s.after} | ${s.ok ? 'yes' : '**no**'} |`);
  lines.push('', '## Password guessing on the load balancers', '',
    '| load balancer | wrong attempts (sequential) | took | answers | right credentials right after | failure log lines | ok |', '|---|---|---|---|---|---|---|');
  for (const t of throttle) {
    const codes = Object.entries(t.wrongCodes).map(([c, n]) => `${n}x ${c}`).join(', ');
    lines.push(`| ${t.target} | ${t.wrongAttempts} | ${t.wrongSeconds.toFixed(1)} s | ${codes} | ${t.rightCode} in ${t.rightSeconds.toFixed(2)} s | ${t.logLines} | ${t.ok ? 'yes' : '**no**'} |`);
  }
  if (extra.length > 0) {
    lines.push('', '## Load balancers and admin paths', '', '| check | ok | evidence |', '|---|---|---|');
    for (const e of extra) lines.push(`| ${e.name} | ${e.ok ? 'yes' : '**no**'} | ${e.evidence.replace(/\|/g, '/').slice(0, 120)} |`);
  }
  if (failed.length > 0) {
    lines.push('', '## Requests not as expected', '', '| source | target | operation | credentials | expected | got (HTTP) |', '|---|---|---|---|---|---|');
    for (const r of failed.slice(0, 200)) {
      lines.push(`| ${r.source} | ${r.target}:${r.port} | ${r.operation} | ${r.credentials} | ${r.expected} | ${r.outcome} (${r.httpCode}) |`);
    }
  }
  return lines.join('\n') + '\n';
}
