// The tiers around the cluster: vmagent scrape cluster, write/read load balancers, DNS, Grafana
// provisioning, firewall, node_exporter, and the exposure of every unit vmha installs. Verify
// step of Molecule scenario `edge` (cluster roles skipped) and part of `default` (whole stack):
// it looks at the vmstorage host to tell which, and expects what each deploy should show.
// Checks behaviour on the running hosts, not that tasks ran; writes reports/unit-security.{json,md}.
import { fs, path } from 'zx';
import { hostsInGroup, labClusterSettings, labHosts, labPorts, labScheme, type LabHost } from '../lib/lab-topology.js';
import { exposureFailures, parseExposure, renderExposureMarkdown, type UnitExposure } from '../lib/unit-security.js';
import { http, onHost } from './lab-client.js';
import { labCa, labCredentials } from './lab-credentials.js';
import { CheckRecorder } from './check-recorder.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
// node_exporter, DNS and the firewall run on every host; the cluster services are not deployed.
const edgeHosts = labHosts;
const vmagents = hostsInGroup('vmagent');
const lbInsert = hostsInGroup('lb_insert');
const lbSelect = hostsInGroup('lb_select');
const [grafana] = hostsInGroup('grafana');
const [firstVmagent, secondVmagent] = vmagents;
if (!grafana || !firstVmagent || !secondVmagent) throw new Error('lab topology lacks grafana or two vmagents');
const [vmstorage] = hostsInGroup('vmstorage');
const [vminsert] = hostsInGroup('vminsert');
const [vmselect] = hostsInGroup('vmselect');
if (!vmstorage || !vminsert || !vmselect) throw new Error('lab topology lacks a cluster host');
const clusterDeployed = (await onHost(vmstorage.name, 'systemctl cat vmstorage.service >/dev/null')).exitCode === 0;
console.log(clusterDeployed ? 'cluster tiers deployed: whole-stack expectations' : 'cluster tiers not deployed: edge expectations');

/** The systemd units vmha installs on a host. */
function unitsOf(host: LabHost): string[] {
  const units = ['node_exporter.service', 'vmha-firewall.service'];
  if (clusterDeployed) {
    for (const app of ['vmstorage', 'vminsert', 'vmselect'] as const) if (host.groups.includes(app)) units.push(`${app}.service`);
  }
  if (host.groups.includes('vmagent')) units.push('vmagent.service');
  if (host.groups.includes('lb_insert') || host.groups.includes('lb_select')) units.push('nginx.service');
  return units;
}

const checks = new CheckRecorder();
const credentials = await labCredentials();
const ca = await labCa();

// 1. Services enabled and running, sockets listening.
for (const host of edgeHosts) {
  for (const unit of unitsOf(host)) {
    const state = await onHost(host.name, `systemctl is-enabled ${unit}; systemctl is-active ${unit}`);
    const lines = state.stdout.trim().split('\n');
    // The firewall is a oneshot that stays "active (exited)"; everything else is a daemon.
    checks.expect(`${host.name}: ${unit} enabled and active`, lines[0] === 'enabled' && lines[1] === 'active', state.stdout);
  }
  const ports: number[] = [labPorts.node_exporter];
  if (host.groups.includes('vmagent')) ports.push(labPorts.vmagent_http);
  if (host.groups.includes('lb_insert')) ports.push(labPorts.lb_insert);
  if (host.groups.includes('lb_select')) ports.push(labPorts.lb_select);
  const listening = await onHost(host.name, 'ss -ltnH');
  for (const port of ports) {
    checks.expect(`${host.name}: listening on :${port}`, new RegExp(`:${port}\\s`).test(listening.stdout), listening.stdout);
  }
}

// 2. node_exporter serves metrics to the scrapers (through the firewall, from a vmagent host).
for (const host of edgeHosts) {
  const metrics = await onHost(firstVmagent.name, `curl -sf --max-time 5 http://${host.address}:${labPorts.node_exporter}/metrics | grep -c '^node_'`);
  checks.expect(`${host.name}: node_exporter metrics reachable from ${firstVmagent.name}`, Number(metrics.stdout.trim()) > 50, metrics.stdout + metrics.stderr);
}

