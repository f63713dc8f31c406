// Rules of `npm run validate`: each with a passing and a failing case.
import { expect } from 'chai';
import yaml from 'js-yaml';
import { validateSources, type InventorySources, type ValidationReport } from '../scripts/lib/inventory/index.js';
import { readPins } from '../scripts/lib/inventory/read.js';
import { passwordWeakness, retentionHours } from '../scripts/lib/inventory/rules.js';
import { syntheticInventory } from '../scripts/lib/inventory/synthetic.js';
import { didYouMean, levenshtein } from '../scripts/lib/inventory/did-you-mean.js';
import { indexKeyLines } from '../scripts/lib/inventory/yaml-source.js';

const pins = readPins();
const base = syntheticInventory();
type Obj = Record<string, any>;

export function makeSources(hostsYml: string, vmhaYml: string, extra: Record<string, string> = {}): InventorySources {
  return {
    hosts: { path: 'inv/hosts.yml', text: hostsYml },
    groupVars: [
      { path: 'inv/group_vars/all/vmha.yml', text: vmhaYml },
      ...Object.entries(extra).map(([name, text]) => ({ path: `inv/group_vars/all/${name}`, text })),
    ],
    settingsFile: 'inv/group_vars/all/vmha.yml',
    pins,
  };
}

function withHosts(mutate: (h: Obj) => void): string {
  const data = yaml.load(base.hostsYml) as Obj;
  mutate(data);
  return yaml.dump(data);
}

function withVars(overrides: Obj): string {
  const data = { ...(yaml.load(base.vmhaYml) as Obj) };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete data[k];
    else data[k] = v;
  }
  return yaml.dump(data);
}

function run(hostsYml = base.hostsYml, vmhaYml = base.vmhaYml, extra?: Record<string, string>): ValidationReport {
  return validateSources(makeSources(hostsYml, vmhaYml, extra));
}

/** Warnings other than the one about secrets that could not be resolved (the seed vaults them). */
function realWarnings(report: ValidationReport) {
  return report.warnings.filter((w) => w.rule !== 'secrets-unchecked');
}

function rules(findings: { rule: string }[]): string[] {
  return findings.map((f) => f.rule);
}

function expectError(report: ValidationReport, rule: string, text?: RegExp) {
  expect(report.ok, JSON.stringify(report.errors)).to.equal(false);
  const match = report.errors.find((e) => e.rule === rule && (!text || text.test(e.message)));
  expect(match, `expected a ${rule} error matching ${text}, got ${JSON.stringify(report.errors, null, 1)}`).to.not.equal(undefined);
  expect(match!.file).to.be.a('string').and.not.equal('');
  expect(match!.fix).to.be.a('string').and.not.equal('');
  return match!;
}

const group = (h: Obj, g: string) => h.all.children[g] as Obj;

