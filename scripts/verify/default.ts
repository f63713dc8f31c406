// Verify step of Molecule scenario `default`, and the smoke check of `npm run lab`: data flows
// end to end and deduplication works. Every node_exporter target's `up` series is queryable
// through the read DNS name (from a lab host, as Grafana queries it) with exactly one
// deduplicated series per target, and the cluster services answer /health.
import { hostsInGroup, labClusterSettings, labHosts, labPorts, labScheme, type LabGroup } from '../lib/lab-topology.js';
import { copyToHost, onHost } from './lab-client.js';
import { labCaFile, labCredentials } from './lab-credentials.js';
import { CheckRecorder } from './check-recorder.js';

const checks = new CheckRecorder();
const { read } = await labCredentials();
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
const deadline = Date.now() + 120_000; // the first scrapes need a few intervals to land
let response: QueryResponse | undefined;
let lastError = '';
while (Date.now() < deadline) {
  const query = await onHost(
    grafana.name,
    `curl -sf --max-time 10 --cacert ${clientCa} -u '${read.username}:${read.password}' --data-urlencode 'query=up{job="node_exporter"}' ${url}`,
  );
  try {
    response = JSON.parse(query.stdout) as QueryResponse;
    if (response.data.result.length >= labHosts.length) break;
    lastError = `${response.data.result.length} series so far`;
  } catch {
    lastError = query.stdout + query.stderr;
  }
  await new Promise((resolve) => setTimeout(resolve, 5000));
}
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

process.exitCode = checks.report('default') ? 0 : 1;