// 3. Scrape cluster: every node_exporter target is scraped by exactly two vmagents.
interface TargetsResponse {
  data: { activeTargets: { labels: Record<string, string>; health: string; scrapeUrl: string }[] };
}
const scrapersPerTarget = new Map<string, string[]>();
const healthByTarget = new Map<string, string[]>();
for (const agent of vmagents) {
  const targets = await onHost(agent.name, `curl -sf --max-time 5 http://127.0.0.1:${labPorts.vmagent_http}/api/v1/targets`);
  let parsed: TargetsResponse | undefined;
  try {
    parsed = JSON.parse(targets.stdout) as TargetsResponse;
  } catch {
    checks.expect(`${agent.name}: /api/v1/targets answers JSON`, false, targets.stdout + targets.stderr);
    continue;
  }
  for (const target of parsed.data.activeTargets.filter((t) => t.labels.job === 'node_exporter')) {
    const instance = target.labels.instance ?? target.scrapeUrl;
    scrapersPerTarget.set(instance, [...(scrapersPerTarget.get(instance) ?? []), agent.name]);
    healthByTarget.set(instance, [...(healthByTarget.get(instance) ?? []), target.health]);
  }
}
checks.expect(
  `scrape cluster: all ${labHosts.length} node_exporter targets assigned`,
  scrapersPerTarget.size === labHosts.length,
  [...scrapersPerTarget.keys()].join(', '),
);
for (const [instance, scrapers] of scrapersPerTarget) {
  checks.expect(`scrape cluster: ${instance} scraped by exactly 2 vmagents`, scrapers.length === 2, scrapers.join(', '));
}
for (const host of edgeHosts) {
  const health = healthByTarget.get(`${host.address}:${labPorts.node_exporter}`) ?? [];
  checks.expect(`scrape: ${host.name} node_exporter is up for its scrapers`, health.length === 2 && health.every((h) => h === 'up'), health.join(','));
}

// 4. vmagent writes with the write credentials (no 401); with no vminsert behind the load
//    balancers (edge) it queues on disk outside /tmp, with the cluster its writes succeed.
for (const agent of vmagents) {
  const unit = await onHost(agent.name, 'systemctl show vmagent.service -p ExecStart --value');
  checks.expect(`${agent.name}: queue under /var/lib/vmagent`, /-remoteWrite\.tmpDataPath=\/var\/lib\/vmagent/.test(unit.stdout), unit.stdout);
  if (labScheme === 'https') {
    checks.expect(`${agent.name}: trusts the lab CA for remote write`, /-remoteWrite\.tlsCAFile=\S+/.test(unit.stdout), unit.stdout);
  }
  checks.expect(`${agent.name}: queue size capped`, /-remoteWrite\.maxDiskUsagePerURL=\d+/.test(unit.stdout), unit.stdout);
  checks.expect(`${agent.name}: password not on the command line`, !unit.stdout.includes(credentials.write.password), 'password found in ExecStart');
  const metrics = await onHost(agent.name, `curl -sf --max-time 5 http://127.0.0.1:${labPorts.vmagent_http}/metrics | grep -E '^vmagent_remotewrite_requests_total'`);
  const reached = clusterDeployed ? /status_code="2(\d\d|XX)"/ : /status_code="5(\d\d|XX)"/;
  checks.expect(`${agent.name}: remote write reached ${clusterDeployed ? 'vminsert' : 'the load balancers'}`, reached.test(metrics.stdout), metrics.stdout);
  checks.expect(`${agent.name}: remote write was never refused for credentials`, !/status_code="401"/.test(metrics.stdout), metrics.stdout);
  if (!clusterDeployed) {
    const queued = await onHost(agent.name, 'du -sb /var/lib/vmagent/remotewrite-data | cut -f1');
    checks.expect(`${agent.name}: unsent samples kept on disk`, Number(queued.stdout.trim()) > 0, queued.stdout);
  }
}

