// vmha's alerting rules (ansible/roles/vmalert/templates/rules.yml.j2), rendered by Ansible as the
// role renders them, checked with `vmalert -dryRun` and unit-tested with `vmalert-tool unittest`
// (test/fixtures/alerting/rules.test.yml): the real binaries from the vmutils tarball of the
// artifact mirror (`npm run artifacts`); skipped, saying why, when the mirror or the venv lacks them,
// and failed instead with VMHA_TESTS_NEED_MIRROR=1 (npm test runs them so, after filling the mirror).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import yaml from 'js-yaml';
import { parseVersions, vmutilsSpec } from '../scripts/lib/artifacts.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(repo, 'test/fixtures/alerting');
const ansible = path.join(repo, '.venv/bin/ansible');

function render(work: string, extraVars: Record<string, unknown> = {}): string {
  const vars = { ...(JSON.parse(readFileSync(path.join(fixtures, 'rules.vars.json'), 'utf8')) as object), ...extraVars };
  const varsFile = path.join(work, `vars-${Date.now()}.json`);
  writeFileSync(varsFile, JSON.stringify(vars));
  const dest = path.join(work, 'rules.yml');
  execFileSync(ansible, ['localhost', '-c', 'local', '-o', '-m', 'ansible.builtin.template',
    '-a', `src=roles/vmalert/templates/rules.yml.j2 dest=${dest}`, '-e', `@${varsFile}`], { cwd: path.join(repo, 'ansible'), stdio: 'pipe' });
  return dest;
}

function unittest(bin: string, work: string): { ok: boolean; output: string } {
  copyFileSync(path.join(fixtures, 'rules.test.yml'), path.join(work, 'rules.test.yml'));
  const run = spawnSync(path.join(bin, 'vmalert-tool-prod'), ['unittest', '-files=rules.test.yml'], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  const output = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => !/\tinfo\t/.test(l)).join('\n');
  return { ok: run.status === 0 && /SUCCESS/.test(output), output };
}

describe('alerting rules (vmalert -dryRun, vmalert-tool unittest)', function () {
  this.timeout(180_000);
  let work = '';
  let bin = '';

  before(function () {
    const versions = parseVersions(yaml.load(readFileSync(path.join(repo, 'ansible/versions.yml'), 'utf8')), 'versions.yml');
    const spec = vmutilsSpec(versions.victoriametrics, { withBackupTools: false });
    const tarball = path.join(repo, '.cache/mirror', spec.dir, spec.tarball);
    const unavailable = (why: string) => {
      if (process.env.VMHA_TESTS_NEED_MIRROR === '1') throw new Error(`alerting rules cannot be checked: ${why}`);
      console.log(`    skipped: ${why}`);
      this.skip();
    };
    if (!existsSync(ansible)) return unavailable(`${ansible} is missing (npm run lab or npm test installs the venv)`);
    if (!existsSync(tarball)) return unavailable(`${tarball} is missing (npm run artifacts)`);
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    // a mirror filled before vmalert-tool joined VMUTILS_DEFAULT_APPS
    if (!/^(\.\/)?vmalert-tool-prod$/m.test(listing)) return unavailable(`${tarball} has no vmalert-tool-prod (npm run artifacts refills it)`);
    work = mkdtempSync(path.join(tmpdir(), 'vmha-alerting-rules-'));
    bin = path.join(work, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    execFileSync('tar', ['-xzf', tarball, '-C', bin, 'vmalert-prod', 'vmalert-tool-prod']);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('renders rules that vmalert -dryRun accepts, and a broken rule it refuses', () => {
    const rules = render(work);
    const ok = spawnSync(path.join(bin, 'vmalert-prod'), ['-dryRun', `-rule=${rules}`], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).to.equal(0);
    writeFileSync(rules, readFileSync(rules, 'utf8').replace('label_replace(up == 0,', 'label_replace(up == ,'));
    const broken = spawnSync(path.join(bin, 'vmalert-prod'), ['-dryRun', `-rule=${rules}`], { encoding: 'utf8' });
    expect(broken.status).to.not.equal(0);
  });

  it('fires each alert on its series, with its labels and annotations, and nothing on healthy ones', () => {
    render(work);
    const result = unittest(bin, work);
    expect(result.ok, result.output).to.equal(true);
  });

  it('fails the unit test when a rule is weakened (ComponentDown only after 10 minutes)', () => {
    render(work, { vmalert_down_for: '10m' });
    const result = unittest(bin, work);
    expect(result.ok).to.equal(false);
    expect(result.output).to.match(/alertname: ComponentDown/);
  });
});
