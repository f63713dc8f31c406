// Role deploy_record: the host module that compares a host with the record of its last complete
// deploy (and checks its health with service_health's module_utils), and the controller lookup that
// fingerprints a run. All are Python plugins, exercised through python3 as Ansible imports them, on a
// temporary tree standing in for a host.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROLE = 'ansible/roles/deploy_record';

// As on the host: the record's script with the health check next to it (files/vmha_unit_health.py
// links to service_health's module_utils).
const MODULE_UTILS = 'import vmha_unit_health as health';

// Stand-ins for the host: `systemctl show` prints a block per unit from a.units ({unit: [state,
// restarts at the first read, restarts at later reads]}; a.reads says how many reads this process
// comes after: the record's read is the first, a later check's the second); a health URL answers
// a.urls[url] (null is 200). a.clock moves on by 2 s each sleep.
const HOST = [
  'a = json.loads(sys.argv[1])',
  'reads = [a.get("reads", 0)]',
  'def show(units):',
  '    i = min(reads[0], 1); reads[0] += 1',
  '    return health.parse_show("\\n\\n".join("Id=%s\\nLoadState=%s\\nActiveState=%s\\nSubState=x\\nNRestarts=%s" % (u, "not-found" if s == "missing" else "loaded", s, r[i]) for u in units for s, *r in [a["units"][u]]))',
  'now = [0]',
  'def probe(url): return a["urls"].get(url)',
  'def sleep(s): now[0] += s',
].join('\n');

function python(code: string, args: unknown): unknown {
  const script = ['import json, sys', `sys.path.insert(0, '${ROLE}/files')`, `sys.path.insert(0, '${ROLE}/lookup_plugins')`, code].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, JSON.stringify(args)], { encoding: 'utf8' }));
}

interface CheckResult {
  current: boolean;
  drift: string[];
}
type Units = Record<string, [state: string, restartsBefore: number, restartsAfter: number]>;
type Urls = Record<string, string | null>;

function check(recordPath: string, units: Units = {}, urls: Urls = {}, fingerprint = 'f1'): CheckResult {
  return python(
    [MODULE_UTILS, HOST, 'from vmha_deploy_record import check', 'print(json.dumps(check(a["path"], a["fp"], show=show, probe=probe)))'].join('\n'),
    { path: recordPath, fp: fingerprint, units, urls, reads: 1 },
  ) as CheckResult;
}

// The record is written with the units' first read (units not given are active, never restarted).
function record(recordPath: string, watched: string[], units: string[] | Units = [], fingerprint = 'f1', urls: string[] = []): boolean {
  const states: Units = Array.isArray(units) ? Object.fromEntries(units.map((u) => [u, ['active', 0, 0]])) : units;
  return python(
    [MODULE_UTILS, HOST, 'from vmha_deploy_record import record',
      'print(json.dumps(record(a["path"], a["fp"], a["watched"], list(a["units"]), a["urls"], show=show)))'].join('\n'),
    { path: recordPath, fp: fingerprint, watched, units: states, urls },
  ) as boolean;
}

function healthProblems(units: Units, urls: Urls, waitSeconds: number): { problems: string[]; waited: number } {
  return python(
    [MODULE_UTILS, HOST, 'p = health.health_problems(list(a["units"]), list(a["urls"]), a["wait"], show, probe=probe, sleep=sleep, clock=lambda: now[0])',
      'print(json.dumps({"problems": p, "waited": now[0]}))'].join('\n'),
    { units, urls, wait: waitSeconds },
  ) as { problems: string[]; waited: number };
}

