// Load check on the deployed lab: the work VictoriaMetrics really does, and units that survive it.
//   1. restart every vmstorage, vminsert and vmselect with data on disk, one at a time, waiting
//      for /health and for every vminsert and vmselect to see every vmstorage again;
//   2. heavy reads through the read DNS name (from the grafana host, as Grafana queries): the
//      count of metric names over every series, an export of every series, 30-day range
//      queries, and a query over -search.maxUniqueTimeseries that must be refused cleanly (when
//      the configured limit is above what the lab holds, both vmselects run with a lower one for
//      that phase only, through a runtime drop-in that is removed again);
//   3. /internal/force_merge and a snapshot create, list and delete on every vmstorage;
//   4. vmagent restarted with a non-empty on-disk queue (its write path blocked), which must
//      drain afterwards without losing a sample.
// It passes when every answer is correct (counted, not just HTTP 200), no unit was restarted
// by systemd (NRestarts did not grow, and only the check's own restarts started a unit anew) and no
// journal of a VictoriaMetrics unit holds FATAL, panic or a refused system call since the start.
// Writes reports/load-check.{md,json}.
//
// Standalone (under the lab lock): flock /tmp/vmha-lab.lock node --import ./scripts/register-ts.mjs scripts/verify/load.ts
// From another verify script: await runLoadCheck(checks)
import { pathToFileURL } from 'node:url';
import { fs, os, path } from 'zx';
import { pollUntil } from '../lib/poll.js';
import { parseExportLines, syntheticImportLines } from '../lib/failover.js';
import { hostsInGroup, labClusterSettings, labHosts, labPorts, type LabGroup, type LabHost } from '../lib/lab-topology.js';
import {
  adminAuth,
  compareUnitStates,
  crashLines,
  curlAuthArgs,
  deniedSyscallLines,
  exportStats,
  flagFilePath,
  flagValue,
  limitErrorVerdict,
  metricSamples,
  parseCmdlineFlags,
  parseMetricsText,
  parseSnapshotCreate,
  parseSnapshotDelete,
  parseSnapshotList,
  partitionPrefix,
  renderLoadJson,
  renderLoadMarkdown,
  execStartDropIn,
  limitBelow,
  shellQuote,
  unitKey,
  unitStateProperties,
  unitStates,
  unreachableStorageNodes,
  withAuth,
  type AdminAuth,
  type LoadReport,
  type LoadStep,
  type MetricSample,
  type UnitState,
} from '../lib/load-check.js';
import type { PromResult } from '../lib/dashboards.js';
import { CheckRecorder } from './check-recorder.js';
import { copyToHost, onHost } from './lab-client.js';
import { LabPath, json } from './lab-paths.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const reportsDir = path.join(repoRoot, 'reports');

/** Hard bound of the whole check; every wait below has its own, smaller one. */
const maxCheckSeconds = 600;
const scrapeIntervalMs = Number.parseInt(labClusterSettings.scrape_interval, 10) * 1000;

const vmUnits: Partial<Record<LabGroup, string>> = {
  vmstorage: 'vmstorage.service',
  vminsert: 'vminsert.service',
  vmselect: 'vmselect.service',
  vmagent: 'vmagent.service',
};
const vmPorts: Partial<Record<LabGroup, number>> = {
  vmstorage: labPorts.vmstorage_http,
  vminsert: labPorts.vminsert_http,
  vmselect: labPorts.vmselect_http,
  vmagent: labPorts.vmagent_http,
};

/** Every unit vmha runs on a host (Grafana is not installed in the lab). */
function unitsOf(host: LabHost): string[] {
  const units = ['node_exporter.service', 'vmha-firewall.service'];
  for (const group of host.groups) {
    const unit = vmUnits[group];
    if (unit) units.push(unit);
  }
  if (host.groups.includes('lb_insert') || host.groups.includes('lb_select')) units.push('nginx.service');
  return units;
}

const vmGroupOf = (host: LabHost): LabGroup => {
  const group = host.groups.find((g) => vmUnits[g] !== undefined);
  if (!group) throw new Error(`${host.name} runs no VictoriaMetrics component`);
  return group;
};

/** Polls `probe` until it returns ok or `seconds` pass; returns the last result and the time taken. */
async function waitFor<T>(seconds: number, probe: () => Promise<{ ok: boolean; value: T }>, everyMs = 1000): Promise<{ ok: boolean; value: T; seconds: number }> {
  const polled = await pollUntil(probe, (result) => result.ok, { everyMs, seconds });
  return { ...polled.value, seconds: polled.seconds };
}

export interface LoadCheckSummary {
  passed: boolean;
  seconds: number;
  report: LoadReport;
}

