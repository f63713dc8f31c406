// `npm run generate`: derived role variables, deterministic bytes, --check, the example inventory.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { describeDifference, GENERATED_HEADER, toVictoriaMetricsRetention } from '../scripts/lib/inventory/derive.js';
import { generateFromSources } from '../scripts/lib/inventory/index.js';
import { checkGenerated, generateVars, readPins, resolveCliPath, validateInventory, VERSIONS_FILE } from '../scripts/lib/inventory/read.js';
import { SEED_SIZES, syntheticInventory } from '../scripts/lib/inventory/synthetic.js';
import { inlineSources } from './fixtures/inventory-sources.js';

const pins = readPins();
const exampleDir = path.join(path.dirname(VERSIONS_FILE), 'inventories', 'example');

const sources = inlineSources;

describe('inventory generate', () => {
  const base = syntheticInventory();
  const result = generateFromSources(sources(base.hostsYml, base.vmhaYml));
  const vars = result.vars as Record<string, any>;

  it('derives the storage node lists, replication factor and dedup interval', () => {
    expect(vars.vminsert_storage_nodes).to.deep.equal(['10.0.0.18:8400', '10.0.0.19:8400', '10.0.0.20:8400']);
    expect(vars.vmselect_storage_nodes).to.deep.equal(['10.0.0.18:8401', '10.0.0.19:8401', '10.0.0.20:8401']);
    expect(vars.vminsert_replication_factor).to.equal(2);
    expect(vars.vmselect_replication_factor).to.equal(2);
    expect(vars.vmselect_dedup_min_scrape_interval).to.equal('15s');
    expect(vars.vmstorage_dedup_min_scrape_interval).to.equal('15s');
  });

  it('converts the retention to VictoriaMetrics syntax', () => {
    expect(vars.vmstorage_retention_period).to.equal('2');
    expect(toVictoriaMetricsRetention('2M')).to.equal('2');
    expect(toVictoriaMetricsRetention('1y')).to.equal('1y');
    expect(toVictoriaMetricsRetention('30d')).to.equal('30d');
    expect(toVictoriaMetricsRetention('720h')).to.equal('720h');
  });

  it('derives vmagent members, remote write URL and scrape jobs', () => {
    expect(vars.vmagent_cluster_members_count).to.equal(3);
    expect(vars.vmagent_cluster_member_nums).to.deep.equal({ 'vmagent-1': 0, 'vmagent-2': 1, 'vmagent-3': 2 });
    expect(vars.vmagent_cluster_replication_factor).to.equal(2);
    expect(vars.vmagent_remote_write_url).to.equal('http://vm-write.example.internal:8480/insert/0/prometheus/api/v1/write');
    expect(Object.keys(vars.vmagent_scrape_jobs).sort()).to.deep.equal(['node_exporter', 'vmagent', 'vminsert', 'vmselect', 'vmstorage']);
    // every host of the seed inventory
    expect(vars.vmagent_scrape_jobs.node_exporter).to.have.length(Object.values(SEED_SIZES).reduce((a, b) => a + b, 0));
    expect(vars.vmagent_scrape_jobs.vmstorage).to.deep.equal(['10.0.0.18:8482', '10.0.0.19:8482', '10.0.0.20:8482']);
    expect(vars.vmagent_scrape_jobs.vmagent[0]).to.equal('10.0.0.11:8429');
  });

  it('keeps secrets out: credentials are Jinja references', () => {
    const text = result.text!;
    expect(text).to.not.include('vault_vmha');
    expect(vars.vmagent_remote_write_password).to.equal('{{ vmha_write_password }}');
    expect(vars.grafana_datasource_password).to.equal('{{ vmha_read_password }}');
    expect(vars.nginx_lb_sites[0].password).to.equal('{{ vmha_write_password }}');
    const strong = generateFromSources(sources(base.hostsYml, base.vmhaYml.replace('"{{ vault_vmha_read_password }}"', 'k3J9-xq7Lm2pZ8vR4tW')));
    expect(strong.text).to.not.include('k3J9-xq7Lm2pZ8vR4tW');
  });

  it('derives component secrets as Jinja references, one file-backed flag each', () => {
    expect(vars.vminsert_http_auth_username).to.equal('vmha');
    expect(vars.vminsert_auth_secrets).to.deep.equal({
      'httpAuth.password': '{{ vmha_vminsert_password }}',
      metricsAuthKey: '{{ vmha_metrics_auth_key }}',
      pprofAuthKey: '{{ vmha_pprof_auth_key }}',
      flagsAuthKey: '{{ vmha_flags_auth_key }}',
    });
    expect(vars.vmselect_auth_secrets.deleteAuthKey).to.equal('{{ vmha_delete_auth_key }}');
    expect(vars.vmselect_auth_secrets['search.resetCacheAuthKey']).to.equal('{{ vmha_reset_cache_auth_key }}');
    expect(vars.vmstorage_auth_secrets.snapshotAuthKey).to.equal('{{ vmha_snapshot_auth_key }}');
    expect(vars.vmstorage_auth_secrets.forceMergeAuthKey).to.equal('{{ vmha_force_merge_auth_key }}');
    expect(vars.vmstorage_auth_secrets.forceFlushAuthKey).to.equal('{{ vmha_force_flush_auth_key }}');
    expect(vars.nginx_lb_sites.map((s: any) => [s.backend_username, s.backend_password])).to.deep.equal([
      ['vmha', '{{ vmha_vminsert_password }}'],
      ['vmha', '{{ vmha_vmselect_password }}'],
    ]);
    expect(vars.vmagent_scrape_auth_key).to.equal('{{ vmha_metrics_auth_key }}');
    expect(vars.vmagent_scrape_auth_jobs).to.deep.equal(['vminsert', 'vmselect', 'vmstorage']);
    const off = generateFromSources(sources(base.hostsYml, base.vmhaYml + 'vmha_auth_enabled: false\n')).vars as Record<string, any>;
    expect(off.vmselect_auth_secrets).to.deep.equal({});
    expect(off.vmselect_http_auth_username).to.equal('');
    expect(off.vmagent_scrape_auth_jobs).to.deep.equal([]);
  });

  it('derives load balancer sites, DNS records and the Grafana datasource', () => {
    expect(vars.nginx_lb_sites.map((s: any) => [s.name, s.group, s.listen_port, s.path_prefix])).to.deep.equal([
      ['vmha-insert', 'lb_insert', 8480, '/insert/'],
      ['vmha-select', 'lb_select', 8481, '/select/'],
    ]);
    expect(vars.nginx_lb_sites[0].upstreams).to.deep.equal(['10.0.0.16:8480', '10.0.0.17:8480']);
    expect(vars.dns_records).to.deep.equal({
      'vm-write.example.internal': ['10.0.0.14', '10.0.0.15'],
      'vm-read.example.internal': ['10.0.0.23', '10.0.0.24'],
    });
    expect(vars.dns_manage).to.equal(true);
    expect(vars.grafana_datasource_url).to.equal('http://vm-read.example.internal:8481/select/0/prometheus');
  });

  it('derives firewall rules: each port only from the tiers that use it', () => {
    const agents = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];
    const rules = vars.firewall_group_rules;
    expect(rules.vmstorage).to.deep.equal([
      { port: 8400, sources: ['10.0.0.16', '10.0.0.17'] },
      { port: 8401, sources: ['10.0.0.21', '10.0.0.22'] },
      { port: 8482, sources: agents },
    ]);
    expect(rules.vminsert).to.deep.equal([{ port: 8480, sources: [...agents, '10.0.0.14', '10.0.0.15'] }]);
    expect(rules.vmselect).to.deep.equal([{ port: 8481, sources: [...agents, '10.0.0.23', '10.0.0.24'] }]);
    expect(rules.node_exporter).to.deep.equal([{ port: 9100, sources: agents }]);
    expect(rules.vmagent).to.deep.equal([{ port: 8429, sources: agents }]);
    expect(rules.lb_insert).to.deep.equal([{ port: 8480, sources: ['0.0.0.0/0'] }]);
    expect(vars.firewall_enabled).to.equal(true);
  });

  it('derives the alerting groups\' ports, firewall rules and scrape jobs only when the inventory has them', () => {
    // the alerting hosts first: their addresses stay when a tier is added
    const alerting = syntheticInventory({ vmalert: 2, alertmanager: 2, ...SEED_SIZES });
    const v = generateFromSources(sources(alerting.hostsYml, alerting.vmhaYml)).vars as Record<string, any>;
    const agents = ['10.0.0.15', '10.0.0.16', '10.0.0.17'];
    expect(v.firewall_group_rules.vmalert).to.deep.equal([{ port: 8880, sources: agents }]);
    expect(v.firewall_group_rules.alertmanager).to.deep.equal([
      { port: 9093, sources: ['10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14', ...agents] },
      { port: 9094, sources: ['10.0.0.13', '10.0.0.14'] },
    ]);
    expect(v.vmagent_scrape_jobs.vmalert).to.deep.equal(['10.0.0.11:8880', '10.0.0.12:8880']);
    expect(v.vmagent_scrape_jobs.alertmanager).to.deep.equal(['10.0.0.13:9093', '10.0.0.14:9093']);
    expect(v.vmagent_scrape_auth_jobs).to.deep.equal(['vminsert', 'vmselect', 'vmstorage', 'vmalert']);
    expect([v.vmalert_http_port, v.alertmanager_http_port, v.alertmanager_cluster_port]).to.deep.equal([8880, 9093, 9094]);
    // vmalert's rules expect every target of every scrape job
    const targets = Object.fromEntries(Object.entries(v.vmagent_scrape_jobs as Record<string, string[]>).map(([job, t]) => [job, t.length]));
    expect(v.vmalert_expected_targets).to.deep.equal(targets).and.include({ vmalert: 2, alertmanager: 2 });
    expect(vars).to.not.have.any.keys('vmalert_http_port', 'alertmanager_http_port', 'alertmanager_cluster_port');
    expect(vars.firewall_group_rules).to.not.have.any.keys('vmalert', 'alertmanager');
    expect(v.vmha_group_services.alertmanager).to.deep.equal({ unit: 'alertmanager', role: 'alertmanager', url: 'http://127.0.0.1:9093/-/ready' });
    expect(vars.vmha_group_services).to.not.have.any.keys('vmalert', 'alertmanager');
  });

  it('names the unit, role and health URL service_health checks for each group', () => {
    const services = vars.vmha_group_services as Record<string, { unit: string; role: string; url: string }>;
    expect(services.vmstorage).to.deep.equal({ unit: 'vmstorage', role: 'vmstorage', url: 'http://127.0.0.1:8482/health' });
    expect(services.node_exporter).to.deep.equal({ unit: 'node_exporter', role: 'node_exporter', url: 'http://127.0.0.1:9100/' });
    expect(services.lb_select).to.deep.equal({ unit: 'nginx', role: 'nginx_lb', url: '' });
    expect(services.grafana).to.deep.equal({ unit: 'grafana-server', role: 'grafana', url: 'http://127.0.0.1:3000/api/health' });
    expect(Object.keys(services)).to.have.length(8);
  });

  it('takes ports, versions and URLs from the settings', () => {
    const custom = generateFromSources(
      sources(
        base.hostsYml,
        base.vmhaYml +
          'vmha_ports: {vmstorage_insert: 9400, lb_insert: 443}\nvmha_tls_enabled: true\nvmha_tls_cert_file: c.pem\nvmha_tls_key_file: c.key\n' +
          'vmha_victoriametrics_download_url: http://127.0.0.1:18480\n',
      ),
    ).vars as Record<string, any>;
    expect(custom.vminsert_storage_nodes[0]).to.equal('10.0.0.18:9400');
    expect(custom.vmstorage_vminsert_port).to.equal(9400);
    expect(custom.vmagent_remote_write_url).to.equal('https://vm-write.example.internal:443/insert/0/prometheus/api/v1/write');
    expect(custom.vmha_artifact_victoriametrics_url).to.equal('http://127.0.0.1:18480');
    expect(custom.vmha_artifact_victoriametrics_version).to.equal(pins.victoriametrics.version);
    expect(custom.nginx_lb_tls_enabled).to.equal(true);
    expect(custom.nginx_lb_tls_cert_file).to.equal('c.pem');
    expect(custom.grafana_datasource_url).to.match(/^https:/);
  });

  it('switches clients to https and hands them the CA when TLS is on', () => {
    const tls = 'vmha_tls_enabled: true\nvmha_tls_cert_file: /pki/lb.crt\nvmha_tls_key_file: /pki/lb.key\nvmha_tls_ca_file: /pki/ca.crt\n';
    const tlsVars = generateFromSources(sources(base.hostsYml, base.vmhaYml + tls)).vars as Record<string, any>;
    expect(tlsVars.vmagent_remote_write_url).to.match(/^https:\/\//);
    expect(tlsVars.grafana_datasource_url).to.match(/^https:\/\//);
    expect(tlsVars.vmagent_remote_write_tls_ca_file).to.equal('/pki/ca.crt');
    expect(tlsVars.grafana_datasource_tls_ca_file).to.equal('/pki/ca.crt');
    expect(vars.vmagent_remote_write_tls_ca_file).to.equal('');
  });

  it('uses explicit vmagent member numbers', () => {
    let hosts = base.hostsYml;
    ['vmagent-1', 'vmagent-2', 'vmagent-3'].forEach((name, i) => {
      hosts = hosts.replace(`${name}:\n`, `${name}:\n          vmha_vmagent_member_num: ${2 - i}\n`);
    });
    const v = generateFromSources(sources(hosts, base.vmhaYml)).vars as Record<string, any>;
    expect(v.vmagent_cluster_member_nums).to.deep.equal({ 'vmagent-1': 2, 'vmagent-2': 1, 'vmagent-3': 0 });
  });

  it('is deterministic: the same bytes on every run and for reordered input', () => {
    const again = generateFromSources(sources(base.hostsYml, base.vmhaYml)).text;
    expect(again).to.equal(result.text);
    const reorderedVars = base.vmhaYml.split('\n').filter(Boolean).reverse().join('\n') + '\n';
    expect(generateFromSources(sources(base.hostsYml, reorderedVars)).text).to.equal(result.text);
    expect(result.text!.startsWith(GENERATED_HEADER)).to.equal(true);
    expect(GENERATED_HEADER).to.match(/npm run generate/).and.match(/DO NOT EDIT/);
  });

  it('sorts hosts naturally (vmstorage-2 before vmstorage-10)', () => {
    let hosts = base.hostsYml.replace('vmstorage-3:', 'vmstorage-10:');
    const v = generateFromSources(sources(hosts, base.vmhaYml)).vars as Record<string, any>;
    expect(v.vminsert_storage_nodes).to.deep.equal(['10.0.0.18:8400', '10.0.0.19:8400', '10.0.0.20:8400']);
    hosts = hosts.replace('vmstorage-1:', 'vmstorage-11:');
    const w = generateFromSources(sources(hosts, base.vmhaYml)).vars as Record<string, any>;
    expect(w.vminsert_storage_nodes).to.deep.equal(['10.0.0.19:8400', '10.0.0.20:8400', '10.0.0.18:8400']);
  });

  it('refuses to generate from an invalid inventory', () => {
    const bad = generateFromSources(sources(base.hostsYml, base.vmhaYml.replace('15s\nvmha_retention', '30s\nvmha_retention')));
    expect(bad.report.ok).to.equal(false);
    expect(bad.text).to.equal(undefined);
  });

  it('describes what differs in a stale file', () => {
    const stale = result.text!.replace('vmagent_scrape_interval: 15s', 'vmagent_scrape_interval: 30s');
    expect(describeDifference(stale, result.vars!)).to.deep.equal(['changed: vmagent_scrape_interval: "30s" -> "15s"']);
    expect(describeDifference('', result.vars!)).to.deep.equal(['the file is empty']);
  });

  describe('the example inventory', () => {
    it('validates with exit status 0 (no errors; one warning: its vault file is only an example)', () => {
      const report = validateInventory(exampleDir);
      expect(report.errors).to.deep.equal([]);
      expect(report.warnings.map((w) => w.rule)).to.deep.equal(['secrets-unchecked']);
    });
    it('has an up-to-date committed zz-generated.yml', () => {
      const generated = generateVars(exampleDir);
      expect(checkGenerated(generated)).to.deep.equal({ upToDate: true, differences: [] });
      expect(yaml.load(readFileSync(generated.generatedPath, 'utf8'))).to.deep.equal(JSON.parse(JSON.stringify(generated.vars)));
    });
    it('accepts the hosts file path as inventory', () => {
      expect(validateInventory(path.join(exampleDir, 'hosts.yml')).ok).to.equal(true);
    });
    it('reports a bad path clearly', () => {
      expect(() => validateInventory('/nonexistent/inventory')).to.throw(/does not exist/);
      expect(() => validateInventory(path.dirname(exampleDir))).to.throw(/has no hosts.yml/);
    });
    it('resolves -i against the caller directory under npm run', () => {
      expect(resolveCliPath('inv', { INIT_CWD: '/home/op' }, '/work/main')).to.equal('/home/op/inv');
      expect(resolveCliPath('inv', { INIT_CWD: '/work/main' }, '/work/main')).to.equal('inv');
      expect(resolveCliPath('/abs/inv', { INIT_CWD: '/home/op' }, '/work/main')).to.equal('/abs/inv');
    });
  });
});