describe('inventory validation rules', () => {
  it('accepts the seed topology; says once that the vaulted secrets were not checked', () => {
    const report = run();
    expect(report.errors).to.deep.equal([]);
    expect(rules(report.warnings)).to.deep.equal(['secrets-unchecked']);
    expect(report.ok).to.equal(true);
  });

  describe('groups-ha-sized', () => {
    it('fails when a group is missing, naming the group', () => {
      const e = expectError(run(withHosts((h) => delete h.all.children.grafana)), 'groups-ha-sized', /grafana (is missing|has no hosts)/);
      expect(e.file).to.equal('inv/hosts.yml');
      expect(e.line).to.be.a('number');
    });
    for (const g of ['vminsert', 'vmselect', 'vmagent', 'lb_insert', 'lb_select']) {
      it(`fails with one ${g} host and names its line`, () => {
        const hosts = withHosts((h) => {
          const entries = Object.entries(group(h, g).hosts);
          group(h, g).hosts = Object.fromEntries(entries.slice(0, 1));
        });
        const e = expectError(run(hosts), 'groups-ha-sized', new RegExp(`${g} has 1 host`));
        expect(e.line).to.equal(hosts.split('\n').findIndex((l) => l.trim() === `${g}:`) + 1);
      });
    }
    it('rejects one vmstorage with RF 1 (single point of failure) unless the inventory says so', () => {
      const hosts = withHosts((h) => (group(h, 'vmstorage').hosts = { 'vmstorage-1': { ansible_host: '10.0.0.200' } }));
      const report = run(hosts, withVars({ vmha_replication_factor: 1 }));
      const e = expectError(report, 'replication-factor', /single point of failure/);
      expect(e.line).to.equal(1);
      expect(e.fix).to.not.match(/replication_factor: 1|lower/);
      expectError(report, 'groups-ha-sized', /vmstorage has 1 host/);
      const allowed = run(hosts, withVars({ vmha_replication_factor: 1, vmha_allow_single_points_of_failure: true }));
      expect(allowed.errors).to.deep.equal([]);
      expect(rules(allowed.warnings)).to.include.members(['replication-factor', 'groups-ha-sized']);
    });
    it('rejects a single vminsert with a fix that adds one, never one that removes', () => {
      const hosts = withHosts((h) => delete group(h, 'vminsert').hosts['vminsert-2']);
      const e = expectError(run(hosts), 'groups-ha-sized', /single point of failure/);
      expect(e.fix).to.match(/^add 1 more host/);
    });
    it('fails with an empty grafana group', () => {
      expectError(run(withHosts((h) => (group(h, 'grafana').hosts = {}))), 'groups-ha-sized', /grafana has no hosts/);
    });
    it('counts node_exporter members through children', () => {
      const hosts = withHosts((h) => (group(h, 'node_exporter').children = {}));
      expectError(run(hosts), 'groups-ha-sized', /node_exporter has no hosts/);
    });
  });

  describe('replication-factor', () => {
    it('fails when RF exceeds the vmstorage count (one vmstorage, RF 2)', () => {
      const hosts = withHosts((h) => (group(h, 'vmstorage').hosts = { 'vmstorage-1': { ansible_host: '10.0.0.200' } }));
      const e = expectError(run(hosts), 'replication-factor', /only 1 vmstorage/);
      expect(e.file).to.equal('inv/group_vars/all/vmha.yml');
      expect(e.line).to.equal(1);
    });
    it('warns (exit 0) when vmstorages are fewer than 2*RF-1', () => {
      const hosts = withHosts((h) => delete group(h, 'vmstorage').hosts['vmstorage-3']);
      const report = run(hosts);
      expect(report.ok).to.equal(true);
      expect(rules(report.warnings)).to.include('replication-factor');
    });
    it('rejects RF 0 through the schema', () => {
      expectError(run(undefined, withVars({ vmha_replication_factor: 0 })), 'replication-factor');
    });
    it('passes RF 3 with 5 vmstorages without warning', () => {
      const hosts = withHosts((h) => {
        group(h, 'vmstorage').hosts['vmstorage-4'] = { ansible_host: '10.0.0.204' };
        group(h, 'vmstorage').hosts['vmstorage-5'] = { ansible_host: '10.0.0.205' };
      });
      const report = run(hosts, withVars({ vmha_replication_factor: 3 }));
      expect(report.errors).to.deep.equal([]);
      expect(realWarnings(report)).to.deep.equal([]);
    });
  });

  describe('dedup-interval', () => {
    it('fails when the dedup interval differs from the scrape interval', () => {
      expectError(run(undefined, withVars({ vmha_dedup_interval: '30s' })), 'dedup-interval', /differs/);
    });
    it('accepts equal durations written differently', () => {
      expect(run(undefined, withVars({ vmha_scrape_interval: '1m', vmha_dedup_interval: '60s' })).ok).to.equal(true);
    });
    it('rejects a malformed interval', () => {
      expectError(run(undefined, withVars({ vmha_scrape_interval: '15 seconds' })), 'dedup-interval');
    });
  });

  describe('retention', () => {
    for (const good of ['24h', '1d', '2w', '2M', '1y', '720h']) {
      it(`accepts ${good}`, () => expect(run(undefined, withVars({ vmha_retention: good })).ok).to.equal(true));
    }
    for (const bad of ['23h', '2', '2m', '1.5M', 'forever', '0d']) {
      it(`rejects ${bad}`, () => expectError(run(undefined, withVars({ vmha_retention: bad })), 'retention'));
    }
    it('converts units to hours like VictoriaMetrics', () => {
      expect(retentionHours('1M')).to.equal(744);
      expect(retentionHours('1y')).to.equal(8760);
    });
  });

  describe('pinned-version', () => {
    it('rejects a v prefix', () => {
      expectError(run(undefined, withVars({ vmha_version: 'v1.151.0' })), 'pinned-version');
    });
    it('rejects a per-component version', () => {
      expectError(run(undefined, withVars({ vmstorage_version: '1.150.0' })), 'pinned-version', /vmstorage_version/);
    });
    it('accepts the pinned version and warns about another one', () => {
      expect(realWarnings(run(undefined, withVars({ vmha_version: pins.victoriametrics.version })))).to.deep.equal([]);
      const report = run(undefined, withVars({ vmha_version: '1.149.0' }));
      expect(report.ok).to.equal(true);
      expect(rules(report.warnings)).to.include('pinned-version');
    });
  });

  describe('unique-addresses and host-address', () => {
    it('fails when two hosts share an address', () => {
      const hosts = withHosts((h) => (group(h, 'vminsert').hosts['vminsert-2'].ansible_host = group(h, 'vminsert').hosts['vminsert-1'].ansible_host));
      expectError(run(hosts), 'unique-addresses', /vminsert-1 and vminsert-2/);
    });
    it('accepts one host listed in several groups', () => {
      const hosts = withHosts((h) => (group(h, 'grafana').hosts = { 'lb-select-1': null }));
      expect(run(hosts).errors).to.deep.equal([]);
    });
    it('fails when a host has no IPv4 address', () => {
      const hosts = withHosts((h) => (group(h, 'grafana').hosts['grafana-1'] = { ansible_host: 'grafana.lan' }));
      expectError(run(hosts), 'host-address', /not an IPv4/);
    });
    it('accepts a name in ansible_host with vmha_address', () => {
      const hosts = withHosts((h) => (group(h, 'grafana').hosts['grafana-1'] = { ansible_host: 'vmha-grafana-1', vmha_address: '10.213.0.99' }));
      expect(run(hosts).errors).to.deep.equal([]);
    });
    it('merges a host listed in two groups as Ansible does (the later value wins)', () => {
      const hosts = withHosts((h) => (group(h, 'grafana').hosts = { 'lb-select-1': { ansible_host: '10.9.9.9' } }));
      expect(run(hosts).errors).to.deep.equal([]);
    });
    for (const [addr, why] of [['0.0.0.0', /any address/], ['127.0.0.1', /loopback/]] as const) {
      it(`rejects vmha_address ${addr}`, () => {
        const hosts = withHosts((h) => (group(h, 'grafana').hosts['grafana-1'].vmha_address = addr));
        const e = expectError(run(hosts), 'host-address-local', why);
        expect(e.line).to.equal(hosts.split('\n').findIndex((l) => l.includes(`vmha_address: ${addr}`)) + 1);
      });
    }
    it('says IPv6 is not supported', () => {
      const hosts = withHosts((h) => (group(h, 'grafana').hosts['grafana-1'] = { ansible_host: 'fd00::1' }));
      expectError(run(hosts), 'host-address', /IPv6 address; vmha supports IPv4 only/);
    });
    it('takes a host named by its IPv4 address without ansible_host', () => {
      const hosts = withHosts((h) => (group(h, 'grafana').hosts = { '10.0.0.250': null }));
      expect(run(hosts).errors).to.deep.equal([]);
    });
  });

  describe('port-clash', () => {
    it('fails when vminsert and lb_insert share a host (both 8480)', () => {
      const hosts = withHosts((h) => (group(h, 'lb_insert').hosts['vminsert-1'] = null));
      expectError(run(hosts), 'port-clash', /vminsert_http and vmha_ports.lb_insert are both 8480 on vminsert-1/);
    });
    it('passes when the ports are moved apart', () => {
      const hosts = withHosts((h) => (group(h, 'lb_insert').hosts['vminsert-1'] = null));
      expect(run(hosts, withVars({ vmha_ports: { lb_insert: 8427 } })).errors).to.deep.equal([]);
    });
    it('fails when vmha_ports makes two vmstorage ports equal', () => {
      expectError(run(undefined, withVars({ vmha_ports: { vmstorage_http: 8400 } })), 'port-clash');
    });
  });

  describe('vmagent-member-num', () => {
    const numbered = (nums: (number | undefined)[]) =>
      withHosts((h) => {
        const agents = group(h, 'vmagent').hosts as Obj;
        Object.keys(agents).forEach((name, i) => {
          if (nums[i] !== undefined) agents[name].vmha_vmagent_member_num = nums[i];
        });
      });
    it('accepts unique complete numbers', () => expect(run(numbered([2, 0, 1])).ok).to.equal(true));
    it('rejects duplicates', () => expectError(run(numbered([0, 0, 1])), 'vmagent-member-num', /both have member number 0/));
    it('rejects gaps', () => expectError(run(numbered([0, 1, 3])), 'vmagent-member-num', /outside 0..2/));
    it('rejects partial numbering', () => expectError(run(numbered([0, 1, undefined])), 'vmagent-member-num', /missing on vmagent-3/));
    it('rejects the number on a non-vmagent host', () => {
      const hosts = withHosts((h) => (group(h, 'grafana').hosts['grafana-1'].vmha_vmagent_member_num = 0));
      expectError(run(hosts), 'vmagent-member-num', /not in the vmagent group/);
    });
  });

  describe('dns-names', () => {
    it('fails when the write name is missing', () => {
      const e = expectError(run(undefined, withVars({ vmha_write_dns_name: undefined })), 'dns-names', /vmha_write_dns_name is not set/);
      expect(e.file).to.equal('inv/group_vars/all/vmha.yml');
    });
    it('fails when a name is not a DNS name', () => {
      expectError(run(undefined, withVars({ vmha_read_dns_name: 'vm read' })), 'dns-names', /not a DNS name/);
    });
    it('fails when both names are equal', () => {
      expectError(run(undefined, withVars({ vmha_read_dns_name: 'vm-write.example.internal' })), 'dns-names', /both/);
    });
    it('fails when a name is a host outside its load balancer group', () => {
      expectError(run(undefined, withVars({ vmha_write_dns_name: 'vminsert-1' })), 'dns-names', /not in lb_insert/);
    });
    it('warns when the site DNS holds the records', () => {
      const report = run(undefined, withVars({ vmha_manage_dns: false }));
      expect(report.ok).to.equal(true);
      expect(rules(report.warnings)).to.include('dns-names');
    });
  });

  describe('credentials (security)', () => {
    it('accepts Jinja references and !vault values', () => {
      const vault = 'vmha_write_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162636465\nvault_other: x\n';
      const report = run(undefined, withVars({ vmha_write_password: undefined }), { 'secrets.yml': vault });
      expect(report.errors).to.deep.equal([]);
    });
    it('fails when a password is missing', () => {
      expectError(run(undefined, withVars({ vmha_read_password: undefined })), 'credentials', /vmha_read_password is not set/);
    });
    for (const [weak, why] of [
      ['short', /fewer than 16/],
      ['passwordpassword', /well-known word/],
      ['Password12345678!', /well-known word/],
      ['1234567890123456', /no letters/],
      ['vmagent-vmagent-1234', /user name/],
    ] as const) {
      it(`rejects the weak password ${weak}`, () => {
        expectError(run(undefined, withVars({ vmha_write_password: weak })), 'credentials', why);
      });
    }
    it('accepts a strong clear-text password with a warning to vault it', () => {
      const report = run(undefined, withVars({ vmha_write_password: 'k3J9-xq7Lm2pZ8vR4tW' }));
      expect(report.ok).to.equal(true);
      expect(rules(report.warnings)).to.include('credentials');
    });
    it('rejects a user name with a colon', () => {
      expectError(run(undefined, withVars({ vmha_read_username: 'a:b' })), 'credentials');
    });
    it('warns (not fails) when auth is off, without requiring credentials', () => {
      const vars = withVars({ vmha_auth_enabled: false, vmha_read_password: undefined, vmha_write_password: undefined });
      const report = run(undefined, vars);
      expect(report.ok).to.equal(true);
      expect(rules(report.warnings)).to.include('auth-disabled');
    });
    it('warns when the firewall is off', () => {
      expect(rules(run(undefined, withVars({ vmha_firewall_enabled: false })).warnings)).to.include('firewall-disabled');
    });
    it('reads settings in the vault file as Ansible does, and says they belong in vmha.yml', () => {
      const report = run(undefined, withVars({ vmha_retention: undefined }), { 'vault.yml': 'vault_anything: 1\nvmha_retention: 1h\n' });
      const e = expectError(report, 'retention', /shorter than 24h/);
      expect(e.file).to.equal('inv/group_vars/all/vault.yml');
      expect(e.line).to.equal(2);
      expect(rules(report.warnings)).to.include('setting-in-vault');
    });
    it('requires certificate files with TLS', () => {
      expectError(run(undefined, withVars({ vmha_tls_enabled: true })), 'tls-files');
      expect(run(undefined, withVars({ vmha_tls_enabled: true, vmha_tls_cert_file: 'a.pem', vmha_tls_key_file: 'a.key' })).ok).to.equal(true);
    });
    it('explains password weakness precisely', () => {
      expect(passwordWeakness('Zq8!vT3#pL0@xW6^', 'grafana')).to.equal(undefined);
    });
  });

  describe('component-credentials (security)', () => {
    it('fails when a component key is missing, naming the key, file and fix', () => {
      const e = expectError(run(undefined, withVars({ vmha_delete_auth_key: undefined })), 'component-credentials', /vmha_delete_auth_key is not set/);
      expect(e.file).to.equal('inv/group_vars/all/vmha.yml');
      expect(e.fix).to.match(/vault_vmha_delete_auth_key/);
    });
    for (const key of ['vmha_vminsert_password', 'vmha_metrics_auth_key', 'vmha_snapshot_auth_key', 'vmha_flags_auth_key']) {
      it(`rejects a weak ${key} with its line`, () => {
        const e = expectError(run(undefined, withVars({ [key]: 'abc123' })), 'component-credentials', new RegExp(`${key} is weak`));
        expect(e.line).to.be.a('number');
      });
    }
    it('rejects one key reused for two endpoints', () => {
      const same = '"{{ vault_one_key }}"';
      const vars = withVars({ vmha_snapshot_auth_key: same, vmha_delete_auth_key: same });
      expectError(run(undefined, vars), 'component-credentials', /vmha_snapshot_auth_key has the same value as vmha_delete_auth_key/);
    });
    it('rejects a component secret equal to a load balancer password', () => {
      const vars = withVars({ vmha_vmselect_password: '{{ vault_vmha_read_password }}' });
      expectError(run(undefined, vars), 'component-credentials', /vmha_vmselect_password has the same value as vmha_read_password/);
    });
    it('accepts a strong clear-text key with a warning to vault it', () => {
      const report = run(undefined, withVars({ vmha_pprof_auth_key: 'q7Zx-4vLm9pR2tW8kJ3' }));
      expect(report.ok, JSON.stringify(report.errors)).to.equal(true);
      expect(rules(report.warnings)).to.include('component-credentials');
    });
    it('takes component keys from secrets.yml', () => {
      const vars = withVars({ vmha_force_merge_auth_key: undefined });
      expect(run(undefined, vars).ok).to.equal(false);
      expect(run(undefined, vars, { 'secrets.yml': 'vmha_force_merge_auth_key: "q7Zx-4vLm9pR2tW8kJ3"\n' }).ok).to.equal(true);
    });
    it('needs no component keys while auth is off', () => {
      const vars = withVars({ vmha_auth_enabled: false, vmha_vminsert_password: undefined, vmha_delete_auth_key: undefined });
      expect(run(undefined, vars).ok).to.equal(true);
    });
  });

  describe('unknown-key with did-you-mean', () => {
    it('suggests the setting for a typo, with its line', () => {
      const vars = base.vmhaYml.replace('vmha_retention:', 'vmha_retenion:');
      const e = expectError(run(undefined, vars), 'unknown-key', /did you mean "vmha_retention"/);
      expect(e.line).to.equal(4);
      expect(e.fix).to.equal('rename it to "vmha_retention"');
    });
    it('suggests the group for a typo in hosts.yml', () => {
      const hosts = base.hostsYml.replace('    vmselect:', '    vmselcet:');
      const e = expectError(run(hosts), 'unknown-key', /did you mean "vmselect"/);
      expect(e.line).to.equal(hosts.split('\n').indexOf('    vmselcet:') + 1);
    });
    it('suggests the host variable for a typo', () => {
      const hosts = base.hostsYml.replace('ansible_host: 10.0.0.11', 'ansible_hots: 10.0.0.11');
      expectError(run(hosts), 'unknown-key', /did you mean "ansible_host"/);
    });
    it('rejects a setting set twice', () => {
      expectError(run(undefined, undefined, { 'other.yml': 'vmha_retention: 30d\n' }), 'setting-duplicate');
    });
    it('computes Levenshtein distances', () => {
      expect(levenshtein('kitten', 'sitting')).to.equal(3);
      expect(didYouMean('vmstorag', ['vmstorage', 'vmselect'])).to.equal('vmstorage');
      expect(didYouMean('zzz', ['vmstorage'])).to.equal(undefined);
    });
  });

  describe('YAML errors', () => {
    it('reports a syntax error with file and line', () => {
      const e = expectError(run('all:\n  children:\n    vmstorage: [\n'), 'yaml-syntax');
      expect(e.file).to.equal('inv/hosts.yml');
      expect(e.line).to.be.a('number');
    });
    it('locates keys by line, skipping block scalars', () => {
      const lines = indexKeyLines('a:\n  b: |\n    c: 1\n  d: 2\n"e f": 3\n');
      expect(lines.get('a\u0000b')).to.equal(2);
      expect(lines.get('a\u0000b\u0000c')).to.equal(undefined);
      expect(lines.get('a\u0000d')).to.equal(4);
      expect(lines.get('e f')).to.equal(5);
    });
  });
});