describe('deploy_record: a host compared with the record of its last complete deploy', () => {
  let dir: string;
  let etc: string;
  let recordPath: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vmha-deploy-record-'));
    etc = join(dir, 'etc', 'vminsert');
    mkdirSync(join(etc, 'secrets'), { recursive: true });
    writeFileSync(join(etc, 'secrets', 'httpAuth.password'), 's3cret-value', { mode: 0o600 });
    writeFileSync(join(dir, 'etc', 'hosts'), '10.0.0.1 write.vmha.internal\n');
    symlinkSync('/etc/systemd/system/vminsert.service', join(etc, 'unit-link'));
    recordPath = join(dir, 'var', 'lib', 'vmha', 'deploy-record.marshal');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const watched = (): string[] => [etc, join(dir, 'etc', 'hosts'), join(dir, 'etc', 'absent')];

  it('a record file that is not a record (an older format, damage) makes the host not current', () => {
    mkdirSync(join(dir, 'var', 'lib', 'vmha'), { recursive: true });
    for (const content of ['{"fingerprint": "f1"}\n', '', 'N']) {
      writeFileSync(recordPath, content);
      expect(check(recordPath)).to.deep.equal({ current: false, drift: [] });
    }
  });

  it('without a record, or with the record of another fingerprint, the host is not current (and is deployed without a drift report)', () => {
    expect(check(recordPath)).to.deep.equal({ current: false, drift: [] });
    record(recordPath, watched(), [], 'f0');
    writeFileSync(join(dir, 'etc', 'hosts'), 'changed\n');
    expect(check(recordPath)).to.deep.equal({ current: false, drift: [] });
  });

  it('writes the record root-only and reports a change only when its content changes', () => {
    expect(record(recordPath, watched(), ['vminsert.service'])).to.equal(true);
    expect(statSync(recordPath).mode & 0o777).to.equal(0o600);
    expect(statSync(join(dir, 'var', 'lib', 'vmha')).mode & 0o777).to.equal(0o700);
    expect(record(recordPath, watched(), ['vminsert.service'])).to.equal(false);
    expect(record(recordPath, watched(), ['vminsert.service'], 'f2')).to.equal(true);
    expect(readFileSync(recordPath, 'utf8')).not.to.contain('s3cret-value');
  });

  it('an untouched, healthy host of the same fingerprint is current', () => {
    const healthy: Units = { 'vminsert.service': ['active', 0, 0], 'vmha-firewall.service': ['active', 1, 1] };
    record(recordPath, watched(), healthy, 'f1', ['http://127.0.0.1:8480/health']);
    expect(check(recordPath, healthy, { 'http://127.0.0.1:8480/health': null })).to.deep.equal({ current: true, drift: [] });
  });

  it('an untouched host whose service is unhealthy is not current, and says why', () => {
    record(recordPath, watched(), ['vminsert.service', 'vmha-firewall.service'], 'f1', ['http://127.0.0.1:8480/health']);
    const url = { 'http://127.0.0.1:8480/health': null };
    expect(check(recordPath, { 'vminsert.service': ['active', 0, 0], 'vmha-firewall.service': ['failed', 0, 0] }, url)).to.deep.equal({
      current: false, drift: ['vmha-firewall.service is failed/x (0 restarts)'],
    });
    expect(check(recordPath, { 'vminsert.service': ['active', 0, 0], 'vmha-firewall.service': ['active', 0, 0] },
      { 'http://127.0.0.1:8480/health': 'answered 503' }).drift).to.deep.equal(['http://127.0.0.1:8480/health answered 503']);
  });

  it('a unit that systemd restarted since the last deploy is not current (restart counts recorded at the deploy)', () => {
    const units: Units = { 'vminsert.service': ['active', 2, 3], 'vmha-firewall.service': ['active', 1, 1] };
    record(recordPath, watched(), units);
    const shown = execFileSync('python3', [`${ROLE}/files/vmha_deploy_record.py`, 'show', recordPath], { encoding: 'utf8' });
    expect(JSON.parse(shown).restarts).to.deep.equal({ 'vminsert.service': '2', 'vmha-firewall.service': '1' });
    expect(check(recordPath, units)).to.deep.equal({
      current: false, drift: ["vminsert.service was restarted since its last deploy (systemd's restarts: 2 -> 3)"],
    });
    expect(check(recordPath, { ...units, 'vminsert.service': ['active', 2, 0] }).drift).to.deep.equal(
      ["vminsert.service was restarted since its last deploy (systemd's restarts: 2 -> 0)"]);  // by hand: the count resets
    expect(check(recordPath, { ...units, 'vminsert.service': ['active', 2, 2] }).current).to.equal(true);
  });

  it('finds changed content, a changed mode, a new file, a missing file and a moved symlink', () => {
    record(recordPath, watched(), ['vminsert.service', 'vmha-firewall.service']);
    writeFileSync(join(dir, 'etc', 'hosts'), '10.0.0.9 write.vmha.internal\n');
    chmodSync(join(etc, 'secrets', 'httpAuth.password'), 0o644);
    writeFileSync(join(etc, 'extra.conf'), 'x');
    rmSync(join(etc, 'unit-link'));
    symlinkSync('/elsewhere', join(etc, 'unit-link'));
    const result = check(recordPath);
    expect(result.current).to.equal(false);
    expect(result.drift).to.have.members([
      `${join(dir, 'etc', 'hosts')} changed`,
      `${join(etc, 'secrets', 'httpAuth.password')} changed`,
      `${join(etc, 'extra.conf')} is new`,
      `${join(etc, 'unit-link')} changed`,
    ]);
    rmSync(join(etc, 'secrets'), { recursive: true });
    expect(check(recordPath).drift).to.include(`${join(etc, 'secrets', 'httpAuth.password')} is missing`);
  });

  it('a path that appears where the record saw none is drift', () => {
    record(recordPath, watched());
    writeFileSync(join(dir, 'etc', 'absent'), 'now here');
    expect(check(recordPath).drift).to.deep.equal([`${join(dir, 'etc', 'absent')} is new`]);
  });

  it('caps the list of reasons', () => {
    record(recordPath, watched());
    for (let i = 0; i < 15; i++) writeFileSync(join(etc, `new-${String(i).padStart(2, '0')}`), 'x');
    const { drift } = check(recordPath);
    expect(drift).to.have.length(11);
    expect(drift[10]).to.equal('and 5 more');
  });
});

