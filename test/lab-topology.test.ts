import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPONENTS, GROUPS, seedSize } from '../scripts/lib/components.js';
import { generateVars } from '../scripts/lib/inventory/read.js';
import yaml from 'js-yaml';
import {
  labClusterVars,
  labHostsInventory,
  newLabSecrets,
  parseLabSecrets,
  parsePartialLabSecrets,
  renderLabClusterVarsYaml,
  renderLabHostsYaml,
  renderLabSecretsYaml,
} from '../scripts/lib/lab-inventory.js';
import {
  findHost,
  hostsInGroup,
  isUsableLabAddress,
  labGroups,
  labHosts,
  labHostsOfSize,
  labMaxHostCount,
  labSeedHostCount,
  labSizeFromEnv,
  labTlsFiles,
  labImageTag,
  labNetwork,
  labReadUrl,
  labTlsSubjectAltNames,
  labWriteUrl,
} from '../scripts/lib/lab-topology.js';

describe('lab topology', () => {
  it('uses the fixed network', () => {
    expect(labNetwork).to.deep.equal({ name: 'vmha-lab', subnet: '10.213.0.0/24', gateway: '10.213.0.1' });
  });

  it('has unique host names and addresses, all usable inside the subnet', () => {
    expect(new Set(labHosts.map((h) => h.name)).size).to.equal(labHosts.length);
    expect(new Set(labHosts.map((h) => h.address)).size).to.equal(labHosts.length);
    for (const h of labHosts) expect(isUsableLabAddress(h.address), h.address).to.equal(true);
    expect(isUsableLabAddress(labNetwork.gateway)).to.equal(false);
    expect(isUsableLabAddress('10.213.1.11')).to.equal(false);
  });

  it('sizes each group as the seed architecture', () => {
    expect([...labGroups].sort()).to.deep.equal([...GROUPS].sort());
    for (const group of labGroups) {
      const lab = COMPONENTS[group].lab;
      const size = lab === 'every host' ? labHosts.length : seedSize(typeof lab === 'object' && 'on' in lab ? lab.on : group);
      expect(hostsInGroup(group).length, group).to.equal(size);
    }
    expect([hostsInGroup('vmstorage').length, hostsInGroup('vmagent').length, hostsInGroup('grafana').length]).to.deep.equal([3, 3, 1]);
    // the HA alerting pair: each of its hosts runs vmalert and alertmanager
    expect(hostsInGroup('alertmanager').map((h) => [h.name, h.address, h.groups])).to.deep.equal([
      ['alert-1', '10.213.0.81', ['vmalert', 'alertmanager', 'node_exporter']],
      ['alert-2', '10.213.0.82', ['vmalert', 'alertmanager', 'node_exporter']],
    ]);
  });

  it('places hosts on their documented addresses', () => {
    expect(findHost('vmstorage-1').address).to.equal('10.213.0.11');
    expect(findHost('vminsert-2').address).to.equal('10.213.0.22');
    expect(findHost('lb-insert-1').groups).to.include('lb_insert');
    expect(findHost('vmagent-3').address).to.equal('10.213.0.63');
    expect(findHost('grafana-1').address).to.equal('10.213.0.71');
    expect(() => findHost('nope')).to.throw(/no lab host named 'nope'/);
  });

  it('derives the write and read URLs from the first load balancers', () => {
    expect(labWriteUrl()).to.equal('https://10.213.0.41:8480/insert/0/prometheus');
    expect(labReadUrl()).to.equal('https://10.213.0.51:8481/select/0/prometheus');
  });

  it('tags the image by recipe content, independent of file order', () => {
    const a = { name: 'packages.txt', content: 'systemd\n' };
    const b = { name: 'build.sh', content: 'echo\n' };
    expect(labImageTag([a, b])).to.equal(labImageTag([b, a]));
    expect(labImageTag([a, b])).to.match(/^vmha-lab-base:[0-9a-f]{12}$/);
    expect(labImageTag([a, { ...b, content: 'echo 2\n' }])).to.not.equal(labImageTag([a, b]));
  });
});

