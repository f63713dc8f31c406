// Facts written in more than one language stay the same fact: each test reads the copy the other
// side keeps and compares it with the TypeScript source.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { artifactSpecs, parseVersions, type ArtifactId } from '../scripts/lib/artifacts.js';
import { generateFromSources } from '../scripts/lib/inventory/index.js';
import { readPins } from '../scripts/lib/inventory/read.js';
import { DURATION_PATTERN, SETTING_DEFAULTS, settingsSchema } from '../scripts/lib/inventory/schema.js';
import { SEED_SIZES, syntheticInventory } from '../scripts/lib/inventory/synthetic.js';
import { hostsInGroup } from '../scripts/lib/lab-topology.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const preflight = (role: string) => readFileSync(path.join(repoRoot, 'ansible/roles', role, 'tasks/preflight.yml'), 'utf8');

describe('one source for each fact', () => {
  // VictoriaMetrics parses these flags as Go durations, where 0s is valid, but
  // -dedup.minScrapeInterval=0 turns deduplication off (lib/storage/dedup.go: "De-duplication is
  // disabled if interval is 0") and a 0s scrape interval is no interval: vmha needs both positive.
  for (const [role, variable] of [
    ['vmstorage', 'vmstorage_dedup_min_scrape_interval'],
    ['vmselect', 'vmselect_dedup_min_scrape_interval'],
    ['vmagent', 'vmagent_scrape_interval'],
  ] as const) {
    it(`${role} preflight checks ${variable} with the inventory's DURATION_PATTERN`, () => {
      const match = new RegExp(`${variable} is match\\('([^']*)'\\)`).exec(preflight(role));
      expect(match, `${role}/tasks/preflight.yml checks ${variable}`).to.not.equal(null);
      expect(match![1]).to.equal(DURATION_PATTERN);
      expect(new RegExp(match![1]!).test('0s')).to.equal(false);
    });
  }

  // The seed group sizes: SEED_SIZES (synthetic inventories) is the source; the lab topology takes
  // them from it and the example inventory is written by hand, so it is compared here.
  it('the example inventory and the lab have the seed group sizes of SEED_SIZES', () => {
    const example = yaml.load(readFileSync(path.join(repoRoot, 'ansible/inventories/example/hosts.yml'), 'utf8')) as {
      all: { children: Record<string, { hosts?: Record<string, unknown> }> };
    };
    for (const [group, size] of Object.entries(SEED_SIZES)) {
      expect(Object.keys(example.all.children[group]?.hosts ?? {}).length, `example ${group}`).to.equal(size);
      expect(hostsInGroup(group as keyof typeof SEED_SIZES).length, `lab ${group}`).to.equal(size);
    }
  });

  it("vmagent's role default queue cap is the inventory's default", () => {
    const defaults = yaml.load(readFileSync(path.join(repoRoot, 'ansible/roles/vmagent/defaults/main.yml'), 'utf8')) as Record<string, unknown>;
    expect(defaults.vmagent_queue_max_bytes).to.equal(SETTING_DEFAULTS.vmha_vmagent_queue_max_bytes);
  });

  it('generate emits the Grafana package pair the grafana preflight requires', () => {
    for (const variable of ['grafana_package_url', 'grafana_package_sha256']) expect(preflight('grafana')).to.contain(variable);
    const base = syntheticInventory();
    const sha256 = 'AB'.repeat(32);
    const generated = generateFromSources({
      hosts: { path: 'inv/hosts.yml', text: base.hostsYml },
      groupVars: [{
        path: 'inv/group_vars/all/vmha.yml',
        text: `${base.vmhaYml}vmha_grafana_package_url: https://dl.example.internal/grafana_12.0.0_amd64.deb\nvmha_grafana_package_sha256: ${sha256}\n`,
      }],
      settingsFile: 'inv/group_vars/all/vmha.yml',
      pins: readPins(),
    });
    expect(generated.report.errors).to.deep.equal([]);
    expect(generated.vars).to.include({
      grafana_package_url: 'https://dl.example.internal/grafana_12.0.0_amd64.deb',
      grafana_package_sha256: sha256.toLowerCase(),
    });
  });

  it("the settings schema's default keywords are SETTING_DEFAULTS, and a setting left out takes it", () => {
    const properties = settingsSchema.properties as Record<string, { default?: unknown }>;
    const withDefault = Object.fromEntries(Object.entries(properties).filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]));
    expect(withDefault).to.deep.equal(SETTING_DEFAULTS);
    const base = syntheticInventory();
    const generated = generateFromSources({
      hosts: { path: 'inv/hosts.yml', text: base.hostsYml },
      groupVars: [{ path: 'inv/group_vars/all/vmha.yml', text: base.vmhaYml.replace(/^vmha_retention: .*\n/m, '') }],
      settingsFile: 'inv/group_vars/all/vmha.yml',
      pins: readPins(),
    });
    expect(base.vmhaYml).to.match(/^vmha_retention: /m);
    expect(generated.vars?.vmstorage_retention_period).to.equal(SETTING_DEFAULTS.vmha_retention.replace(/M$/, ''));
    expect(generated.vars?.vmagent_queue_max_bytes).to.equal(SETTING_DEFAULTS.vmha_vmagent_queue_max_bytes);
  });

  // Release file names: scripts/lib/artifacts.ts (the mirror) and vmha_artifact (the deploy) name
  // the same files; the role's Jinja is rendered here for the pinned versions and compared.
  // (The role keeps its own table rather than reading it from zz-generated.yml: file names are
  // upstream's, the same for every inventory, and the role stays usable with its documented inputs.)
  const versions = parseVersions(yaml.load(readFileSync(path.join(repoRoot, 'ansible/versions.yml'), 'utf8')), 'ansible/versions.yml');
  const pinValues: Record<string, string> = {};
  for (const [product, pin] of Object.entries(versions)) {
    pinValues[`vmha_artifact_${product}_version`] = pin.version;
    pinValues[`vmha_artifact_${product}_url`] = pin.release_url;
  }
  /** Plain `{{ name }}` (and the URL's `| regex_replace('/+$', '')`); `local` holds a role's own vars, rendered in turn. */
  const render = (template: string, local: Record<string, unknown> = {}): string =>
    template.replace(/\{\{\s*(\w+)\s*(\|\s*regex_replace\('\/\+\$', ''\)\s*)?\}\}/g, (_, name: string, strip?: string) => {
      const own = local[name];
      const value = typeof own === 'string' ? render(own, local) : pinValues[name];
      if (value === undefined) throw new Error(`unknown variable ${name} in ${template}`);
      return strip ? value.replace(/\/+$/, '') : value;
    });
  const roleIdOf: Record<string, ArtifactId> = {
    'victoria-metrics-cluster': 'vm-cluster',
    vmutils: 'vmutils',
    node_exporter: 'node-exporter',
    alertmanager: 'alertmanager',
  };
  const readYaml = (file: string): unknown => (existsSync(file) ? yaml.load(readFileSync(file, 'utf8')) : undefined);

  it("vmha_artifact's release files and URLs are the ones scripts/lib/artifacts.ts mirrors", () => {
    const roleVars = readYaml(path.join(repoRoot, 'ansible/roles/vmha_artifact/vars/main.yml')) as {
      _vmha_artifact_packages: Record<string, { version: string; base_url: string; archive: string; checksums: string }>;
    };
    const specs = artifactSpecs(versions, { withBackupTools: false });
    for (const spec of specs) {
      const [pkg, release] = Object.entries(roleVars._vmha_artifact_packages).find(([name]) => roleIdOf[name] === spec.id) ?? [];
      expect(release, `vmha_artifact has no package for ${spec.id}`).to.not.equal(undefined);
      expect(render(release!.archive), pkg).to.equal(spec.tarball);
      expect(render(release!.checksums), pkg).to.equal(spec.checksumFile);
      expect(`${render(release!.base_url)}/${spec.tarball}`, pkg).to.equal(spec.officialTarballUrl);
      expect(render(release!.version), pkg).to.equal(spec.version);
    }
    expect(Object.keys(roleVars._vmha_artifact_packages).map((name) => roleIdOf[name]).sort()).to.deep.equal(specs.map((s) => s.id).sort());
  });

  // The names inside the archives: every binary a role installs (vmha_artifact_binaries or
  // vmha_service_binaries, next to its package) is a member the mirror requires of that archive.
  it('every binary a role installs is a member scripts/lib/artifacts.ts requires of its archive', () => {
    const members = new Map(artifactSpecs(versions, { withBackupTools: true }).map((spec) => [spec.id, new Set(spec.requiredMembers)]));
    const installs: string[] = [];
    const rolesDir = path.join(repoRoot, 'ansible/roles');
    for (const role of readdirSync(rolesDir)) {
      const tasksDir = path.join(rolesDir, role, 'tasks');
      if (!existsSync(tasksDir)) continue;
      const local = (readYaml(path.join(rolesDir, role, 'vars/main.yml')) ?? {}) as Record<string, unknown>;
      const visit = (node: unknown, file: string): void => {
        if (Array.isArray(node)) return node.forEach((child) => visit(child, file));
        if (typeof node !== 'object' || node === null) return;
        const record = node as Record<string, unknown>;
        for (const prefix of ['vmha_artifact', 'vmha_service']) {
          const pkg = record[`${prefix}_package`];
          const binaries = record[`${prefix}_binaries`];
          if (typeof pkg !== 'string' || !Array.isArray(binaries) || pkg.includes('{{')) continue;
          const id = roleIdOf[pkg];
          expect(id, `${file}: package ${pkg} is not one vmha_artifact knows`).to.not.equal(undefined);
          for (const binary of binaries as string[]) {
            const member = render(binary, local);
            expect([...members.get(id!)!], `${file}: ${binary} in ${pkg}`).to.include(member);
            installs.push(`${role}:${member}`);
          }
        }
        Object.values(record).forEach((child) => visit(child, file));
      };
      for (const file of readdirSync(tasksDir).filter((f) => f.endsWith('.yml'))) {
        visit(readYaml(path.join(tasksDir, file)), `ansible/roles/${role}/tasks/${file}`);
      }
    }
    // The scan found the roles it is about (it would pass vacuously on a renamed key).
    for (const expected of ['vmstorage:vmstorage-prod', 'vmagent:vmagent-prod', 'vmbackup:vmrestore-prod', 'vmalert:vmalert-prod']) {
      expect(installs).to.include(expected);
    }
    expect(installs.some((i) => i.startsWith('node_exporter:node_exporter-'))).to.equal(true);
    expect(installs.some((i) => i.startsWith('alertmanager:alertmanager-'))).to.equal(true);
  });
});