export async function runLoadCheck(checks: CheckRecorder): Promise<LoadCheckSummary> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const journalSince = Math.floor(started / 1000) - 1;
  const run = `r${started.toString(36)}`;
  const steps: LoadStep[] = [];
  const measurements: Record<string, number | string> = { run };
  const firstCheck = checks.results.length;
  const restarted = new Set<string>();
  const overall = () => (Date.now() - started) / 1000;
  const step = (phase: string, name: string, ok: boolean, seconds: number, detail: string) => {
    steps.push({ phase, name, ok, seconds, detail });
    checks.expect(`load ${phase}: ${name}`, ok, detail);
    return ok;
  };

  const storages = hostsInGroup('vmstorage');
  const inserts = hostsInGroup('vminsert');
  const selects = hostsInGroup('vmselect');
  const agents = hostsInGroup('vmagent');
  const lbInsert = hostsInGroup('lb_insert');
  const clusterHosts = [...storages, ...inserts, ...selects, ...agents];
  const read = await LabPath.read();
  const write = await LabPath.write();

  // --- the running processes' flags and how to authenticate to their admin routes -----------
  const resolvedFlags = new Map<string, Map<string, string>>();
  async function readFlags(host: LabHost): Promise<Map<string, string>> {
    const unit = vmUnits[vmGroupOf(host)]!;
    const cmd = await onHost(host.name, `tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value ${unit})/cmdline`);
    const flags = parseCmdlineFlags(cmd.stdout);
    const values = new Map<string, string>();
    for (const [name, list] of flags) {
      const value = list[list.length - 1]!;
      const file = flagFilePath(value);
      if (file && /AuthKey$|^httpAuth\./.test(name)) {
        const content = await onHost(host.name, `cat ${shellQuote(file)}`);
        values.set(name, content.stdout.trim());
      } else values.set(name, value);
    }
    resolvedFlags.set(host.name, values);
    return values;
  }
  for (const host of clusterHosts) await readFlags(host);
  const authOf = (host: LabHost, keyFlag: string): AdminAuth => adminAuth(resolvedFlags.get(host.name) ?? new Map(), keyFlag);

  /** HTTP on the host itself (127.0.0.1), as an operator on the machine; body and status. */
  async function local(host: LabHost, route: string, auth: AdminAuth, timeoutSeconds = 30): Promise<{ status: number; body: string }> {
    const port = vmPorts[vmGroupOf(host)]!;
    const url = withAuth(`http://127.0.0.1:${port}${route}`, auth);
    // Refused connections are expected while a service restarts: curl's complaint goes to /dev/null.
    const res = await onHost(host.name, `curl -sS --max-time ${timeoutSeconds} ${curlAuthArgs(auth)} -w '\\n%{http_code}' ${shellQuote(url)} 2>/dev/null`);
    const cut = res.stdout.lastIndexOf('\n');
    return { status: Number(res.stdout.slice(cut + 1)) || 0, body: cut >= 0 ? res.stdout.slice(0, cut) : res.stderr };
  }
  async function metricsOf(host: LabHost): Promise<MetricSample[]> {
    const res = await local(host, '/metrics', authOf(host, 'metricsAuthKey'));
    return res.status === 200 ? parseMetricsText(res.body) : [];
  }
  async function healthy(host: LabHost): Promise<boolean> {
    return (await local(host, '/health', { kind: 'none' }, 5)).status === 200;
  }

  // --- unit states before -------------------------------------------------------------------
  async function snapshotUnits(): Promise<UnitState[]> {
    const all: UnitState[] = [];
    for (const host of labHosts) {
      const show = await onHost(host.name, `systemctl show -p ${unitStateProperties.join(',')} ${unitsOf(host).join(' ')}`);
      all.push(...unitStates(host.name, show.stdout));
    }
    return all;
  }
  const before = await snapshotUnits();
  const inactiveBefore = before.filter((s) => s.activeState !== 'active');
  const crashedBefore = before.filter((s) => s.nRestarts > 0);
  measurements['units with NRestarts above 0 before the check (earlier crashes)'] = crashedBefore.map((s) => `${s.host}/${s.unit}=${s.nRestarts}`).join(', ') || 'none';
  step('start', 'every unit active', inactiveBefore.length === 0, overall(), inactiveBefore.map((s) => `${s.host}/${s.unit} ${s.activeState}/${s.subState}`).join('; ') || `${before.length} units`);
  const unhealthy: string[] = [];
  for (const host of [...storages, ...inserts, ...selects]) if (!(await healthy(host))) unhealthy.push(host.name);
  if (!step('start', 'every cluster service answers /health', unhealthy.length === 0, overall(), unhealthy.join(', ') || 'all 200')) {
    return finish();
  }

  try {
    // --- helpers on the read path -------------------------------------------------------------
    async function instant(query: string, time: number, extra: [string, string][] = []): Promise<{ status: number; body: PromResult | undefined; raw: string; seconds: number }> {
      const answer = await read.request('/api/v1/query', [['query', query], ['time', String(time)], ['nocache', '1'], ...extra], { timeoutSeconds: 90 });
      return { status: answer.status, body: json<PromResult>(answer), raw: answer.body, seconds: answer.seconds };
    }
    const scalarOf = (body: PromResult | undefined): number | undefined => {
      const result = body?.data?.result ?? [];
      if (body?.status !== 'success' || result.length !== 1) return result.length === 0 && body?.status === 'success' ? 0 : undefined;
      return Number(result[0]!.value?.[1]);
    };

    // A probe series of this run at fixed past timestamps: it must stay complete through every phase.
    const probeSamples = 60;
    const probeEnd = Math.floor(started / 10_000) * 10_000 - 60_000;
    const probeLines = syntheticImportLines(
      'vmha_loadcheck_probe',
      { run },
      Array.from({ length: probeSamples }, (_, i) => ({ ts: probeEnd - (probeSamples - 1 - i) * 10_000, value: i })),
    );
    const probeQuery = `count_over_time(vmha_loadcheck_probe{run="${run}"}[30m])`;
    const probeTime = Math.floor(probeEnd / 1000) + 1;
    async function probeComplete(phase: string, name: string): Promise<boolean> {
      const wait = await waitFor(30, async () => {
        const answer = await instant(probeQuery, probeTime);
        const count = scalarOf(answer.body);
        return { ok: count === probeSamples, value: `${count ?? answer.raw.slice(0, 160)}` };
      });
      return step(phase, name, wait.ok, wait.seconds, `probe ${wait.value} of ${probeSamples} samples`);
    }
    const probeWrite = await write.post('/api/v1/import/prometheus', `${probeLines.join('\n')}\n`);
    step('start', 'probe series written through the write DNS name', probeWrite.status === 204, probeWrite.seconds, `HTTP ${probeWrite.status} ${probeWrite.body.slice(0, 120)}`);
    await probeComplete('start', 'probe series read back complete');

    // --- 1. restarts with data on disk --------------------------------------------------------
    const storageInsertAddrs = storages.map((h) => `${h.address}:${labPorts.vmstorage_insert}`);
    const storageSelectAddrs = storages.map((h) => `${h.address}:${labPorts.vmstorage_select}`);
    async function clusterSeesAllStorages(): Promise<{ ok: boolean; value: string }> {
      const missing: string[] = [];
      for (const host of inserts) {
        const gone = unreachableStorageNodes(await metricsOf(host), 'vm_rpc_vmstorage_is_reachable', storageInsertAddrs);
        if (gone.length) missing.push(`${host.name} misses ${gone.join(',')}`);
      }
      for (const host of selects) {
        // A query on the vmselect itself uses (and re-dials) its connection to every vmstorage.
        const q = await local(host, `/select/0/prometheus/api/v1/query?query=${encodeURIComponent('count(up)')}&nocache=1`, authOf(host, ''));
        const body = (() => {
          try {
            return JSON.parse(q.body) as PromResult;
          } catch {
            return undefined;
          }
        })();
        if (q.status !== 200 || body?.status !== 'success' || body.isPartial === true) missing.push(`${host.name} query HTTP ${q.status} partial=${body?.isPartial}`);
        const gone = unreachableStorageNodes(await metricsOf(host), 'vm_tcpdialer_addr_available', storageSelectAddrs);
        if (gone.length) missing.push(`${host.name} misses ${gone.join(',')}`);
      }
      return { ok: missing.length === 0, value: missing.join('; ') || 'all vminserts and vmselects see all vmstorages' };
    }
    const initialView = await waitFor(30, clusterSeesAllStorages);
    step('restart', 'before: every vminsert and vmselect sees every vmstorage', initialView.ok, initialView.seconds, initialView.value);

    /** Restarts a unit and waits for /health and for every vminsert and vmselect to see every vmstorage. */
    async function restartAndRejoin(host: LabHost, unit: string): Promise<{ ok: boolean; healthy: boolean; detail: string; seconds: number }> {
      const t0 = Date.now();
      const restart = await onHost(host.name, `systemctl restart ${unit}`);
      restarted.add(unitKey(host.name, unit));
      const restartSeconds = (Date.now() - t0) / 1000;
      const health = await waitFor(60, async () => ({ ok: await healthy(host), value: '' }));
      const view = health.ok ? await waitFor(60, clusterSeesAllStorages) : { ok: false, value: 'no /health', seconds: 0 };
      if (health.ok) await readFlags(host);
      return {
        ok: restart.exitCode === 0 && health.ok && view.ok,
        healthy: health.ok,
        detail: `restart ${restartSeconds.toFixed(1)} s (rc ${restart.exitCode}${restart.stderr.trim() ? `: ${restart.stderr.trim()}` : ''}), /health after ${health.seconds.toFixed(1)} s, all storage nodes seen after ${view.seconds.toFixed(1)} s: ${view.value}`,
        seconds: (Date.now() - t0) / 1000,
      };
    }

    for (const host of [...storages, ...inserts, ...selects]) {
      const group = vmGroupOf(host);
      const unit = vmUnits[group]!;
      let data = '';
      if (group === 'vmstorage') {
        const du = await onHost(host.name, 'du -sb /var/lib/vmstorage | cut -f1');
        const bytes = Number(du.stdout.trim());
        measurements[`${host.name} data on disk before restart (MB)`] = Number((bytes / 1e6).toFixed(1));
        data = `data ${(bytes / 1e6).toFixed(1)} MB; `;
      }
      const result = await restartAndRejoin(host, unit);
      step('restart', `${host.name} ${unit} restarted with data on disk`, result.ok, result.seconds, data + result.detail);
      if (!result.healthy) break;
      await probeComplete('restart', `probe complete after restarting ${host.name}`);
    }

    // --- 2. heavy reads through the read DNS name ----------------------------------------------
    // The reads compare answers of different queries over the same time, so that time lies a minute
    // back: samples stamped in the last seconds still arrive (vmagent and vmalert send late) and
    // moved counts between two queries (CI: 19865 vs 19866 series; 19846 counted, 19848 exported).
    // The probe series ends a minute before the check started, so it stays inside.
    const T = Math.floor(Date.now() / 1000) - 65;
    const windowS = 300;
    const names = await instant('count(count by (__name__)({__name__=~".+"}))', T, [['step', `${windowS}s`]]);
    const nameCount = scalarOf(names.body);
    step('reads', 'count of metric names over every series answers', names.status === 200 && nameCount !== undefined && nameCount > 0 && names.body?.isPartial !== true, names.seconds, `HTTP ${names.status}, ${nameCount} names, partial=${names.body?.isPartial}; ${names.status === 200 ? '' : names.raw.slice(0, 200)}`);
    const seriesNow = await instant(`count(count_over_time({__name__=~".+"}[${windowS}s]))`, T);
    const seriesCount = scalarOf(seriesNow.body);
    measurements['series with a sample in the last 5 minutes'] = seriesCount ?? 'unknown';
    measurements['metric names with a sample in the last 5 minutes'] = nameCount ?? 'unknown';

    const labelValues = await read.request('/api/v1/label/__name__/values', [['start', String(T - windowS)], ['end', String(T)]], { method: 'GET' });
    const labelNames = json<{ status?: string; data?: string[] }>(labelValues)?.data ?? [];
    measurements['names from /api/v1/label/__name__/values (same window, per-day index)'] = labelNames.length;

    const exportStarted = Date.now();
    const exported = await read.request(
      '/api/v1/export',
      [['match[]', '{__name__=~".+"}'], ['start', (T - windowS + 0.001).toFixed(3)], ['end', String(T)]],
      { timeoutSeconds: 120 },
    );
    const exportSeconds = (Date.now() - exportStarted) / 1000;
    let exportOk = exported.status === 200;
    let exportDetail = `HTTP ${exported.status}, ${(exported.body.length / 1e6).toFixed(1)} MB in ${exportSeconds.toFixed(1)} s`;
    if (exportOk) {
      try {
        const series = parseExportLines(exported.body, 'export');
        const stats = exportStats(series, windowS / (scrapeIntervalMs / 1000) + 1);
        measurements['export: series'] = stats.series;
        measurements['export: samples'] = stats.samples;
        measurements['export: seconds'] = Number(exportSeconds.toFixed(1));
        measurements['export: MB'] = Number((exported.body.length / 1e6).toFixed(1));
        const exportedNames = [...stats.names];
        const notListed = exportedNames.filter((n) => !labelNames.includes(n));
        const upTargets = series.filter((s) => s.metric.__name__ === 'up' && s.metric.job === 'node_exporter').length;
        exportDetail += `; ${stats.series} series, ${stats.samples} samples, ${exportedNames.length} names`;
        step('reads', 'export of every series: as many live series as the query counts', stats.liveSeries === seriesCount, exportSeconds, `export ${stats.liveSeries} series with a sample (${stats.series} with staleness markers), count(count_over_time) ${seriesCount}`);
        step('reads', 'count of metric names equals the live names in the export', nameCount === stats.liveNames.size, 0, `query ${nameCount}, export ${stats.liveNames.size} names whose newest sample is not a staleness marker (${exportedNames.length} in all)`);
        step('reads', 'every exported name is in /api/v1/label/__name__/values', notListed.length === 0 && labelNames.length >= exportedNames.length, 0, `label values ${labelNames.length}; not listed: ${notListed.slice(0, 5).join(', ') || 'none'}`);
        step('reads', 'export: no duplicate series, none over the dedup bound, none empty', stats.duplicateSeries.length === 0 && stats.overfullSeries.length === 0 && stats.emptySeries === 0, 0, `duplicates ${stats.duplicateSeries.length}, over ${windowS / (scrapeIntervalMs / 1000) + 1} samples: ${stats.overfullSeries.length} ${JSON.stringify(stats.overfullSeries.slice(0, 2))}, empty ${stats.emptySeries}`);
        step('reads', `export: one up series per node_exporter target (${labHosts.length})`, upTargets === labHosts.length, 0, `${upTargets} up series`);
      } catch (error) {
        exportOk = false;
        exportDetail += `; ${(error as Error).message}`;
      }
    }
    step('reads', 'export of every series answers', exportOk, exportSeconds, exportDetail);

    // 30-day range queries: every series over 30 days, the targets' up series, the probe.
    const rangeStarted = Date.now();
    const monthStart = T - 30 * 86_400;
    const everySeries30d = await read.request(
      '/api/v1/query_range',
      [['query', 'count({__name__=~".+"})'], ['start', String(monthStart)], ['end', String(T)], ['step', '1h'], ['nocache', '1']],
      { timeoutSeconds: 120 },
    );
    const every30 = json<PromResult>(everySeries30d);
    const everyPoints = every30?.data?.result?.[0]?.values ?? [];
    const [lastEveryTs, lastEveryValue] = everyPoints.at(-1) ?? [0, 'NaN'];
    // The same count at the last point's time as an instant query with the same one-hour step
    // (its look-back window): the range and the instant engine must agree exactly.
    const sameHour = everyPoints.length ? scalarOf((await instant('count({__name__=~".+"})', lastEveryTs, [['step', '1h']])).body) : undefined;
    step('reads', '30-day range query over every series', everySeries30d.status === 200 && every30?.status === 'success' && every30.isPartial !== true && Number(lastEveryValue) === sameHour && (sameHour ?? 0) > 0, everySeries30d.seconds, `HTTP ${everySeries30d.status}, ${everyPoints.length} points, last ${lastEveryValue} series at ${lastEveryTs}; instant count over that hour ${sameHour}; ${everySeries30d.status === 200 ? '' : everySeries30d.body.slice(0, 160)}`);
    const up30d = await read.request('/api/v1/query_range', [['query', 'count(up{job="node_exporter"})'], ['start', String(monthStart)], ['end', String(T)], ['step', '1h'], ['nocache', '1']], { timeoutSeconds: 120 });
    const upPoints = json<PromResult>(up30d)?.data?.result?.[0]?.values ?? [];
    const upValues = upPoints.map(([, v]) => Number(v));
    step('reads', '30-day range query of up: never more than one series per target, all present now', up30d.status === 200 && upValues.length > 0 && upValues.every((v) => v <= labHosts.length) && upValues.at(-1) === labHosts.length, up30d.seconds, `${upValues.length} points, max ${Math.max(...upValues)}, last ${upValues.at(-1)} of ${labHosts.length}`);
    const probe30d = await instant(`count_over_time(vmha_loadcheck_probe{run="${run}"}[30d])`, T);
    step('reads', '30-day window over the probe counts every sample', scalarOf(probe30d.body) === probeSamples, probe30d.seconds, `${scalarOf(probe30d.body)} of ${probeSamples}`);
    measurements['30-day range queries: seconds'] = Number(((Date.now() - rangeStarted) / 1000).toFixed(1));

    // A query over -search.maxUniqueTimeseries must be refused with a clean error, vmselect alive.
    // When the configured limit (vmselect's; unset means vmstorage's, computed from its memory:
    // millions here) is above what the lab holds, both vmselects run with a lower one for this
    // phase only: a runtime drop-in (/run) with the same command line plus the flag, removed after.
    const limitStarted = Date.now();
    const configuredLimits = selects.map((h) => Number(resolvedFlags.get(h.name)?.get('search.maxUniqueTimeseries') ?? 0));
    const configured = Math.min(...configuredLimits.map((l) => (l > 0 ? l : Infinity)));
    const wanted = limitBelow(seriesCount && seriesCount > 0 ? seriesCount : 1, storages.length, labClusterSettings.replication_factor);
    const lower = !(configured <= wanted);
    const limit = lower ? wanted : configured;
    measurements['-search.maxUniqueTimeseries exercised'] = lower ? `${limit} (set for this phase; configured: ${Number.isFinite(configured) ? configured : 'vmstorage default'})` : `${limit} (configured)`;
    const dropInFile = '/run/systemd/system/vmselect.service.d/zz-vmha-load-check.conf';
    try {
      if (lower) {
        for (const host of selects) {
          const cmdline = await onHost(host.name, "tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value vmselect.service)/cmdline");
          const args = cmdline.stdout.split('\n').filter((a) => a !== '');
          const localFile = path.join(os.tmpdir(), `vmha-dropin-${process.pid}.conf`);
          await fs.writeFile(localFile, execStartDropIn(args, { 'search.maxUniqueTimeseries': String(limit) }, 'vmha load check: temporary, removed at its end'));
          await copyToHost(host.name, localFile, '/tmp/vmha-load-check.conf');
          await fs.remove(localFile);
          const placed = await onHost(host.name, `mkdir -p ${path.dirname(dropInFile)} && install -m 0600 /tmp/vmha-load-check.conf ${dropInFile} && rm -f /tmp/vmha-load-check.conf && systemctl daemon-reload`);
          const result = placed.exitCode === 0 ? await restartAndRejoin(host, 'vmselect.service') : { ok: false, detail: placed.stderr, seconds: 0 };
          const running = resolvedFlags.get(host.name)?.get('search.maxUniqueTimeseries');
          step('limit', `${host.name}: vmselect runs with -search.maxUniqueTimeseries=${limit}`, result.ok && running === String(limit), result.seconds, `flag ${running}; ${result.detail}`);
        }
      }
      const overQuery = 'count({__name__=~".+"})';
      const verdicts: string[] = [];
      let refusedAll = true;
      // Through the balancer (round robin over both vmselects) and on each vmselect directly.
      for (let i = 0; i < 4; i++) {
        const answer = await read.request('/api/v1/query', [['query', overQuery], ['time', String(T)], ['nocache', '1']]);
        const verdict = limitErrorVerdict(answer.status, answer.body);
        refusedAll &&= verdict.ok;
        if (i === 0 || !verdict.ok) verdicts.push(`read DNS name: ${verdict.reason}`);
      }
      for (const host of selects) {
        const answer = await local(host, `/select/0/prometheus/api/v1/query?query=${encodeURIComponent(overQuery)}&time=${T}&nocache=1`, authOf(host, ''));
        const verdict = limitErrorVerdict(answer.status, answer.body);
        refusedAll &&= verdict.ok;
        if (!verdict.ok) verdicts.push(`${host.name}: ${verdict.reason}`);
      }
      step('limit', `a query over -search.maxUniqueTimeseries=${limit} (${seriesCount} series) is refused cleanly`, refusedAll, (Date.now() - limitStarted) / 1000, verdicts.join('; '));
      const small = await instant('count(up{job="node_exporter"})', T);
      step('limit', 'a query under the limit still answers', scalarOf(small.body) === labHosts.length, small.seconds, `count(up) ${scalarOf(small.body)} of ${labHosts.length}`);
      const dead: string[] = [];
      for (const host of selects) if (!(await healthy(host))) dead.push(host.name);
      step('limit', 'every vmselect is alive after the refused queries', dead.length === 0, 0, dead.join(', ') || 'all answer /health');
    } finally {
      if (lower) {
        for (const host of selects) {
          const removed = await onHost(host.name, `rm -f ${dropInFile} && systemctl daemon-reload`);
          const result = await restartAndRejoin(host, 'vmselect.service');
          const running = resolvedFlags.get(host.name)?.get('search.maxUniqueTimeseries');
          const restored = running === (configuredLimits[selects.indexOf(host)]! > 0 ? String(configuredLimits[selects.indexOf(host)]) : undefined);
          step('limit', `${host.name}: vmselect back on its own flags`, removed.exitCode === 0 && result.ok && restored, result.seconds, `-search.maxUniqueTimeseries ${running ?? 'unset'}; ${result.detail}`);
        }
      }
    }
    measurements['limit phase: seconds'] = Number(((Date.now() - limitStarted) / 1000).toFixed(1));

    // --- 3. force merge and snapshots on every vmstorage --------------------------------------
    const partition = partitionPrefix(Date.now());
    const mergeStarted = Date.now();
    const mergeStarts: string[] = [];
    for (const host of storages) {
      const res = await local(host, `/internal/force_merge?partition_prefix=${partition}`, authOf(host, 'forceMergeAuthKey'));
      if (res.status !== 200) mergeStarts.push(`${host.name}: HTTP ${res.status} ${res.body.slice(0, 120)}`);
    }
    step('storage', `force merge of partition ${partition} accepted by every vmstorage`, mergeStarts.length === 0, 0, mergeStarts.join('; ') || 'HTTP 200 on all');
    const merged = await waitFor(
      120,
      async () => {
        const pending: string[] = [];
        for (const host of storages) {
          const log = await onHost(host.name, `journalctl -u vmstorage.service --since @${journalSince} --no-pager -o cat | grep -c 'forced merge for partition_prefix="${partition}" has been successfully finished'`);
          if (Number(log.stdout.trim()) < 1) pending.push(host.name);
        }
        return { ok: pending.length === 0, value: pending.join(', ') };
      },
      2000,
    );
    step('storage', 'force merge finished on every vmstorage', merged.ok, (Date.now() - mergeStarted) / 1000, merged.ok ? 'logged "successfully finished" on all' : `still merging or failed: ${merged.value}`);
    measurements['force merge: seconds'] = Number(((Date.now() - mergeStarted) / 1000).toFixed(1));
    await probeComplete('storage', 'probe complete after the force merge');

    for (const host of storages) {
      const t0 = Date.now();
      const auth = authOf(host, 'snapshotAuthKey');
      const dataPath = resolvedFlags.get(host.name)?.get('storageDataPath') ?? '/var/lib/vmstorage';
      try {
        const name = parseSnapshotCreate((await local(host, '/snapshot/create', auth, 60)).body);
        const listed = parseSnapshotList((await local(host, '/snapshot/list', auth)).body);
        const onDisk = await onHost(host.name, `test -d ${shellQuote(`${dataPath}/snapshots/${name}`)} && du -sb ${shellQuote(`${dataPath}/snapshots/${name}`)} | cut -f1`);
        parseSnapshotDelete((await local(host, `/snapshot/delete?snapshot=${encodeURIComponent(name)}`, auth)).body);
        const after = parseSnapshotList((await local(host, '/snapshot/list', auth)).body);
        const gone = await onHost(host.name, `test ! -e ${shellQuote(`${dataPath}/snapshots/${name}`)}`);
        const ok = listed.includes(name) && onDisk.exitCode === 0 && !after.includes(name) && gone.exitCode === 0;
        step('storage', `${host.name}: snapshot created, listed, deleted`, ok, (Date.now() - t0) / 1000, `${name}: listed ${listed.includes(name)}, on disk ${onDisk.exitCode === 0}, listed after delete ${after.includes(name)}, directory gone ${gone.exitCode === 0}`);
      } catch (error) {
        step('storage', `${host.name}: snapshot created, listed, deleted`, false, (Date.now() - t0) / 1000, (error as Error).message);
      }
    }

    // --- 4. vmagent restarted with a non-empty on-disk queue ----------------------------------
    const agent = agents[0]!;
    const agentFlags = resolvedFlags.get(agent.name) ?? new Map<string, string>();
    const queueDir = `${agentFlags.get('remoteWrite.tmpDataPath') ?? '/var/lib/vmagent/remotewrite-data'}/persistent-queue`;
    const pending = async () => metricSamples(await metricsOf(agent), 'vmagent_remotewrite_pending_data_bytes').reduce((sum, s) => sum + s.value, 0);
    const onDiskBytes = async () => Number((await onHost(agent.name, `find ${shellQuote(queueDir)} -type f ! -name '*.json' ! -name 'flock.lock' -printf '%s\\n' | awk '{s+=$1} END {print s+0}'`)).stdout.trim());
    const queueSamples = 60;
    const queueBatch = (batch: string, endMs: number) =>
      syntheticImportLines('vmha_loadcheck_queue', { run, batch }, Array.from({ length: queueSamples }, (_, i) => ({ ts: endMs - (queueSamples - 1 - i) * 10_000, value: i })));
    const batchEnd = Math.floor(Date.now() / 10_000) * 10_000 - 20_000;
    async function importIntoAgent(lines: string[]): Promise<number> {
      const local = path.join(os.tmpdir(), `vmha-queue-${process.pid}.txt`);
      await fs.writeFile(local, `${lines.join('\n')}\n`);
      await copyToHost(agent.name, local, '/tmp/vmha-queue.txt');
      await fs.remove(local);
      const res = await onHost(agent.name, `curl -sS -o /dev/null -w '%{http_code}' --data-binary @/tmp/vmha-queue.txt http://127.0.0.1:${labPorts.vmagent_http}/api/v1/import/prometheus; rm -f /tmp/vmha-queue.txt`);
      return Number(res.stdout.trim());
    }
    // The write balancers refuse this vmagent (TCP reset on input, so it sees "connection
    // refused"); everything else keeps writing. A table of the check's own, deleted afterwards.
    const block = `nft add table inet vmha_loadcheck && nft add chain inet vmha_loadcheck in '{ type filter hook input priority -10; }' && nft add rule inet vmha_loadcheck in ip saddr ${agent.address} tcp dport ${labPorts.lb_insert} reject with tcp reset`;
    const unblock = 'nft delete table inet vmha_loadcheck 2>/dev/null; true';
    const queueStarted = Date.now();
    try {
      const diskBaseline = await onDiskBytes();
      const blockErrors: string[] = [];
      for (const lb of lbInsert) {
        const blocked = await onHost(lb.name, block);
        if (blocked.exitCode !== 0) blockErrors.push(`${lb.name}: ${blocked.stderr.trim()}`);
      }
      step('vmagent', `${agent.name}: write path blocked (the write balancers refuse it)`, blockErrors.length === 0, 0, blockErrors.join('; ') || lbInsert.map((lb) => lb.name).join(', '));
      const statusA = await importIntoAgent(queueBatch('a', batchEnd));
      const filled = await waitFor(45, async () => {
        const [p, d] = [await pending(), await onDiskBytes()];
        return { ok: p > 0 && d > diskBaseline, value: { pending: p, disk: d } };
      }, 2000);
      measurements['vmagent queue before restart: pending bytes'] = filled.value.pending;
      measurements['vmagent queue before restart: bytes on disk'] = filled.value.disk;
      step('vmagent', `${agent.name}: queue fills on disk while blocked`, statusA === 204 && filled.ok, filled.seconds, `import HTTP ${statusA}; vmagent_remotewrite_pending_data_bytes ${filled.value.pending}, ${filled.value.disk} bytes in ${queueDir} (${diskBaseline} before)`);

      const t0 = Date.now();
      const restart = await onHost(agent.name, 'systemctl restart vmagent.service');
      restarted.add(unitKey(agent.name, 'vmagent.service'));
      const up = await waitFor(60, async () => ({ ok: (await local(agent, '/health', { kind: 'none' }, 5)).status === 200, value: '' }));
      const kept = await pending();
      measurements['vmagent queue after restart: pending bytes'] = kept;
      step('vmagent', `${agent.name}: restarted with the queue on disk, queue kept`, restart.exitCode === 0 && up.ok && kept > 0, (Date.now() - t0) / 1000, `restart rc ${restart.exitCode}, /health ${up.ok}, pending after restart ${kept} bytes`);
      await readFlags(agent);
      const statusB = await importIntoAgent(queueBatch('b', batchEnd - queueSamples * 10_000));
      step('vmagent', `${agent.name}: accepts samples while still blocked after the restart`, statusB === 204, 0, `import HTTP ${statusB}`);
    } finally {
      for (const lb of lbInsert) await onHost(lb.name, unblock);
    }
    const drained = await waitFor(90, async () => {
      const p = await pending();
      return { ok: p < 65_536, value: p };
    }, 2000);
    step('vmagent', `${agent.name}: queue drains once the write path is back`, drained.ok, drained.seconds, `pending ${drained.value} bytes`);
    const delivered = await waitFor(45, async () => {
      const counts: Record<string, number | undefined> = {};
      for (const batch of ['a', 'b']) {
        counts[batch] = scalarOf((await instant(`count_over_time(vmha_loadcheck_queue{run="${run}",batch="${batch}"}[1h])`, Math.floor(batchEnd / 1000) + 1)).body);
      }
      return { ok: counts.a === queueSamples && counts.b === queueSamples, value: counts };
    }, 3000);
    step('vmagent', 'nothing lost: every queued sample arrived exactly once', delivered.ok, delivered.seconds, `batch a ${delivered.value.a} of ${queueSamples} (queued before the restart), batch b ${delivered.value.b} of ${queueSamples} (after)`);
    measurements['vmagent queue test: seconds'] = Number(((Date.now() - queueStarted) / 1000).toFixed(1));
  } catch (error) {
    step('error', 'the check ran to its end', false, overall(), (error as Error).stack ?? String(error));
  }
  return finish();

  // --- verdict: units, journals, probe ------------------------------------------------------
  async function finish(): Promise<LoadCheckSummary> {
    const after = await snapshotUnits();
    const problems = compareUnitStates(before, after, restarted);
    step('end', `units: no restart by systemd (NRestarts did not grow), exactly the ${restarted.size} restarts the check made`, problems.length === 0, 0, problems.join('; ') || `${after.length} units checked`);
    const crashes: string[] = [];
    const denied: string[] = [];
    for (const host of clusterHosts) {
      const unit = vmUnits[vmGroupOf(host)]!;
      const journal = await onHost(host.name, `journalctl -u ${unit} --since @${journalSince} --no-pager -o cat`);
      crashes.push(...crashLines(journal.stdout).map((l) => `${host.name} ${unit}: ${l}`));
      denied.push(...deniedSyscallLines(journal.stdout).map((l) => `${host.name} ${unit}: ${l}`));
    }
    step('end', 'no journal of a VictoriaMetrics unit holds FATAL, panic or a crash', crashes.length === 0, 0, crashes.slice(0, 6).join('\n') || 'clean');
    step('end', 'no journal of a VictoriaMetrics unit shows a refused system call', denied.length === 0, 0, denied.slice(0, 6).join('\n') || 'clean');
    const totalSeconds = overall();
    step('end', `whole check within ${maxCheckSeconds} s`, totalSeconds <= maxCheckSeconds, totalSeconds, `${totalSeconds.toFixed(0)} s`);
    const own = checks.results.slice(firstCheck);
    const report: LoadReport = {
      startedAt,
      totalSeconds,
      passed: own.every((c) => c.ok),
      steps,
      checks: own,
      measurements,
    };
    await fs.mkdirp(reportsDir);
    await fs.writeFile(path.join(reportsDir, 'load-check.json'), renderLoadJson(report));
    await fs.writeFile(path.join(reportsDir, 'load-check.md'), renderLoadMarkdown(report));
    return { passed: report.passed, seconds: totalSeconds, report };
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const checks = new CheckRecorder();
  const summary = await runLoadCheck(checks);
  console.log(`load check: ${summary.passed ? 'passed' : 'FAILED'} in ${summary.seconds.toFixed(0)} s; report in reports/load-check.md`);
  process.exitCode = checks.report('load') ? 0 : 1;
}