describe('lab inventory', () => {
  it('renders hosts.yml in the contract format', () => {
    const key = '/repo/.lab/ssh/id_ed25519';
    const parsed = yaml.load(renderLabHostsYaml(key)) as ReturnType<typeof labHostsInventory>;
    expect(parsed).to.deep.equal(labHostsInventory(key));
    const children = parsed.all.children;
    expect(Object.keys(children)).to.have.members(labGroups as string[]);
    expect(children.vmstorage?.hosts?.['vmstorage-2']).to.deep.equal({
      ansible_host: '10.213.0.12',
      ansible_user: 'root',
      ansible_ssh_private_key_file: key,
      ansible_ssh_common_args: '-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR',
      vmha_address: '10.213.0.12',
    });
    // node_exporter covers every host through the component groups.
    const viaChildren = Object.keys(children.node_exporter?.children ?? {}).flatMap((g) =>
      Object.keys(children[g as keyof typeof children]?.hosts ?? {}),
    );
    expect([...new Set(viaChildren)].sort()).to.deep.equal(labHosts.map((h) => h.name).sort());
  });

  it('puts both DNS names and every load balancer address on the lab certificate', () => {
    expect(labTlsSubjectAltNames()).to.deep.equal([
      'DNS:write.vmha.internal',
      'DNS:read.vmha.internal',
      'IP:10.213.0.41',
      'IP:10.213.0.42',
      'IP:10.213.0.51',
      'IP:10.213.0.52',
    ]);
    expect(labWriteUrl()).to.equal('https://10.213.0.41:8480/insert/0/prometheus');
  });

  it('renders the lab cluster settings as vmha_ variables', () => {
    const vars = yaml.load(renderLabClusterVarsYaml('/lab/tls')) as Record<string, unknown>;
    expect(vars).to.deep.equal(labClusterVars('/lab/tls'));
    expect(vars).to.include({ vmha_tls_enabled: true, vmha_tls_ca_file: '/lab/tls/ca.crt', vmha_tls_cert_file: '/lab/tls/lb.crt' });
    expect(vars).to.include({
      vmha_scrape_interval: '5s',
      vmha_dedup_interval: '5s',
      vmha_retention: '2M',
      vmha_replication_factor: 2,
      vmha_write_dns_name: 'write.vmha.internal',
      vmha_read_dns_name: 'read.vmha.internal',
      vmha_auth_enabled: true,
      vmha_firewall_enabled: true,
      vmha_manage_dns: true,
      vmha_victoriametrics_download_url: 'http://127.0.0.1:18480/victoriametrics',
      vmha_node_exporter_download_url: 'http://127.0.0.1:18480/node_exporter',
      vmha_grafana_package_url: '',
    });
    for (const key of Object.keys(vars)) expect(key).to.match(/^vmha_/);
    // No clear-text password in vmha.yml: it references secrets.yml.
    expect(vars.vmha_write_password).to.equal('{{ vault_vmha_write_password }}');
    expect(vars.vmha_read_password).to.equal('{{ vault_vmha_read_password }}');
    expect(vars.vmha_snapshot_auth_key).to.equal('{{ vault_vmha_snapshot_auth_key }}');
    // backups of every vmstorage go to the lab's S3 server, with the vaulted secret key
    expect(vars.vmha_backup_destination).to.equal('s3://vmha-backups');
    expect(vars.vmha_backup_s3_endpoint).to.equal('http://10.213.0.91:8333');
    expect(vars.vmha_backup_s3_secret_access_key).to.equal('{{ vault_vmha_backup_s3_secret_access_key }}');
  });

  it('generates strong secrets and reads them back', () => {
    let n = 0;
    const secrets = newLabSecrets((size) => Uint8Array.from({ length: size }, () => n++ % 256));
    expect(secrets.vmha_write_password).to.have.length(32);
    expect(secrets.vmha_write_password).to.not.equal(secrets.vmha_read_password);
    const text = renderLabSecretsYaml(secrets);
    expect(yaml.load(text)).to.include.keys('vault_vmha_write_password', 'vault_vmha_read_password', 'vault_vmha_delete_auth_key');
    // the load balancer passwords, the 11 component secrets and the backup store's S3 secret
    expect(Object.keys(yaml.load(text) as object)).to.have.length(14);
    expect(new Set(Object.values(secrets)).size).to.equal(14);
    expect(parseLabSecrets(text, 'secrets.yml')).to.deep.equal(secrets);
    expect(parseLabSecrets('vault_vmha_write_password: short\n', 'secrets.yml')).to.equal(undefined);
    // an older secrets.yml (load balancer passwords only) keeps its passwords and gains the rest
    const old = 'vault_vmha_write_password: abcdefghijklmnopq\nvault_vmha_read_password: bcdefghijklmnopqr\n';
    const partial = parsePartialLabSecrets(old, 'secrets.yml');
    expect(parseLabSecrets(old, 'secrets.yml')).to.equal(undefined);
    const completed = newLabSecrets((size) => new Uint8Array(size).fill(7), partial);
    expect(completed.vmha_write_password).to.equal('abcdefghijklmnopq');
    expect(completed.vmha_metrics_auth_key).to.have.length(32);
    expect(() => parseLabSecrets('a: [', 'x/secrets.yml')).to.throw(/x\/secrets\.yml: not valid YAML/);
  });
});

