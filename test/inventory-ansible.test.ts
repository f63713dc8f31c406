// validate reads inventories the way Ansible does: every fixture shape is compared with
// `ansible-inventory --list` (hosts, groups, values), and hostile files end in a named finding
// quickly, in text and --json output. Ansible's answers are cached by the fixtures' hashes.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ANSIBLE_INVENTORY, DEFAULT_CACHE_DIR } from '../scripts/lib/inventory/ansible-inventory.js';
import { validateSourcesWithModel } from '../scripts/lib/inventory/index.js';
import type { InventoryModel } from '../scripts/lib/inventory/model.js';
import { readInventory } from '../scripts/lib/inventory/read.js';
import { GROUPS } from '../scripts/lib/inventory/schema.js';

const FIXTURES = path.resolve('test/fixtures/inventories');
const SHAPES = ['yaml-all', 'yaml-no-all', 'ini', 'host-vars', 'child-groups'];
const haveAnsible = existsSync(ANSIBLE_INVENTORY);

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

/** `ansible-inventory --list` (merged host variables), cached by the fixture's bytes. */
function ansibleList(dir: string): { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<string, any> {
  const hash = createHash('sha256').update(readFileSync(ANSIBLE_INVENTORY));
  for (const f of filesOf(dir)) hash.update(`${path.relative(dir, f)}\0${readFileSync(f, 'utf8')}\0`);
  const cacheFile = path.join(DEFAULT_CACHE_DIR, `test-list-${hash.digest('hex')}.json`);
  if (existsSync(cacheFile)) return JSON.parse(readFileSync(cacheFile, 'utf8'));
  const proc = spawnSync(ANSIBLE_INVENTORY, ['-i', dir, '--list'], { encoding: 'utf8', env: { ...process.env, ANSIBLE_INVENTORY_ENABLED: 'yaml,ini' } });
  if (proc.status !== 0) throw new Error(proc.stderr);
  mkdirSync(DEFAULT_CACHE_DIR, { recursive: true });
  writeFileSync(cacheFile, proc.stdout);
  return JSON.parse(proc.stdout);
}

const truthy = (v: unknown) => (typeof v === 'string' && /^(yes|true|on)$/i.test(v) ? true : typeof v === 'string' && /^(no|false|off)$/i.test(v) ? false : v);

function expectSameAsAnsible(model: InventoryModel, list: ReturnType<typeof ansibleList>) {
  const membersOf = (g: string, seen = new Set<string>()): Set<string> => {
    const out = new Set<string>(list[g]?.hosts ?? []);
    if (seen.has(g)) return out;
    seen.add(g);
    for (const c of list[g]?.children ?? []) for (const h of membersOf(c, seen)) out.add(h);
    return out;
  };
  for (const g of GROUPS) {
    expect(model.members[g].map((h) => h.name).sort(), `group ${g}`).to.deep.equal([...membersOf(g)].sort());
  }
  for (const host of model.hosts.values()) {
    const hv = list._meta.hostvars[host.name] ?? {};
    for (const key of ['ansible_host', 'vmha_address', 'ansible_port'] as const) {
      expect(host.vars[key], `${host.name} ${key}`).to.equal(hv[key]);
    }
    for (const [key, value] of Object.entries(model.raw)) expect(value, `${host.name} ${key}`).to.deep.equal(truthy(hv[key]));
  }
}

describe('inventory read the way Ansible reads it', function () {
  this.timeout(30_000);
  before(function () {
    if (!haveAnsible) this.skip();
  });

  for (const shape of SHAPES) {
    it(`${shape}: same hosts, groups and values as ansible-inventory --list`, () => {
      const dir = path.join(FIXTURES, shape);
      const { model, ...report } = validateSourcesWithModel(readInventory(dir).sources);
      expect(report.errors, JSON.stringify(report.errors, null, 1)).to.deep.equal([]);
      expect(report.warnings.map((w) => w.rule)).to.deep.equal(['secrets-unchecked']);
      expectSameAsAnsible(model!, ansibleList(dir));
      expect(model!.settings.manageDns).to.equal(true); // `yes`
      if (shape !== 'ini') {
        // the in-process reader of the unit tests agrees with Ansible on YAML inventories
        const own = validateSourcesWithModel(readInventory(dir, { ansible: false }).sources).model!;
        expectSameAsAnsible(own, ansibleList(dir));
      }
    });
  }

  it('child-groups: the SSH port of a child group reaches its hosts', () => {
    const { model } = validateSourcesWithModel(readInventory(path.join(FIXTURES, 'child-groups')).sources);
    expect(model!.hosts.get('vmstorage-3')!.vars.ansible_port).to.equal(2222);
    expect(model!.hosts.get('vmstorage-1')!.vars.ansible_port).to.equal(undefined);
  });

  it('INI: a component port on a host\'s SSH port is refused at its line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmha-ini-'));
    try {
      cpSync(path.join(FIXTURES, 'ini'), dir, { recursive: true });
      const hostsFile = path.join(dir, 'hosts');
      writeFileSync(hostsFile, readFileSync(hostsFile, 'utf8').replace('grafana-1 ansible_host=10.0.0.25', 'grafana-1 ansible_host=10.0.0.25 ansible_port=3000'));
      const report = validateSourcesWithModel(readInventory(dir).sources);
      const e = report.errors.find((f) => f.rule === 'port-ssh-clash');
      expect(e, JSON.stringify(report.errors)).to.not.equal(undefined);
      expect(e!.message).to.match(/vmha_ports.grafana is 3000, the SSH port Ansible uses on grafana-1/);
      expect(e!.fix).to.match(/^set vmha_ports.grafana to a free port/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('vault: without a password says once that secrets were not checked; with it finds the placeholder in the vault file', () => {
    const dir = path.join(FIXTURES, 'vault');
    const without = validateSourcesWithModel(readInventory(dir).sources);
    expect(without.ok).to.equal(true);
    expect(without.warnings.map((w) => w.rule)).to.deep.equal(['secrets-unchecked']);
    expect(without.warnings[0]!.message).to.match(/encrypted .*vault\.yml/);
    const withPassword = validateSourcesWithModel(readInventory(dir, { vaultPasswordFile: path.join(dir, 'vault-password.txt') }).sources);
    const e = withPassword.errors.find((f) => f.rule === 'secret-placeholder');
    expect(e, JSON.stringify(withPassword.errors)).to.not.equal(undefined);
    expect(e!.file).to.equal(path.join(dir, 'group_vars/all/vault.yml'));
    expect(e!.message).to.match(/vmha_read_password \(through vault_vmha_read_password\)/);
  });
});

describe('inline !vault values', function () {
  this.timeout(30_000);
  before(function () {
    if (!haveAnsible) this.skip();
  });
  it('are decrypted with the vault password and checked at their line', () => {
    const dir = path.join(FIXTURES, 'vault-inline');
    const report = validateSourcesWithModel(readInventory(dir, { vaultPasswordFile: path.join(dir, 'vault-password.txt') }).sources);
    const e = report.errors.find((f) => f.rule === 'credentials');
    expect(e, JSON.stringify(report.errors)).to.not.equal(undefined);
    expect([e!.file, e!.line]).to.deep.equal([path.join(dir, 'group_vars/all/vault.yml'), 1]);
    expect(e!.message).to.match(/vmha_write_password \(through vault_vmha_write_password\) is weak/);
    const without = validateSourcesWithModel(readInventory(dir).sources);
    expect(without.ok).to.equal(true);
    expect(without.warnings.find((w) => w.rule === 'secrets-unchecked')!.message).to.match(/1 are vault-encrypted and no vault password was given/);
  });
});

describe('hostile inventory files', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vmha-hostile-'));
    cpSync(path.join(FIXTURES, 'yaml-all'), dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const BOMB = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') + '\n';
  const cases: [string, (d: string) => void, string][] = [
    ['a symbolic link loop in group_vars', (d) => symlinkSync('loop.yml', path.join(d, 'group_vars/all/loop.yml')), 'symlink-loop'],
    ['a directory link back to group_vars', (d) => symlinkSync('..', path.join(d, 'group_vars/all/again')), 'symlink-loop'],
    ['group_vars linked to itself', (d) => (rmSync(path.join(d, 'group_vars'), { recursive: true }), symlinkSync('group_vars', path.join(d, 'group_vars'))), 'symlink-loop'],
    ['hosts.yml linked to itself', (d) => (rmSync(path.join(d, 'hosts.yml')), symlinkSync('hosts.yml', path.join(d, 'hosts.yml'))), 'symlink-loop'],
    ['a YAML alias bomb', (d) => writeFileSync(path.join(d, 'group_vars/all/bomb.yml'), BOMB), 'yaml-alias-bomb'],
    ['a recursive YAML alias', (d) => writeFileSync(path.join(d, 'group_vars/all/rec.yml'), 'a: &a [1, *a]\n'), 'yaml-recursive'],
    ['a binary file', (d) => writeFileSync(path.join(d, 'group_vars/all/blob.yml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff])), 'file-binary'],
    ['a named pipe', (d) => spawnSync('mkfifo', [path.join(d, 'group_vars/all/pipe.yml')]), 'file-not-regular'],
    ['a huge file', (d) => writeFileSync(path.join(d, 'group_vars/all/huge.yml'), Buffer.alloc(17 * 1024 * 1024, 0x61)), 'file-too-large'],
    ['an alias bomb as the hosts file', (d) => writeFileSync(path.join(d, 'hosts.yml'), BOMB), 'yaml-alias-bomb'],
  ];
  for (const [what, make, rule] of cases) {
    it(`${what}: ${rule} within 2 s`, () => {
      make(dir);
      const start = Date.now();
      const report = validateSourcesWithModel(readInventory(dir).sources);
      expect(Date.now() - start).to.be.lessThan(2000);
      const e = report.errors.find((f) => f.rule === rule);
      expect(e, JSON.stringify(report.errors, null, 1)).to.not.equal(undefined);
      expect(e!.file.startsWith(dir)).to.equal(true);
    });
  }

  it('the CLI names a symbolic link loop and an alias bomb in --json and in text, within 2 s each', () => {
    symlinkSync('loop.yml', path.join(dir, 'group_vars/all/loop.yml'));
    writeFileSync(path.join(dir, 'group_vars/all/bomb.yml'), BOMB);
    for (const json of [true, false]) {
      const start = Date.now();
      const proc = spawnSync(process.execPath, ['--import', './scripts/register-ts.mjs', 'scripts/validate.ts', '-i', dir, ...(json ? ['--json'] : [])], { encoding: 'utf8', timeout: 10_000 });
      expect(Date.now() - start, proc.stderr).to.be.lessThan(2000);
      expect(proc.status, proc.stderr).to.equal(1);
      if (json) {
        const out = JSON.parse(proc.stdout) as { errors: { rule: string; file: string; line: number | null }[] };
        expect(out.errors.map((e) => e.rule)).to.include.members(['symlink-loop', 'yaml-alias-bomb']);
      } else {
        expect(proc.stderr).to.match(/loop\.yml: error \[symlink-loop\]/);
        expect(proc.stderr).to.match(/bomb\.yml: error \[yaml-alias-bomb\]/);
      }
    }
  });
});