describe('secrets as Ansible will use them (vault_* followed)', () => {
  const secretKeys = ['vmha_write_password', 'vmha_read_password', 'vmha_vminsert_password', 'vmha_vmselect_password', 'vmha_vmstorage_password',
    'vmha_metrics_auth_key', 'vmha_delete_auth_key', 'vmha_snapshot_auth_key', 'vmha_force_merge_auth_key', 'vmha_force_flush_auth_key',
    'vmha_reset_cache_auth_key', 'vmha_pprof_auth_key', 'vmha_flags_auth_key'];
  const strong = (i: number) => `q7Zx-4vLm9pR2tW8kJ3-${i}`;
  const vault = (over: Record<string, string> = {}) =>
    secretKeys.map((k, i) => `vault_${k}: "${over[k] ?? strong(i)}"`).join('\n') + '\n';

  it('accepts strong vaulted values, and asks to encrypt the vault file they sit in', () => {
    const report = run(undefined, undefined, { 'vault.yml': vault() });
    expect(report.errors).to.deep.equal([]);
    expect(rules(report.warnings)).to.deep.equal(['secrets-clear-text']);
  });
  it('rejects the vault example copied unedited (placeholder, one value for every secret) at the vault file line', () => {
    const example = secretKeys.map((k) => `vault_${k}: "replace-with-openssl-rand-base64-24"`).join('\n') + '\n';
    const report = run(undefined, undefined, { 'vault.yml': example });
    const e = expectError(report, 'secret-placeholder', /vmha_write_password \(through vault_vmha_write_password\) is still the placeholder/);
    expect(e.file).to.equal('inv/group_vars/all/vault.yml');
    expect(e.line).to.equal(1);
    expectError(report, 'credentials-shared');
    expectError(report, 'component-credentials', /has the same value as/);
  });
  it('rejects a weak password in an unencrypted vault file at its line', () => {
    const report = run(undefined, undefined, { 'vault.yml': vault({ vmha_read_password: 'grafana2024' }) });
    const e = expectError(report, 'credentials', /vmha_read_password \(through vault_vmha_read_password\) is weak/);
    expect([e.file, e.line]).to.deep.equal(['inv/group_vars/all/vault.yml', 2]);
  });
  it('rejects a weak component key written directly', () => {
    expectError(run(undefined, withVars({ vmha_delete_auth_key: 'aaaaaaaaaaaaaaaaaaaa' })), 'component-credentials', /repeats one character/);
  });
  it('rejects the same password on the write and read paths', () => {
    const report = run(undefined, undefined, { 'vault.yml': vault({ vmha_read_password: strong(0) }) });
    expectError(report, 'credentials-shared', /every reader could also write/);
  });
  it('rejects a weak value kept in the hosts file (all: vars:) at its line', () => {
    const hosts = base.hostsYml.replace('all:\n', 'all:\n  vars:\n    vault_vmha_read_password: grafana\n');
    const e = expectError(run(hosts), 'credentials', /vmha_read_password \(through vault_vmha_read_password\) is weak/);
    expect([e.file, e.line]).to.deep.equal(['inv/hosts.yml', 3]);
  });
  it('rejects a weak value behind two references', () => {
    const report = run(undefined, withVars({ vmha_write_password: '{{ site_write }}' }), { 'vault.yml': vault() + 'site_write: "{{ vault_w }}"\nvault_w: short\n' });
    expectError(report, 'credentials', /through vault_w\) is weak/);
  });
});

