// Role deploy_record: the host module that compares a host with the record of its last complete
// deploy, and the controller lookup that fingerprints a run. Both are Python plugins, exercised
// through python3 as Ansible imports them, on a temporary tree standing in for a host.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROLE = 'ansible/roles/deploy_record';

function python(code: string, args: unknown): unknown {
  const script = ['import json, sys', `sys.path.insert(0, '${ROLE}/library')`, `sys.path.insert(0, '${ROLE}/lookup_plugins')`, code].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, JSON.stringify(args)], { encoding: 'utf8' }));
}

interface CheckResult {
  fingerprint: string;
  drift: string[];
}

// Unit states come from a stand-in for `systemctl is-active` that prints the given states.
function check(recordPath: string, states: string[] = []): CheckResult {
  return python(
    [
      'from vmha_deploy_record import check',
      'a = json.loads(sys.argv[1])',
      'class Done: pass',
      'def run(argv, **kw):',
      '    d = Done(); d.stdout = "\\n".join(a["states"]); return d',
      'print(json.dumps(check(a["path"], run)))',
    ].join('\n'),
    { path: recordPath, states },
  ) as CheckResult;
}

function record(recordPath: string, watched: string[], units: string[] = [], fingerprint = 'f1'): boolean {
  return python(
    'from vmha_deploy_record import record\na = json.loads(sys.argv[1])\nprint(json.dumps(record(a["path"], a["fp"], a["watched"], a["units"])))',
    { path: recordPath, fp: fingerprint, watched, units },
  ) as boolean;
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
    recordPath = join(dir, 'var', 'lib', 'vmha', 'deploy-record.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const watched = (): string[] => [etc, join(dir, 'etc', 'hosts'), join(dir, 'etc', 'absent')];

  it('without a record, the host is not current and the reason says so', () => {
    const result = check(recordPath);
    expect(result.fingerprint).to.equal('');
    expect(result.drift).to.have.length(1);
    expect(result.drift[0]).to.match(/^no record of a complete deploy/);
  });

  it('writes the record root-only and reports a change only when its content changes', () => {
    expect(record(recordPath, watched(), ['vminsert.service'])).to.equal(true);
    expect(statSync(recordPath).mode & 0o777).to.equal(0o600);
    expect(statSync(join(dir, 'var', 'lib', 'vmha')).mode & 0o777).to.equal(0o700);
    expect(record(recordPath, watched(), ['vminsert.service'])).to.equal(false);
    expect(record(recordPath, watched(), ['vminsert.service'], 'f2')).to.equal(true);
    expect(readFileSync(recordPath, 'utf8')).not.to.contain('s3cret-value');
  });

  it('an untouched host with its units active has no drift and gives back the recorded fingerprint', () => {
    record(recordPath, watched(), ['vminsert.service', 'vmha-firewall.service']);
    expect(check(recordPath, ['active', 'active'])).to.deep.equal({ fingerprint: 'f1', drift: [] });
  });

  it('finds changed content, a changed mode, a new file, a missing file, a moved symlink and inactive units', () => {
    record(recordPath, watched(), ['vminsert.service', 'vmha-firewall.service']);
    writeFileSync(join(dir, 'etc', 'hosts'), '10.0.0.9 write.vmha.internal\n');
    chmodSync(join(etc, 'secrets', 'httpAuth.password'), 0o644);
    writeFileSync(join(etc, 'extra.conf'), 'x');
    rmSync(join(etc, 'unit-link'));
    symlinkSync('/elsewhere', join(etc, 'unit-link'));
    const result = check(recordPath, ['active', 'failed']);
    expect(result.drift).to.have.members([
      `${join(dir, 'etc', 'hosts')} changed`,
      `${join(etc, 'secrets', 'httpAuth.password')} changed`,
      `${join(etc, 'extra.conf')} is new`,
      `${join(etc, 'unit-link')} changed`,
      'unit vmha-firewall.service is not active',
    ]);
    rmSync(join(etc, 'secrets'), { recursive: true });
    expect(check(recordPath, ['active', 'active']).drift).to.include(`${join(etc, 'secrets', 'httpAuth.password')} is missing`);
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