// 5. Load balancers: health without credentials, 401 without or with wrong credentials, and an
//    authenticated request passed on to the (absent) backends instead of being refused.
for (const [hosts, port, prefix, good] of [
  [lbInsert, labPorts.lb_insert, '/insert/0/prometheus/api/v1/write', credentials.write],
  [lbSelect, labPorts.lb_select, '/select/0/prometheus/api/v1/query?query=up', credentials.read],
] as const) {
  for (const lb of hosts) {
    const base = `${labScheme}://${lb.address}:${port}`;
    const health = await http(`${base}/health`, { ca });
    checks.expect(`${lb.name}: /health answers 200 over ${labScheme} (certificate from the lab CA)`, health.status === 200, `${health.status} ${health.body.slice(0, 200)}`);
    if (labScheme === 'https') {
      const cleartext = await http(`http://${lb.address}:${port}${prefix}`, { method: 'POST', body: 'x', credentials: good });
      checks.expect(`${lb.name}: cleartext http with credentials is refused`, cleartext.status === 400 || cleartext.status === 0, String(cleartext.status));
      const untrusted = await http(`${base}/health`);
      checks.expect(`${lb.name}: a client without the lab CA does not trust the certificate`, untrusted.status === 0, untrusted.body.slice(0, 200));
    }
    const anonymous = await http(`${base}${prefix}`, { method: 'POST', body: 'x', ca });
    checks.expect(`${lb.name}: no credentials -> 401`, anonymous.status === 401, String(anonymous.status));
    const wrong = await http(`${base}${prefix}`, { method: 'POST', body: 'x', ca, credentials: { username: good.username, password: 'wrong-password-123456' } });
    checks.expect(`${lb.name}: wrong password -> 401`, wrong.status === 401, String(wrong.status));
    const other = await http(`${base}${prefix}`, { method: 'POST', body: 'x', ca, credentials: good === credentials.write ? credentials.read : credentials.write });
    checks.expect(`${lb.name}: the other path's credentials -> 401`, other.status === 401, String(other.status));
    const authorised = await http(`${base}${prefix}`, { method: 'POST', body: 'x', ca, credentials: good });
    if (clusterDeployed) {
      // The backend answers for itself: the body 'x' is no valid write (400), the query succeeds (200).
      checks.expect(`${lb.name}: right credentials pass to the backends`, ![0, 401, 403, 502, 503, 504].includes(authorised.status), `${authorised.status} ${authorised.body.slice(0, 200)}`);
    } else {
      checks.expect(`${lb.name}: right credentials pass to the backends (502/503/504 with none deployed)`, [502, 503, 504].includes(authorised.status), String(authorised.status));
    }
  }
}

// 6. DNS: each name resolves to both load balancers of its pair on the hosts that use it.
for (const [name, pair, clients] of [
  [labClusterSettings.write_dns_name, lbInsert, vmagents],
  [labClusterSettings.read_dns_name, lbSelect, [grafana]],
] as const) {
  for (const client of clients) {
    const resolved = await onHost(client.name, `getent ahostsv4 ${name} | awk '{print $1}' | sort -u`);
    const addresses = resolved.stdout.trim().split('\n').filter(Boolean).sort();
    checks.expect(`${client.name}: ${name} -> both load balancers`, JSON.stringify(addresses) === JSON.stringify(pair.map((h) => h.address).sort()), addresses.join(','));
  }
}

// 7. Grafana provisioning: datasource on the read DNS name with credentials kept private.
const datasource = await onHost(grafana.name, 'f=$(ls /etc/grafana/provisioning/datasources/*.y*ml | head -n1); stat -c %a "$f"; cat "$f"');
checks.expect('grafana: datasource points at the read DNS name', datasource.stdout.includes(`${labScheme}://${labClusterSettings.read_dns_name}:${labPorts.lb_select}/select/0/prometheus`), datasource.stdout.slice(0, 400));
if (labScheme === 'https') {
  checks.expect('grafana: datasource trusts the lab CA', /tlsAuthWithCACert: true/.test(datasource.stdout) && datasource.stdout.includes('BEGIN CERTIFICATE'), datasource.stdout.slice(0, 400));
}
checks.expect('grafana: datasource file is not world-readable', /^[0-7][0-7]0$/m.test(datasource.stdout.split('\n')[0] ?? ''), datasource.stdout.split('\n')[0] ?? '');
const dashboards = await onHost(grafana.name, 'for f in /etc/grafana/provisioning/dashboards/vmha/*.json; do [ -f "$f" ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\'panels\'] and d[\'uid\']" "$f" && echo ok; done');
checks.expect('grafana: three dashboards provisioned and valid JSON', (dashboards.stdout.match(/^ok$/gm) ?? []).length >= 3, dashboards.stdout + dashboards.stderr);