describe('values VictoriaMetrics or the hosts would refuse', () => {
  for (const [value, ok] of [['1200M', true], ['100y', true], ['1201M', false], ['103y', false], ['60000w', false]] as const) {
    it(`retention ${value}: ${ok ? 'accepted' : 'refused like vmstorage -retentionPeriod'}`, () => {
      const report = run(undefined, withVars({ vmha_retention: value }));
      if (ok) expect(report.errors).to.deep.equal([]);
      else expect(expectError(report, 'retention-too-long').fix).to.match(/at most 1200M/);
    });
  }
  it('names the formats in words with an example', () => {
    const e = expectError(run(undefined, withVars({ vmha_retention: '2 months' })), 'retention');
    expect(e.fix).to.match(/M \(months; 2M = two months\)/);
    expect(e.fix).to.match(/e\.g\. vmha_retention: 2M/);
    const b = expectError(run(undefined, withVars({ vmha_manage_dns: 'maybe' })), 'schema');
    expect(b.fix).to.equal('write vmha_manage_dns as true or false, e.g. vmha_manage_dns: true');
  });
  it('gives port 0 its own rule and an example', () => {
    const e = expectError(run(undefined, withVars({ vmha_ports: { grafana: 0 } })), 'port-range', /not a port from 1 to 65535/);
    expect(e.fix).to.equal('write a whole number from 1 to 65535, e.g. vmha_ports: {grafana: 3000}');
  });
  it('refuses a component port on SSH port 22', () => {
    expectError(run(undefined, withVars({ vmha_ports: { node_exporter: 22 } })), 'port-ssh-clash', /node_exporter is 22/);
  });
  it('refuses TLS files that do not exist and relative paths', () => {
    const sources = makeSources(base.hostsYml, withVars({ vmha_tls_enabled: true, vmha_tls_cert_file: '/etc/ssl/lb.crt', vmha_tls_key_file: 'lb.key' }));
    const report = validateSources({ ...sources, fileExists: (p) => p === '/exists' });
    expectError(report, 'tls-file-missing', /\/etc\/ssl\/lb.crt does not exist/);
    expectError(report, 'tls-file-relative', /lb.key/);
  });
  it('accepts yes/no booleans as Ansible does', () => {
    const report = run(undefined, base.vmhaYml + 'vmha_manage_dns: "no"\nvmha_firewall_enabled: yes\n');
    expect(report.errors).to.deep.equal([]);
    expect(rules(report.warnings)).to.include('dns-names');
  });
});