describe('lab size (VMHA_LAB_HOSTS)', () => {
  it('is the seed topology unless a size is given, and refuses sizes it cannot lay out', () => {
    expect(labSizeFromEnv(undefined)).to.equal(labSeedHostCount);
    expect(labSizeFromEnv('60')).to.equal(60);
    for (const bad of ['5', '60.5', 'sixty', String(labMaxHostCount + 1)]) {
      expect(() => labSizeFromEnv(bad), bad).to.throw(/VMHA_LAB_HOSTS/);
    }
    expect(labHostsOfSize(labSeedHostCount).map((h) => h.name)).to.deep.equal(labHosts.map((h) => h.name));
  });

  it('grows vmstorages and vmagents by one per 10 added hosts, the rest plain targets, all on unique usable addresses', () => {
    const hosts = labHostsOfSize(60);
    expect(hosts).to.have.length(60);
    expect(hostsInGroup('vmstorage', hosts)).to.have.length(3 + 4);
    expect(hostsInGroup('vmagent', hosts)).to.have.length(3 + 4);
    expect(hostsInGroup('vminsert', hosts)).to.have.length(2);
    const targets = hosts.filter((h) => h.groups.length === 1);
    expect(targets).to.have.length(60 - labSeedHostCount - 8);
    expect(targets.every((h) => h.groups[0] === 'node_exporter' && h.name.startsWith('target-'))).to.equal(true);
    expect(new Set(hosts.map((h) => h.address)).size).to.equal(60);
    expect(hosts.every((h) => isUsableLabAddress(h.address))).to.equal(true);
  });

  it('writes an inventory of 60 hosts that validates and lists the plain targets under node_exporter', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vmha-lab-60-'));
    try {
      const hosts = labHostsOfSize(60);
      mkdirSync(path.join(dir, 'group_vars', 'all'), { recursive: true });
      writeFileSync(path.join(dir, 'hosts.yml'), renderLabHostsYaml('/lab/ssh/id_ed25519', hosts));
      // the TLS files only have to exist on the controller for the validation
      for (const file of Object.values(labTlsFiles)) writeFileSync(path.join(dir, file), '');
      writeFileSync(path.join(dir, 'group_vars/all/vmha.yml'), renderLabClusterVarsYaml(dir));
      writeFileSync(path.join(dir, 'group_vars/all/secrets.yml'), renderLabSecretsYaml(newLabSecrets((n) => randomBytes(n))));
      const generated = generateVars(dir);
      expect(generated.report.errors, JSON.stringify(generated.report.errors)).to.deep.equal([]);
      const parsed = yaml.load(renderLabHostsYaml('/k', hosts)) as ReturnType<typeof labHostsInventory>;
      expect(Object.keys(parsed.all.children.node_exporter?.hosts ?? {})).to.include('target-1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
