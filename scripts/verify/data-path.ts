// The data path end to end, part of Molecule scenario `default` and the smoke check of
// `npm run lab`: the cluster services answer /health; every node_exporter target's `up` series is
// queryable through the read DNS name (from a lab host, as Grafana queries it) with exactly one
// deduplicated series per target; a probe series of this check's own, written through the write
// DNS name, reads back complete; a write that the load balancers refuse changes nothing.
import { sleep } from 'zx';
import { pollUntil } from '../lib/poll.js';
import { hostsInGroup, labClusterSettings, labHosts, labPorts, labScheme, type LabGroup } from '../lib/lab-topology.js';
import { copyToHost, onHost } from './lab-client.js';
import { labCaFile, labCredentials, labSecrets } from './lab-credentials.js';
import { CheckRecorder } from './check-recorder.js';

const checks = new CheckRecorder();
const { read, write } = await labCredentials();
const [grafana] = hostsInGroup('grafana');
if (!grafana) throw new Error('lab topology has no grafana host');

// Cluster services answer /health on every host of their tier (checked from a host allowed in).
const healthPorts: [LabGroup, number][] = [
  ['vmstorage', labPorts.vmstorage_http],
  ['vminsert', labPorts.vminsert_http],
  ['vmselect', labPorts.vmselect_http],
];
for (const [group, port] of healthPorts) {
  for (const host of hostsInGroup(group)) {
    const health = await onHost(host.name, `curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:${port}/health`);
    checks.expect(`${host.name}: /health answers 200`, health.stdout === '200', health.stdout);
  }
}

// `up` per node_exporter target through the read DNS name; the vmagents scrape every target
// twice, so more than one series per target means deduplication (or labels) went wrong.
interface QueryResponse {
  status: string;
  isPartial?: boolean;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}
const url = `${labScheme}://${labClusterSettings.read_dns_name}:${labPorts.lb_select}/select/0/prometheus/api/v1/query`;
// Grafana's host queries as Grafana does: through the read DNS name, trusting the lab CA.
const clientCa = '/root/vmha-lab-ca.pem';
await copyToHost(grafana.name, labCaFile, clientCa);
let response: QueryResponse | undefined;
let lastError = '';
const queryUp = async (): Promise<number> => {
  const query = await onHost(
    grafana.name,
    `curl -sf --max-time 10 --cacert ${clientCa} -u '${read.username}:${read.password}' --data-urlencode 'query=up{job="node_exporter"}' ${url}`,
  );
  try {
    response = JSON.parse(query.stdout) as QueryResponse;
    const up = response.data.result.filter((s) => s.value[1] === '1').length;
    lastError = `${response.data.result.length} series so far, ${up} up`;
    return up;
  } catch {
    lastError = query.stdout + query.stderr;
    return 0;
  }
};
// the first scrapes need a few intervals to land, and right after a deploy a scrape may still
// fail (the firewall just started, a vmagent just restarted): wait until every target is up
await pollUntil(queryUp, (up) => up >= labHosts.length, { everyMs: 5000, seconds: 120 });
const series = response?.data.result ?? [];
checks.expect('query through the read DNS name answers', response?.status === 'success', lastError);
checks.expect('answer is complete (isPartial false)', response?.isPartial !== true, String(response?.isPartial));
for (const host of labHosts) {
  const instance = `${host.address}:${labPorts.node_exporter}`;
  const matching = series.filter((s) => s.metric.instance === instance);
  checks.expect(`${host.name}: exactly one deduplicated up series`, matching.length === 1, JSON.stringify(matching.map((s) => s.metric)));
  checks.expect(`${host.name}: target is up`, matching[0]?.value[1] === '1', JSON.stringify(matching[0]?.value));
}

// Deduplication: two vmagents scrape each target, so without dedup a minute holds about twice
// 60 s / scrape interval samples. With -dedup.minScrapeInterval equal to the interval, at most
// one sample per interval (+1 for the window edge) survives.
const intervalSeconds = Number.parseInt(labClusterSettings.scrape_interval, 10);
const perMinute = await onHost(
  grafana.name,
  `curl -sf --max-time 10 --cacert ${clientCa} -u '${read.username}:${read.password}' --data-urlencode 'query=count_over_time(up{job="node_exporter"}[60s])' ${url}`,
);
try {
  const counts = (JSON.parse(perMinute.stdout) as QueryResponse).data.result;
  const limit = 60 / intervalSeconds + 1;
  const tooMany = counts.filter((s) => Number(s.value[1]) > limit);
  checks.expect(`dedup: no target has more than ${limit} samples a minute`, counts.length > 0 && tooMany.length === 0, JSON.stringify(tooMany.slice(0, 3)));
} catch {
  checks.expect('dedup: count_over_time query answers', false, perMinute.stdout + perMinute.stderr);
}