// 8. Tier isolation: node_exporter accepts scrapes from vmagents only.
const fromAgent = await onHost(secondVmagent.name, `curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://${firstVmagent.address}:${labPorts.node_exporter}/metrics`);
checks.expect(`firewall: ${secondVmagent.name} may scrape ${firstVmagent.name}:9100`, fromAgent.stdout === '200', fromAgent.stdout);
const fromGrafana = await onHost(grafana.name, `curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://${firstVmagent.address}:${labPorts.node_exporter}/metrics`);
checks.expect(`firewall: ${grafana.name} may not reach ${firstVmagent.name}:9100`, fromGrafana.stdout !== '200', fromGrafana.stdout);
// vmstorage's ports: vminsert may connect to 8400 and vmselect to 8401 (edge: refused, nothing
// listens; whole stack: vmstorage drops the HTTP request, curl 52/56), any other host is dropped
// (timeout).
const probe = (from: LabHost, port: number) =>
  onHost(from.name, `curl -s --max-time 3 http://${vmstorage.address}:${port}/ >/dev/null; echo $?`);
const CURL_REFUSED = '7';
const CURL_TIMEOUT = '28';
const reachedCodes = clusterDeployed ? ['52', '56'] : [CURL_REFUSED];
for (const [from, port, expected] of [
  [vminsert, labPorts.vmstorage_insert, CURL_REFUSED],
  [vmselect, labPorts.vmstorage_select, CURL_REFUSED],
  [grafana, labPorts.vmstorage_insert, CURL_TIMEOUT],
  [grafana, labPorts.vmstorage_select, CURL_TIMEOUT],
  [vminsert, labPorts.vmstorage_select, CURL_TIMEOUT],
  [firstVmagent, labPorts.vmstorage_insert, CURL_TIMEOUT],
] as const) {
  const result = await probe(from, port);
  const verdict = expected === CURL_REFUSED ? 'reaches' : 'is dropped at';
  const ok = expected === CURL_REFUSED ? reachedCodes.includes(result.stdout.trim()) : result.stdout.trim() === expected;
  checks.expect(`firewall: ${from.name} ${verdict} ${vmstorage.name}:${port}`, ok, `curl exit ${result.stdout.trim()}`);
}
const fromController = await http(`http://${firstVmagent.address}:${labPorts.vmagent_http}/metrics`, { timeoutMs: 3000 });
checks.expect(`firewall: this machine may not reach ${firstVmagent.name}:${labPorts.vmagent_http}`, fromController.status === 0, String(fromController.status));

// 9. Unit hardening: every unit vmha installs scores 2.0 or lower.
const exposures: UnitExposure[] = [];
for (const host of edgeHosts) {
  for (const unit of unitsOf(host)) {
    const analysis = await onHost(host.name, `systemd-analyze security ${unit} --no-pager`);
    try {
      exposures.push({ host: host.name, unit, ...parseExposure(analysis.stdout) });
    } catch (error) {
      checks.expect(`${host.name}: ${unit} exposure measured`, false, String(error));
    }
  }
}
for (const failure of exposureFailures(exposures)) {
  checks.expect(`${failure.host}: ${failure.unit} exposure ${failure.exposure} <= 2.0`, false, failure.verdict);
}
checks.expect('unit exposure measured for every unit', exposures.length === edgeHosts.reduce((n, h) => n + unitsOf(h).length, 0), String(exposures.length));
await fs.outputJson(path.join(repoRoot, 'reports/unit-security.json'), exposures, { spaces: 2 });
await fs.outputFile(path.join(repoRoot, 'reports/unit-security.md'), renderExposureMarkdown(exposures));

process.exitCode = checks.report(clusterDeployed ? 'tiers (whole stack)' : 'edge') ? 0 : 1;
