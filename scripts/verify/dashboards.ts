// Dashboard check: every panel query of every dashboard the grafana role provisions runs through
// the read DNS name against the lab, as Grafana would send it (template variables resolved and
// expanded, $__interval/$__rate_interval/$__range from the dashboard's time range and the
// datasource's scrape interval), and must return fresh data. Grafana itself is not installed
// (its license rules it out here), so this stands in for opening each dashboard.
//
// Standalone: node --import ./scripts/register-ts.mjs scripts/verify/dashboards.ts
// From another verify script: await runDashboardCheck(checks)
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { fs, path } from 'zx';
import {
  customOptions,
  dashboardTargets,
  dashboardVariables,
  durationMs,
  interpolate,
  panelVerdict,
  parseVariableQuery,
  queryResultText,
  queryTiming,
  relativeTimeMs,
  selectDefault,
  variableOptions,
  type DashboardVariable,
  type PromResult,
  type VariableSelection,
} from '../lib/dashboards.js';
import { hostsInGroup } from '../lib/lab-topology.js';
import { CheckRecorder } from './check-recorder.js';
import { onHost } from './lab-client.js';
import { LabPath, json } from './lab-paths.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const repoDashboards = path.join(repoRoot, 'ansible/roles/grafana/files/dashboards');
const provisionedDir = '/etc/grafana/provisioning/dashboards/vmha';
const datasourceFile = '/etc/grafana/provisioning/datasources/vmha.yml';

export interface DashboardCheckSummary {
  dashboards: number;
  queries: number;
  failed: number;
  seconds: number;
}

interface Datasource {
  url: string;
  timeInterval: string;
}

async function provisionedDatasource(host: string): Promise<Datasource> {
  const file = await onHost(host, `cat ${datasourceFile}`);
  if (file.exitCode !== 0) throw new Error(`${host}:${datasourceFile}: ${file.stderr.trim()}`);
  const doc = yaml.load(file.stdout) as { datasources?: { url?: string; jsonData?: { timeInterval?: string } }[] };
  const ds = doc.datasources?.[0];
  if (!ds?.url) throw new Error(`${host}:${datasourceFile}: no datasource url`);
  return { url: ds.url, timeInterval: ds.jsonData?.timeInterval ?? '15s' };
}

