// The rule registry (scripts/lib/inventory/rules/): every registered rule, run alone, is silent on
// the seed inventory and reports its finding on a case made to break it. A registered rule without
// a case here fails the last test.
import { expect } from 'chai';
import yaml from 'js-yaml';
import { loadInventory, type Finding } from '../scripts/lib/inventory/model.js';
import { ruleContext, type Rule } from '../scripts/lib/inventory/rules/context.js';
import { checkRules, RULES } from '../scripts/lib/inventory/rules/index.js';
import { syntheticInventory } from '../scripts/lib/inventory/synthetic.js';
import { inlineSources } from './fixtures/inventory-sources.js';

const base = syntheticInventory();
type Obj = Record<string, any>;

const sources = inlineSources;
const hosts = (mutate: (h: Obj) => void) => {
  const data = yaml.load(base.hostsYml) as Obj;
  mutate(data);
  return yaml.dump(data);
};
const vars = (overrides: Obj) => {
  const data = { ...(yaml.load(base.vmhaYml) as Obj) };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete data[k];
    else data[k] = v;
  }
  return yaml.dump(data);
};

interface Case {
  hostsYml?: string;
  vmhaYml?: string;
  /** Rule ids the rule must report on this case (and only these). */
  reports: string[];
}

/** One case a rule; a case for a rule that is not registered (yet) is not run. */
const cases: Record<string, () => Case> = {
  'groups-ha-sized': () => ({ hostsYml: hosts((h) => delete h.all.children.vminsert.hosts['vminsert-2']), reports: ['groups-ha-sized'] }),
  'alerting-pair': () => ({
    hostsYml: hosts((h) => (h.all.children.vmalert = { hosts: { 'vmalert-1': { ansible_host: '10.0.9.1' }, 'vmalert-2': { ansible_host: '10.0.9.2' } } })),
    reports: ['alerting-pair'],
  }),
  'host-address': () => ({ hostsYml: hosts((h) => (h.all.children.vminsert.hosts['vminsert-1'].ansible_host = '127.0.0.1')), reports: ['host-address-local'] }),
  'port-ssh-clash': () => ({ vmhaYml: vars({ vmha_ports: { node_exporter: 22 } }), reports: ['port-ssh-clash'] }),
  'port-clash': () => ({ hostsYml: hosts((h) => (h.all.children.lb_insert.hosts['vminsert-1'] = null)), reports: ['port-clash'] }),
  'replication-factor': () => ({ vmhaYml: vars({ vmha_replication_factor: 4 }), reports: ['replication-factor'] }),
  'dedup-interval': () => ({ vmhaYml: vars({ vmha_dedup_interval: '30s' }), reports: ['dedup-interval'] }),
  retention: () => ({ vmhaYml: vars({ vmha_retention: '12h' }), reports: ['retention'] }),
  'pinned-version': () => ({ vmhaYml: vars({ vmha_version: '1.0.0' }), reports: ['pinned-version'] }),
  'vmagent-member-num': () => ({
    hostsYml: hosts((h) => {
      for (const host of Object.values(h.all.children.vmagent.hosts) as Obj[]) host.vmha_vmagent_member_num = 0;
    }),
    reports: ['vmagent-member-num'],
  }),
  'dns-names': () => ({ vmhaYml: vars({ vmha_read_dns_name: base.vmhaYml.match(/vmha_write_dns_name: (\S+)/)![1] }), reports: ['dns-names'] }),
  credentials: () => ({ vmhaYml: vars({ vmha_read_password: undefined }), reports: ['credentials'] }),
  'firewall-disabled': () => ({ vmhaYml: vars({ vmha_firewall_enabled: false }), reports: ['firewall-disabled'] }),
  backup: () => ({ vmhaYml: vars({ vmha_backup_s3_endpoint: 'https://s3.example.internal' }), reports: ['backup-settings-unused'] }),
  'grafana-package': () => ({ vmhaYml: vars({ vmha_grafana_package_url: 'https://dl.example.internal/grafana_12.0.0_amd64.deb' }), reports: ['grafana-package'] }),
  'tls-files': () => ({ vmhaYml: vars({ vmha_tls_enabled: true, vmha_tls_cert_file: undefined, vmha_tls_key_file: undefined }), reports: ['tls-files'] }),
};

function runAlone(rule: Rule, hostsYml = base.hostsYml, vmhaYml = base.vmhaYml): Finding[] {
  const loaded = loadInventory(sources(hostsYml, vmhaYml));
  expect(loaded.model, JSON.stringify(loaded.findings.filter((f) => f.severity === 'error'))).to.not.equal(undefined);
  const ctx = ruleContext(loaded.model!);
  rule.check(ctx);
  return ctx.findings;
}

describe('inventory rule registry', () => {
  for (const rule of RULES) {
    const make = cases[rule.name];
    describe(rule.name, () => {
      it('reports no error on the seed inventory', () => {
        expect(runAlone(rule).filter((f) => f.severity === 'error')).to.deep.equal([]);
      });
      it('reports its finding, with a fix and a place, on a case that breaks it', function () {
        if (!make) this.skip();
        const c = make!();
        const found = runAlone(rule, c.hostsYml, c.vmhaYml).filter((f) => f.rule !== 'secrets-unchecked');
        expect([...new Set(found.map((f) => f.rule))]).to.deep.equal(c.reports);
        for (const f of found) {
          expect(f.file).to.be.a('string').and.not.equal('');
          expect(f.fix).to.be.a('string').and.not.equal('');
        }
      });
    });
  }

  it('has a case for every registered rule, and unique rule names', () => {
    const names = RULES.map((r) => r.name);
    expect(names.filter((n) => !cases[n]), 'registered rules without a case in test/inventory-rules.test.ts').to.deep.equal([]);
    expect(new Set(names).size).to.equal(names.length);
  });

  it('checkRules runs the registry in order: the findings of all rules, rule by rule', () => {
    const c = cases['dedup-interval']!();
    const model = loadInventory(sources(base.hostsYml, c.vmhaYml!)).model!;
    const all = checkRules(model);
    const oneByOne = RULES.flatMap((rule) => {
      const ctx = ruleContext(model);
      rule.check(ctx);
      return ctx.findings;
    });
    expect(all).to.deep.equal(oneByOne);
    expect(all.map((f) => f.rule)).to.include('dedup-interval');
  });
});
