// Access matrix (issue 16): from every lab host and from the lab network's gateway (this
// machine), every VictoriaMetrics component port gets write, read, delete, snapshot, force merge
// and flush, cache reset, pprof, flags and metrics requests without credentials, with wrong ones,
// with another tier's and with the right ones; each answer is compared with the expected
// allow/deny (scripts/lib/access-matrix.ts). Refused requests must change nothing (probe series
// and snapshot lists before and after); the load balancers must slow password guessing while the
// right credentials keep working. Writes reports/access-matrix.{md,json}.
// Changes the lab (probe samples, snapshots; all removed at the end): run under the lab lock.
import { $, fs, path, sleep } from 'zx';
import { pollUntil } from '../lib/poll.js';
import {
  curlScript,
  gatewaySource,
  judge,
  PROBE_METRIC,
  planAccessMatrix,
  renderAccessMatrixMarkdown,
  RIGHT_PHASES,
  SENTINEL_SOURCE,
  shellQuote,
  type PlannedRequest,
  type RequestResult,
  type Secrets,
  type Source,
  type StateCheck,
  type ThrottleMeasurement,
} from '../lib/access-matrix.js';
import { COMPONENT_SECRET_KEYS } from '../lib/inventory/schema.js';
import { hostsInGroup, labHosts, labNetwork, labPorts, labScheme, type LabHost } from '../lib/lab-topology.js';
import { http } from './lab-client.js';
import { labCa, labCredentials, labSecrets } from './lab-credentials.js';
import { CheckRecorder } from './check-recorder.js';

$.verbose = false;
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const started = Date.now();
const checks = new CheckRecorder();
const all = await labSecrets();
const secrets = Object.fromEntries(COMPONENT_SECRET_KEYS.map((k) => [k, all[k]])) as Secrets;
const clients = await labCredentials();
const ca = await labCa();

const gateway = gatewaySource(labNetwork.gateway);
const sources: Source[] = [...labHosts, gateway];
const targets: LabHost[] = [...hostsInGroup('vminsert'), ...hostsInGroup('vmselect'), ...hostsInGroup('vmstorage')];
const [vmselect] = hostsInGroup('vmselect');
const [vminsert] = hostsInGroup('vminsert');
if (!vmselect || !vminsert) throw new Error('lab topology lacks vmselect or vminsert');
const plan = planAccessMatrix(sources, targets, labPorts, secrets);
const CONNECT_TIMEOUT_S = 1;

/** Runs a shell script on a source (a lab host through docker exec, or this machine) with the script on stdin. */
async function runScript(source: Source, script: string): Promise<string> {
  const run = source === gateway
    ? await $({ nothrow: true, input: script })`sh`
    : await $({ nothrow: true, input: script })`docker exec -i ${source.name} sh`;
  return run.stdout;
}