/** Resolves one query variable against the read path, as Grafana's Prometheus datasource does. */
async function variableValues(read: LabPath, query: string, startS: number, endS: number): Promise<string[]> {
  const parsed = parseVariableQuery(query);
  const range: [string, string][] = [
    ['start', String(startS)],
    ['end', String(endS)],
  ];
  const list = async (route: string, params: [string, string][]) => {
    const answer = await read.request(route, [...params, ...range], { method: 'GET' });
    const body = json<{ status?: string; data?: string[] }>(answer);
    if (answer.status !== 200 || body?.status !== 'success' || !Array.isArray(body.data)) {
      throw new Error(`${route}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
    }
    return body.data;
  };
  switch (parsed.kind) {
    case 'label_values':
      return list(`/api/v1/label/${encodeURIComponent(parsed.label)}/values`, parsed.match ? [['match[]', parsed.match]] : []);
    case 'label_names':
      return list('/api/v1/labels', parsed.match ? [['match[]', parsed.match]] : []);
    case 'metrics': {
      const names = await list('/api/v1/label/__name__/values', []);
      const pattern = new RegExp(parsed.regex);
      return names.filter((n) => pattern.test(n));
    }
    case 'query_result': {
      const answer = await read.request('/api/v1/query', [['query', parsed.expr], ['time', String(endS)]]);
      const body = json<PromResult>(answer);
      if (answer.status !== 200 || body?.status !== 'success') throw new Error(`query_result: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
      return (body.data?.result ?? []).map((s) => queryResultText(s.metric, s.value?.[1] ?? '', Math.round((s.value?.[0] ?? 0) * 1000)));
    }
  }
}

async function resolveVariables(
  read: LabPath,
  variables: readonly DashboardVariable[],
  builtins: Record<string, string>,
  startS: number,
  endS: number,
): Promise<Map<string, VariableSelection>> {
  const selections = new Map<string, VariableSelection>();
  for (const variable of variables) {
    let options: string[];
    switch (variable.type) {
      case 'query': {
        const query = interpolate(variable.query, selections, builtins);
        options = variableOptions(await variableValues(read, query, startS, endS), variable.regex, variable.sort);
        break;
      }
      case 'custom':
      case 'interval':
        options = customOptions(variable.query);
        break;
      case 'datasource':
        options = ['vmha-victoriametrics'];
        break;
      case 'adhoc':
        continue; // ad-hoc filters add nothing to a query until a user picks one
      default:
        options = [];
    }
    selections.set(variable.name, selectDefault(variable, options));
  }
  return selections;
}

export async function runDashboardCheck(checks: CheckRecorder): Promise<DashboardCheckSummary> {
  const started = Date.now();
  const [grafana] = hostsInGroup('grafana');
  if (!grafana) throw new Error('lab topology has no grafana host');
  const read = await LabPath.read();
  const datasource = await provisionedDatasource(grafana.name);
  checks.expect(
    'dashboards: the provisioned datasource is the read path the check queries',
    datasource.url === read.baseUrl,
    `datasource ${datasource.url}, check ${read.baseUrl}`,
  );
  const scrapeIntervalMs = durationMs(datasource.timeInterval);

  // The dashboards Grafana would load: the provisioned copies, which must equal the role's files.
  const listing = await onHost(grafana.name, `ls ${provisionedDir}`);
  const provisioned = listing.stdout.split('\n').filter((f) => f.endsWith('.json')).sort();
  const shipped = (await fs.readdir(repoDashboards)).filter((f: string) => f.endsWith('.json')).sort();
  checks.expect('dashboards: every dashboard of the grafana role is provisioned', JSON.stringify(provisioned) === JSON.stringify(shipped), `provisioned ${provisioned.join(', ')}; role ${shipped.join(', ')}`);

  let queries = 0;
  let failed = 0;
  for (const file of provisioned) {
    const text = await onHost(grafana.name, `cat ${provisionedDir}/${file}`);
    let dashboard: { time?: { from?: string; to?: string } } & Record<string, unknown>;
    try {
      dashboard = JSON.parse(text.stdout) as typeof dashboard;
    } catch (error) {
      checks.expect(`${file}: provisioned dashboard is JSON`, false, String(error));
      failed += 1;
      continue;
    }
    if (shipped.includes(file)) {
      const own = JSON.parse(await fs.readFile(path.join(repoDashboards, file), 'utf8')) as unknown;
      checks.expect(`${file}: provisioned copy equals the role's file`, JSON.stringify(own) === JSON.stringify(dashboard), 'differs: re-run site.yml --tags grafana');
    }
    const nowMs = Date.now();
    const fromMs = nowMs - relativeTimeMs(dashboard.time?.from ?? 'now-6h');
    const toMs = nowMs - relativeTimeMs(dashboard.time?.to ?? 'now');
    const startS = Math.floor(fromMs / 1000);
    const endS = Math.floor(toMs / 1000);
    const dashboardTiming = queryTiming({ rangeMs: toMs - fromMs, scrapeIntervalMs });
    let selections: Map<string, VariableSelection>;
    try {
      selections = await resolveVariables(read, dashboardVariables(dashboard, file), dashboardTiming.builtins, startS, endS);
      const chosen = [...selections.values()].map((s) => `${s.name}=${s.all ? 'All' : s.values.join('+')}`).join(', ');
      checks.expect(`${file}: template variables resolve`, true, chosen);
    } catch (error) {
      checks.expect(`${file}: template variables resolve`, false, (error as Error).message);
      failed += 1;
      continue;
    }
    for (const target of dashboardTargets(dashboard, file)) {
      queries += 1;
      const label = `${file}: panel "${target.panelTitle}" ${target.refId}`;
      const timing = queryTiming({
        rangeMs: toMs - fromMs,
        scrapeIntervalMs,
        ...(target.maxDataPoints ? { maxDataPoints: target.maxDataPoints } : {}),
        ...(target.minInterval ? { minIntervalMs: durationMs(target.minInterval) } : {}),
      });
      let expr: string;
      try {
        expr = interpolate(target.expr, selections, timing.builtins);
      } catch (error) {
        failed += Number(!checks.expect(`${label} expands`, false, `${target.expr}: ${(error as Error).message}`));
        continue;
      }
      const stepS = timing.intervalMs / 1000;
      const answer = target.instant
        ? await read.request('/api/v1/query', [['query', expr], ['time', String(endS)]])
        : await read.request('/api/v1/query_range', [['query', expr], ['start', String(startS)], ['end', String(endS)], ['step', `${stepS}s`]]);
      const body = json<PromResult>(answer) ?? { status: 'error', error: `HTTP ${answer.status}: ${answer.body.slice(0, 200)}` };
      // Fresh: the newest point is at most a few steps (and at least two minutes) behind the end.
      const freshSeconds = Math.max(120, 3 * stepS, (3 * timing.rateIntervalMs) / 1000);
      const verdict = panelVerdict(body, endS, freshSeconds);
      failed += Number(!checks.expect(`${label} shows data`, verdict.ok, `${verdict.reason}; query: ${expr}`));
    }
  }
  const seconds = (Date.now() - started) / 1000;
  checks.expect(`dashboards: ${queries} panel queries checked`, queries > 0, 'no panel query found');
  return { dashboards: provisioned.length, queries, failed, seconds };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const checks = new CheckRecorder();
  const summary = await runDashboardCheck(checks);
  console.log(`dashboards: ${summary.dashboards} dashboards, ${summary.queries} queries, ${summary.failed} failed, ${summary.seconds.toFixed(1)} s`);
  process.exitCode = checks.report('dashboards') ? 0 : 1;
}