describe('inventory shapes read in-process', () => {
  it('reads a YAML inventory without all:', () => {
    const hosts = base.hostsYml.replace(/^all:\n  children:\n/, '').replace(/^    /gm, '');
    expect(run(hosts).errors).to.deep.equal([]);
  });
  it('leaves other roles\' variables in group_vars/all alone', () => {
    expect(run(undefined, base.vmhaYml + 'ntp_servers: [a, b]\nnginx_worker_processes: 4\n').errors).to.deep.equal([]);
  });
  it('refuses a vmha setting set for one group only, at its file and line', () => {
    const sources = makeSources(base.hostsYml, base.vmhaYml);
    sources.groupVars.push({ path: 'inv/group_vars/vmstorage.yml', group: 'vmstorage', text: 'ansible_user: x\nvmha_retention: 1y\n' });
    const e = expectError(validateSources(sources), 'setting-scope', /vmha_retention is set for group vmstorage only/);
    expect([e.file, e.line]).to.deep.equal(['inv/group_vars/vmstorage.yml', 2]);
  });
  it('reads an address kept in host_vars', () => {
    const hosts = base.hostsYml.replace('          ansible_host: 10.0.0.11\n', '');
    expectError(run(hosts), 'host-address', /vmagent-1 has no address/);
    const sources = makeSources(hosts, base.vmhaYml);
    sources.groupVars.push({ path: 'inv/host_vars/vmagent-1.yml', host: 'vmagent-1', text: 'vmha_address: 10.0.0.11\n' });
    expect(validateSources(sources).errors).to.deep.equal([]);
  });
  it('says an INI inventory needs Ansible when it cannot run', () => {
    expectError(run('[vmstorage]\nvmstorage-1 ansible_host=10.0.0.1\n'), 'inventory-format', /INI inventory/);
  });
  it('gives one finding for a missing settings file', () => {
    const report = validateSources({ ...makeSources(base.hostsYml, ''), groupVars: [] });
    expect(report.errors.map((e) => e.rule)).to.deep.equal(['settings-file-missing']);
  });
});