/** curl with its options (secrets included) on stdin, on a lab host; returns the body. */
async function curlOn(host: string, url: string, options: { basic?: string; method?: string; body?: string } = {}): Promise<string> {
  const config = [`url = "${url}"`, 'silent', 'globoff', 'max-time = 10', `request = ${options.method ?? 'GET'}`];
  if (options.basic) config.push(`user = "${options.basic}"`);
  if (options.body !== undefined) config.push(`data-binary = "${options.body.replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  const run = await $({ nothrow: true, input: config.join('\n') + '\n' })`docker exec -i ${host} curl -K -`;
  return run.stdout;
}

/**
 * Sends a batch of planned requests from one source. A port that does not answer /health within
 * the connect timeout is not sent the rest: the firewall decides per port, so one probe answers
 * for every request to it (and keeps a dropped port from costing a timeout per request).
 */
async function sendFrom(source: Source, batch: { index: number; request: PlannedRequest }[]): Promise<Map<number, number>> {
  const codes = new Map<number, number>();
  const endpoints = [...new Set(batch.map((b) => `${b.request.targetAddress}:${b.request.port}`))];
  const probe = endpoints
    .map((e) => `echo "${e} $(curl -s -o /dev/null -w '%{http_code}' --connect-timeout ${CONNECT_TIMEOUT_S} --max-time ${CONNECT_TIMEOUT_S * 2} http://${e}/health)"`)
    .join('\n');
  const reachable = new Set<string>();
  for (const line of (await runScript(source, probe + '\n')).trim().split('\n')) {
    const [endpoint, code] = line.split(' ');
    if (endpoint && code && code !== '000') reachable.add(endpoint);
  }
  const toSend = batch.filter((b) => reachable.has(`${b.request.targetAddress}:${b.request.port}`));
  for (const b of batch) if (!toSend.includes(b)) codes.set(b.index, 0);
  if (toSend.length > 0) {
    for (const line of (await runScript(source, curlScript(toSend, CONNECT_TIMEOUT_S))).trim().split('\n')) {
      const [index, code] = line.split(' ').map(Number);
      if (index !== undefined && code !== undefined && !Number.isNaN(index)) codes.set(index, code);
    }
  }
  return codes;
}

/** Sends the selected planned requests, every source in parallel (or one after the other), each source's requests in order. */
async function send(select: (r: PlannedRequest) => boolean, sequential = false): Promise<RequestResult[]> {
  const indexed = plan.map((request, index) => ({ index, request })).filter((b) => select(b.request));
  const bySource = new Map<string, { index: number; request: PlannedRequest }[]>();
  for (const b of indexed) bySource.set(b.request.source, [...(bySource.get(b.request.source) ?? []), b]);
  const senders = sources.filter((s) => bySource.has(s.name));
  const answers: Map<number, number>[] = [];
  if (sequential) for (const s of senders) answers.push(await sendFrom(s, bySource.get(s.name)!));
  else answers.push(...(await Promise.all(senders.map((s) => sendFrom(s, bySource.get(s.name)!)))));
  const codes = new Map<number, number>();
  for (const map of answers) for (const [i, c] of map) codes.set(i, c);
  return indexed.map((b) => judge(b.request, codes.get(b.index) ?? -1));
}

// ---- state: probe series (through vmselect-1's loopback, which the firewall always lets in) and snapshots
const vmselectUrl = `http://127.0.0.1:${labPorts.vmselect_http}`;
const backendRead = `vmha:${secrets.vmha_vmselect_password}`;
async function probeSeries(): Promise<string[]> {
  const start = Math.floor(Date.now() / 1000) - 3600;
  const body = await curlOn(vmselect!.name, `${vmselectUrl}/select/0/prometheus/api/v1/series?match[]=${PROBE_METRIC}&start=${start}&nocache=1`, { basic: backendRead });
  try {
    const data = (JSON.parse(body) as { data: Record<string, string>[] }).data;
    return data.map((m) => `${m.source}/${m.target ?? ''}`).sort();
  } catch {
    return [`(no answer: ${body.slice(0, 100)})`];
  }
}
async function snapshotLists(): Promise<Record<string, string[]>> {
  const lists = await Promise.all(hostsInGroup('vmstorage').map(async (host) => {
    const body = await curlOn(host.name, `http://127.0.0.1:${labPorts.vmstorage_http}/snapshot/list?authKey=${encodeURIComponent(secrets.vmha_snapshot_auth_key)}`);
    try {
      return [host.name, (JSON.parse(body) as { snapshots: string[] }).snapshots] as const;
    } catch {
      return [host.name, [`(no answer: ${body.slice(0, 80)})`]] as const;
    }
  }));
  return Object.fromEntries(lists);
}
async function flushStorage(): Promise<void> {
  await Promise.all(hostsInGroup('vmstorage').map((host) =>
    curlOn(host.name, `http://127.0.0.1:${labPorts.vmstorage_http}/internal/force_flush?authKey=${encodeURIComponent(secrets.vmha_force_flush_auth_key)}`)));
}
/** Polls the probe series until `want` holds (writes are searchable after vminsert's buffer and a flush). */
async function waitForSeries(want: (series: string[]) => boolean, seconds = 20): Promise<string[]> {
  let reads = 0;
  const read = async () => {
    if (reads++ > 0) await flushStorage();
    return probeSeries();
  };
  return (await pollUntil(read, want, { everyMs: 1000, seconds })).value;
}
async function deleteProbes(match: string): Promise<void> {
  const url = `${vmselectUrl}/delete/0/prometheus/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent(match)}&authKey=${encodeURIComponent(secrets.vmha_delete_auth_key)}`;
  await curlOn(vmselect!.name, url, { method: 'POST' });
}
const states: StateCheck[] = [];
const stateCheck = (name: string, before: unknown, after: unknown) => {
  const b = JSON.stringify(before);
  const a = JSON.stringify(after);
  states.push({ name, before: b.slice(0, 200), after: a.slice(0, 200), ok: a === b });
  checks.expect(`state unchanged by refused requests: ${name}`, a === b, `before ${b} after ${a}`);
};

// ---- setup: no probes or snapshots left from an earlier run, one sentinel series
await deleteProbes(`${PROBE_METRIC}`);
await Promise.all(hostsInGroup('vmstorage').map((host) =>
  curlOn(host.name, `http://127.0.0.1:${labPorts.vmstorage_http}/snapshot/delete_all?authKey=${encodeURIComponent(secrets.vmha_snapshot_auth_key)}`, { method: 'POST' })));
await curlOn(vminsert.name, `http://127.0.0.1:${labPorts.vminsert_http}/insert/0/prometheus/api/v1/import/prometheus`, {
  method: 'POST', basic: `vmha:${secrets.vmha_vminsert_password}`, body: `${PROBE_METRIC}{source="${SENTINEL_SOURCE}"} 1\n`,
});
const sentinelOnly = [`${SENTINEL_SOURCE}/`];
const setupSeries = await waitForSeries((s) => JSON.stringify(s) === JSON.stringify(sentinelOnly));
checks.expect('setup: the sentinel series is the only probe series', JSON.stringify(setupSeries) === JSON.stringify(sentinelOnly), setupSeries.join(', '));

// ---- phase 1: everything without the right credentials, from everywhere; nothing may change
const snapshotsBefore = await snapshotLists();
const denied = await send((r) => r.credentials !== 'right');
await sleep(1500); // vminsert's buffer, had a refused write gone in
await flushStorage();
stateCheck('probe series (a refused write would add one, a refused delete would remove the sentinel)', setupSeries, await probeSeries());
stateCheck('snapshot lists of every vmstorage', snapshotsBefore, await snapshotLists());

// ---- phase 2: the right credentials, in order (write, flush, the rest, delete, snapshot removal)
const allowed: RequestResult[] = [];
for (const { operations, sequential } of RIGHT_PHASES) {
  const results = await send((r) => r.credentials === 'right' && operations.includes(r.operation), sequential);
  allowed.push(...results);
  if (operations.includes('write')) {
    const written = results.filter((r) => r.outcome === 'allowed').map((r) => `${r.source}/${r.target}`);
    const want = [...sentinelOnly, ...written].sort();
    const series = await waitForSeries((s) => JSON.stringify(s) === JSON.stringify(want));
    checks.expect(`allowed writes landed: ${written.length} probe series plus the sentinel`, JSON.stringify(series) === JSON.stringify(want), `want ${want.join(',')} got ${series.join(',')}`);
  }
  if (operations.includes('snapshot_create')) {
    const lists = await snapshotLists();
    for (const host of hostsInGroup('vmstorage')) {
      const created = results.filter((r) => r.operation === 'snapshot_create' && r.target === host.name && r.outcome === 'allowed').length;
      checks.expect(`${host.name}: one snapshot per allowed create (${created})`, (lists[host.name] ?? []).length === created, JSON.stringify(lists[host.name]));
    }
  }
  if (operations.includes('delete')) {
    // each source that may delete removed its own probes; the write LBs' and vminserts' own probes stay
    const deleters = new Set(results.filter((r) => r.outcome === 'allowed').map((r) => r.source));
    const want = allowedWritesKept(deleters);
    const series = await waitForSeries((s) => JSON.stringify(s) === JSON.stringify(want));
    checks.expect(`allowed deletes removed exactly the deleting sources' probes (${deleters.size} sources)`, JSON.stringify(series) === JSON.stringify(want), `want ${want.join(',')} got ${series.join(',')}`);
  }
  if (operations.includes('snapshot_delete')) {
    const lists = await snapshotLists();
    checks.expect('allowed snapshot deletion left no snapshot', Object.values(lists).every((l) => l.length === 0), JSON.stringify(lists));
  }
}
function allowedWritesKept(deleters: Set<string>): string[] {
  const written = allowed.filter((r) => r.operation === 'write' && r.outcome === 'allowed');
  return [...sentinelOnly, ...written.filter((r) => !deleters.has(r.source)).map((r) => `${r.source}/${r.target}`)].sort();
}

const results = [...denied, ...allowed];
for (const r of results.filter((x) => !x.ok)) {
  checks.expect(`${r.source} -> ${r.target}:${r.port} ${r.operation} (${r.credentials}): ${r.expected}`, false, `got ${r.outcome} (HTTP ${r.httpCode})`);
}
checks.expect(`access matrix: ${results.length} requests as expected`, results.every((r) => r.ok), `${results.filter((r) => !r.ok).length} not as expected`);
const fromAgent = results.filter((r) => r.source === 'vmagent-1' && r.credentials === 'none' && ['write', 'read', 'delete', 'snapshot_create'].includes(r.operation));
checks.expect('from a vmagent host, unauthenticated write, read, delete and snapshot are all refused',
  fromAgent.length > 0 && fromAgent.every((r) => r.outcome === 'denied' || r.outcome === 'unreachable'), fromAgent.map((r) => `${r.operation}@${r.target}=${r.httpCode}`).join(' '));

// ---- load balancers: backend credentials passed on, admin paths closed, password guessing slowed
const extra: { name: string; ok: boolean; evidence: string }[] = [];
const expectExtra = (name: string, ok: boolean, evidence: string) => {
  extra.push({ name, ok, evidence });
  checks.expect(name, ok, evidence);
};
const [lbSelect] = hostsInGroup('lb_select');
const [lbInsert] = hostsInGroup('lb_insert');
if (!lbSelect || !lbInsert) throw new Error('lab topology lacks load balancers');
const readBase = `${labScheme}://${lbSelect.address}:${labPorts.lb_select}`;
const writeBase = `${labScheme}://${lbInsert.address}:${labPorts.lb_insert}`;
const read = await http(`${readBase}/select/0/prometheus/api/v1/series?match[]=up&nocache=1`, { ca, credentials: clients.read });
expectExtra('read LB passes the vmselect credentials (client never holds them): series answers 200', read.status === 200, `${read.status} ${read.body.slice(0, 80)}`);
const write = await http(`${writeBase}/insert/0/prometheus/api/v1/import/prometheus`, { ca, credentials: clients.write, method: 'POST', body: '' });
expectExtra('write LB passes the vminsert credentials: import answers 204', write.status === 204, `${write.status} ${write.body.slice(0, 80)}`);
// vmagent scrapes the components' /metrics with the metrics key: one deduplicated `up` series per component, each 1
const componentUp = await http(`${readBase}/select/0/prometheus/api/v1/query?query=${encodeURIComponent('up{job=~"vminsert|vmselect|vmstorage"}')}&nocache=1`, { ca, credentials: clients.read });
try {
  const series = (JSON.parse(componentUp.body) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
  const instances = series.map((r) => r.metric.instance ?? '');
  expectExtra(`vmagents scrape every component with the metrics key: ${targets.length} up series, one per target, all 1`,
    series.length === targets.length && new Set(instances).size === targets.length && series.every((r) => r.value[1] === '1'),
    series.map((r) => `${r.metric.instance}=${r.value[1]}`).join(' '));
} catch {
  expectExtra('component up query answers', false, `${componentUp.status} ${componentUp.body.slice(0, 100)}`);
}
const key = encodeURIComponent(secrets.vmha_delete_auth_key);
const match = encodeURIComponent(`${PROBE_METRIC}{source="${SENTINEL_SOURCE}"}`);
for (const [name, url] of [
  ['delete API through the read LB (read credentials and the delete key)', `${readBase}/delete/0/prometheus/api/v1/admin/tsdb/delete_series?match[]=${match}&authKey=${key}`],
  ['graphite delSeries through the read LB (read credentials and the delete key)', `${readBase}/select/0/graphite/tags/delSeries?authKey=${key}`],
  ['cache reset through the read LB', `${readBase}/select/0/internal/resetRollupResultCache?authKey=${encodeURIComponent(secrets.vmha_reset_cache_auth_key)}`],
] as const) {
  const answer = await http(url, { ca, credentials: clients.read, method: 'POST', body: '' });
  expectExtra(`${name} is refused (403/404)`, answer.status === 403 || answer.status === 404, String(answer.status));
}

const WRONG_ATTEMPTS = 20;
const countFailureLines = async (lb: LabHost) =>
  Number((await $({ nothrow: true })`docker exec ${lb.name} sh -c ${`grep -c ${shellQuote(`client=${labNetwork.gateway} `)} /var/log/nginx/vmha-auth-failures.log || true`}`).stdout.trim()) || 0;
const throttle: ThrottleMeasurement[] = await Promise.all(
  [...hostsInGroup('lb_insert'), ...hostsInGroup('lb_select')].map(async (lb) => {
    const isWrite = lb.groups.includes('lb_insert');
    const base = `${labScheme}://${lb.address}:${isWrite ? labPorts.lb_insert : labPorts.lb_select}`;
    const good = isWrite ? clients.write : clients.read;
    const url = isWrite ? `${base}/insert/0/prometheus/api/v1/import/prometheus` : `${base}/select/0/prometheus/api/v1/query?query=1`;
    const method = isWrite ? 'POST' : 'GET';
    const linesBefore = await countFailureLines(lb);
    const t0 = Date.now();
    const wrongCodes: Record<string, number> = {};
    for (let i = 0; i < WRONG_ATTEMPTS; i++) {
      const answer = await http(url, { ca, method, body: isWrite ? '' : undefined, timeoutMs: 30_000, credentials: { username: good.username, password: `guess-${i}-0123456789abcdef` } });
      wrongCodes[answer.status] = (wrongCodes[answer.status] ?? 0) + 1;
    }
    const wrongSeconds = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    const right = await http(url, { ca, method, body: isWrite ? '' : undefined, credentials: good });
    const rightSeconds = (Date.now() - t1) / 1000;
    const logLines = (await countFailureLines(lb)) - linesBefore;
    // 2r/s per address: 20 sequential failures need about 9.5 s (3.7 s for 300 before throttling)
    const ok = wrongSeconds >= 5 && (wrongCodes['401'] ?? 0) + (wrongCodes['429'] ?? 0) === WRONG_ATTEMPTS &&
      right.status >= 200 && right.status < 300 && rightSeconds < 1 && logLines >= WRONG_ATTEMPTS;
    checks.expect(`${lb.name}: ${WRONG_ATTEMPTS} wrong passwords took ${wrongSeconds.toFixed(1)} s (>= 5), right ones answered ${right.status} in ${rightSeconds.toFixed(2)} s, ${logLines} failure log lines`, ok,
      JSON.stringify({ wrongCodes, right: right.status }));
    return { target: lb.name, wrongAttempts: WRONG_ATTEMPTS, wrongSeconds, wrongCodes, rightSeconds, rightCode: right.status, logLines, ok };
  }),
);

// ---- cleanup: the probes (the sentinel included) and any snapshot
await deleteProbes(PROBE_METRIC);
await Promise.all(hostsInGroup('vmstorage').map((host) =>
  curlOn(host.name, `http://127.0.0.1:${labPorts.vmstorage_http}/snapshot/delete_all?authKey=${encodeURIComponent(secrets.vmha_snapshot_auth_key)}`, { method: 'POST' })));

const seconds = (Date.now() - started) / 1000;
const md = renderAccessMatrixMarkdown(results, states, throttle, extra, { date: new Date().toISOString(), seconds });
await fs.outputFile(path.join(repoRoot, 'reports/access-matrix.md'), md);
await fs.outputJson(path.join(repoRoot, 'reports/access-matrix.json'), {
  seconds,
  requests: results.map(({ url: _url, basic: _basic, body: _body, ...rest }) => rest),
  states,
  throttle,
  extra,
}, { spaces: 1 });
console.log(`access matrix: ${results.length} requests in ${seconds.toFixed(0)} s; reports/access-matrix.md`);
process.exitCode = checks.report('access-matrix') ? 0 : 1;