// A probe series of our own: 60 samples one dedup interval apart (closer ones would be merged), written through the write DNS name from a
// vmagent host (as vmagent writes), read back complete through the read DNS name. nocache=1:
// vmselect's rollup cache may hold an earlier, partial answer for these freshly written old timestamps.
const [writer] = hostsInGroup('vmagent');
if (!writer) throw new Error('lab topology has no vmagent host');
await copyToHost(writer.name, labCaFile, clientCa);
const writeBase = `${labScheme}://${labClusterSettings.write_dns_name}:${labPorts.lb_insert}/insert/0/prometheus`;
const readBase = url.replace(/\/api\/v1\/query$/, '');
const run = `${Date.now()}`;
const probeSamples = 60;
const stepMs = Number.parseInt(labClusterSettings.dedup_interval, 10) * 1000;
const firstMs = Math.floor(Date.now() / stepMs) * stepMs - probeSamples * stepMs;
const probeLines = Array.from({ length: probeSamples }, (_, i) => `vmha_probe_default{run="${run}"} ${i} ${firstMs + i * stepMs}`).join('\n');
const curlAs = (who: string) => `curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert ${clientCa} ${who}`;
const wrote = await onHost(writer.name, `printf '%s\n' '${probeLines}' | ${curlAs(`-u '${write.username}:${write.password}'`)} --data-binary @- ${writeBase}/api/v1/import/prometheus`);
checks.expect(`probe: ${probeSamples} samples written through ${labClusterSettings.write_dns_name}`, wrote.stdout === '204', wrote.stdout + wrote.stderr);
const exportProbe = `curl -sf --max-time 10 --cacert ${clientCa} -u '${read.username}:${read.password}' --data-urlencode 'match[]=vmha_probe_default{run="${run}"}' --data-urlencode nocache=1 ${readBase}/api/v1/export`;
const exportedSamples = async (): Promise<number> => {
  const exported = await onHost(grafana.name, exportProbe);
  return exported.stdout.split('\n').filter(Boolean).reduce((n, line) => n + ((JSON.parse(line) as { values: number[] }).values.length), 0);
};
const readBack = (await pollUntil(exportedSamples, (n) => n >= probeSamples, { everyMs: 1000, seconds: 30 })).value;
checks.expect(`probe: all ${probeSamples} samples read back through ${labClusterSettings.read_dns_name}`, readBack === probeSamples, `${readBack} read back`);

// A refused write changes nothing. Every writer (the vmagents, and the vmalerts, which write
// recording rules and alert state) is stopped for the few seconds of this check (on stop vmagent
// keeps its queue on disk and sends it after), so that every vmstorage's
// vm_rows_inserted_total can be compared before and after: no credentials, wrong ones and the
// read path's, against both write load balancers, must add no row and no series.
const secrets = await labSecrets();
const writerUnits = [
  ...hostsInGroup('vmagent').map((host) => ({ host, unit: 'vmagent' })),
  ...hostsInGroup('vmalert').map((host) => ({ host, unit: 'vmalert' })),
];
const setWriters = (action: 'stop' | 'start') => Promise.all(writerUnits.map(({ host, unit }) => onHost(host.name, `systemctl ${action} ${unit}`)));
// Rows taken in: vm_rows_inserted_total on every vminsert, vm_rows_received_by_storage_total on every vmstorage.
const rowCounters = async (): Promise<number[]> =>
  Promise.all(
    [
      ...hostsInGroup('vminsert').map((host) => [host, labPorts.vminsert_http, '^vm_rows_inserted_total'] as const),
      ...hostsInGroup('vmstorage').map((host) => [host, labPorts.vmstorage_http, '^vm_rows_received_by_storage_total'] as const),
    ].map(async ([host, port, pattern]) => {
      const metrics = await onHost(host.name, `curl -sf --max-time 5 'http://127.0.0.1:${port}/metrics?authKey=${encodeURIComponent(secrets.vmha_metrics_auth_key)}' | grep -E '${pattern}'`);
      const lines = metrics.stdout.split('\n').filter(Boolean);
      return lines.length === 0 ? Number.NaN : lines.reduce((n, line) => n + Number(line.split(' ').at(-1)), 0);
    }),
  );
const rejectedName = `vmha_probe_rejected_${run}`;
const seriesCount = async (): Promise<number> => {
  const out = await onHost(grafana.name, `curl -sf --max-time 10 --cacert ${clientCa} -u '${read.username}:${read.password}' --data-urlencode 'match[]={__name__=~"vmha_probe_rejected_.*"}' --data-urlencode nocache=1 ${readBase}/api/v1/series`);
  try {
    return (JSON.parse(out.stdout) as { data: unknown[] }).data.length;
  } catch {
    return -1;
  }
};
await setWriters('stop');
try {
  // Writes already acknowledged leave vminsert's buffers within about 200 ms: wait until the counters rest.
  let before = await rowCounters();
  await sleep(1000);
  await pollUntil(rowCounters, (now) => {
    const resting = JSON.stringify(now) === JSON.stringify(before);
    before = now;
    return resting;
  }, { everyMs: 1000, attempts: 20 });
  const seriesBefore = await seriesCount();
  const refused: string[] = [];
  for (const lb of hostsInGroup('lb_insert')) {
    const target = `${labScheme}://${lb.address}:${labPorts.lb_insert}/insert/0/prometheus/api/v1/import/prometheus`;
    for (const [who, auth] of [
      ['no credentials', ''],
      ['a wrong password', `-u '${write.username}:not-the-password-0123456789'`],
      ["the read path's credentials", `-u '${read.username}:${read.password}'`],
    ] as const) {
      const answer = await onHost(writer.name, `printf '${rejectedName}{lb="${lb.name}"} 1\n' | ${curlAs(auth)} --data-binary @- ${target}`);
      checks.expect(`${lb.name}: write with ${who} -> 401`, answer.stdout === '401', answer.stdout + answer.stderr);
      refused.push(answer.stdout);
    }
  }
  await sleep(2000);
  const after = await rowCounters();
  checks.expect('refused writes: rows taken in unchanged on every vminsert and vmstorage', before.every((n) => n > 0) && JSON.stringify(after) === JSON.stringify(before), `before ${before.join(',')} after ${after.join(',')}`);
  const seriesAfter = await seriesCount();
  checks.expect('refused writes: no new series', seriesBefore === 0 && seriesAfter === 0, `before ${seriesBefore} after ${seriesAfter}`);
} finally {
  await setWriters('start');
}

process.exitCode = checks.report('data path') ? 0 : 1;