describe('service_health: the health of a host (module_utils/vmha_unit_health.py)', () => {
  const url = 'http://127.0.0.1:8482/health';

  it('passes active units whose URLs answer 200 at once', () => {
    expect(healthProblems({ 'vmstorage.service': ['active', 2, 2] }, { [url]: null }, 60)).to.deep.equal({ problems: [], waited: 0 });
  });

  it('names a stopped unit, a missing unit and a unit that restarted while checked (a crash loop)', () => {
    const { problems } = healthProblems(
      { 'a.service': ['inactive', 0, 0], 'b.service': ['missing', 0, 0], 'c.service': ['active', 3, 4] }, {}, 0);
    expect(problems).to.deep.equal([
      'a.service is inactive/x (0 restarts)',
      'b.service is not installed',
      "c.service was restarted while being checked (systemd's restarts: 3 -> 4)",
    ]);
  });

  it('waits for a URL up to the limit, then names it and its answer', () => {
    expect(healthProblems({}, { [url]: 'did not answer (refused)' }, 10)).to.deep.equal({
      problems: [`${url} did not answer (refused)`], waited: 10,
    });
    expect(healthProblems({}, { [url]: 'answered 503' }, 0)).to.deep.equal({ problems: [`${url} answered 503`], waited: 0 });
  });
});

describe('deploy_record: the fingerprint of a run', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vmha-fingerprint-'));
    mkdirSync(join(dir, 'tree', 'roles', 'x', '__pycache__'), { recursive: true });
    mkdirSync(join(dir, 'tree', '.ansible', 'tmp'), { recursive: true });
    writeFileSync(join(dir, 'tree', 'site.yml'), '- hosts: all\n');
    writeFileSync(join(dir, 'inventory.yml'), 'all: {}\n');
    writeFileSync(join(dir, 'extra.yml'), 'a: 1\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const fingerprint = (args: string[] = [], version = '2.19.14', files: string[] = []): string =>
    python(
      [
        'import types; sys.modules["ansible"] = types.ModuleType("ansible")',
        'for m in ["ansible.context", "ansible.plugins", "ansible.plugins.lookup", "ansible.release"]: sys.modules[m] = types.ModuleType(m)',
        'sys.modules["ansible.plugins.lookup"].LookupBase = object',
        'sys.modules["ansible.release"].__version__ = "x"',
        'from vmha_deploy_fingerprint import fingerprint',
        'a = json.loads(sys.argv[1])',
        'print(json.dumps(fingerprint(a["roots"], a["args"], a["version"], a["files"])))',
      ].join('\n'),
      { roots: [join(dir, 'tree'), join(dir, 'inventory.yml')], args, version, files },
    ) as string;

  it('is stable, and ignores byte code and Ansible temp files', () => {
    const first = fingerprint();
    writeFileSync(join(dir, 'tree', 'roles', 'x', '__pycache__', 'a.pyc'), 'x');
    writeFileSync(join(dir, 'tree', '.ansible', 'tmp', 'y'), 'y');
    expect(fingerprint()).to.equal(first).and.to.match(/^[0-9a-f]{64}$/);
  });

  it('changes with a playbook, the inventory, an extra vars file, the command line and the ansible-core version', () => {
    const first = fingerprint(['@' + join(dir, 'extra.yml')]);
    const seen = new Set([first]);
    writeFileSync(join(dir, 'tree', 'site.yml'), '- hosts: vmstorage\n');
    seen.add(fingerprint(['@' + join(dir, 'extra.yml')]));
    writeFileSync(join(dir, 'inventory.yml'), 'all: {vars: {vmha_retention: 3M}}\n');
    seen.add(fingerprint(['@' + join(dir, 'extra.yml')]));
    writeFileSync(join(dir, 'extra.yml'), 'a: 2\n');
    seen.add(fingerprint(['@' + join(dir, 'extra.yml')]));
    seen.add(fingerprint(['vmha_restore_host=vmstorage-2']));
    seen.add(fingerprint([], '2.19.15'));
    expect(seen.size).to.equal(6);
  });

  it('changes when a controller file the inventory names changes (a renewed certificate)', () => {
    const cert = join(dir, 'lb.crt');
    writeFileSync(cert, 'certificate 1');
    const first = fingerprint([], '2.19.14', [cert]);
    expect(fingerprint([], '2.19.14', [cert])).to.equal(first);
    writeFileSync(cert, 'certificate 2');
    expect(fingerprint([], '2.19.14', [cert])).not.to.equal(first);
    rmSync(cert);
    expect(fingerprint([], '2.19.14', [cert])).not.to.equal(first);
    expect(fingerprint()).not.to.equal(fingerprint([], '2.19.14', [cert]));
  });
});
