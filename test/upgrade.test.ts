import { expect } from 'chai';
import {
  appVersion,
  compareVersions,
  parseJsonlEvents,
  playComponent,
  renderGateFailureMarkdown,
  renderUpgradeMarkdown,
  taskName,
  taskRuns,
  upgradePlan,
  upgradeSteps,
  validateGateFailure,
  validateUpgradeReport,
  type GateFailureDemo,
  type UpgradeReport,
} from '../scripts/lib/upgrade.js';

const t = (s: number): string => new Date(Date.UTC(2026, 10, 27, 22, 0, s)).toISOString();
const play = (name: string): string => JSON.stringify({ _event: 'v2_playbook_on_play_start', play: { name } });
const result = (event: string, host: string, task: string, from: number, to: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ _event: event, hosts: { [host]: { ...extra } }, task: { name: task, duration: { start: t(from), end: t(to) } } });
const ok = (host: string, task: string, from: number, to: number, extra: Record<string, unknown> = {}): string =>
  result('v2_runner_on_ok', host, task, from, to, extra);

/** One upgraded vmstorage host and one already on the release, as upgrade.yml's jsonl output has them. */
const jsonl = [
  'WARNING: a line that is not an event',
  play('Check the inventory and its generated vars'),
  ok('localhost', 'Validate the inventory', 0, 1),
  play('Upgrade vmstorage, one node at a time'),
  ok('vmstorage-1', 'Read the version the service runs now', 1, 2),
  ok('vmstorage-1', 'rolling_upgrade : Say what changes', 2, 2, { msg: 'vmstorage-1: vmstorage 1.149.0 -> 1.150.0' }),
  ok('vmstorage-1', 'rolling_upgrade : Gate, the cluster is whole before the host goes down', 2, 2),
  ok('vmstorage-1', 'rolling_upgrade : Gate, read what each vminsert sees', 2, 4),
  ok('vmstorage-1', 'Gate, every vmagent queue has drained', 4, 5),
  ok('vmstorage-1', "Upgrade with the component's own role", 5, 5),
  ok('vmstorage-1', 'vmstorage : Install the vmstorage binary', 5, 7),
  ok('vmstorage-1', 'Restart vmstorage', 7, 20),
  ok('vmstorage-1', 'Gate, the upgraded host is active', 20, 21),
  ok('vmstorage-1', 'Gate, every vmagent queue has drained', 21, 26),
  ok('vmstorage-2', 'Read the version the service runs now', 26, 27),
  result('v2_runner_on_skipped', 'vmstorage-2', 'Move this host to the new release between gates', 27, 27),
  play('Upgrade vminsert, one node at a time'),
  ok('vminsert-1', 'Say what changes', 30, 30, { msg: 'vminsert-1: vminsert 1.149.0 -> 1.150.0' }),
  result('v2_runner_on_failed', 'vminsert-1', 'Gate, every vminsert reaches every vmstorage and none is read-only', 30, 31, {
    msg: 'One or more items failed',
    results: [{ failed: false, msg: 'All assertions passed' }, { failed: true, msg: 'vminsert-1 (HTTP 200): cannot reach [10.213.0.13:8400]' }],
  }),
].join('\n');

describe('upgrade: order and versions', () => {
  it('takes vmstorage, then vminsert, then vmselect (the documented order), vmagent last', () => {
    const plan = upgradePlan({ vmagent: ['a1'], vmselect: ['s1', 's2'], vminsert: ['i1'], vmstorage: ['st1', 'st2'], grafana: ['g'] });
    expect(plan.map((p) => p.host)).to.deep.equal(['st1', 'st2', 'i1', 's1', 's2', 'a1']);
  });

  it('reads the release from vm_app_version of cluster and vmutils binaries', () => {
    expect(appVersion('x 1\nvm_app_version{version="vmstorage-20260814-122634-tags-v1.150.0-cluster-0-g31a38f2c38", short_version="v1.150.0-cluster"} 1\n')).to.equal('1.150.0');
    expect(appVersion('vm_app_version{version="vmagent-20260731-tags-v1.149.0-goproxy", short_version="v1.149.0"} 1')).to.equal('1.149.0');
    expect(appVersion('Unauthorized')).to.equal('');
  });

  it('compares releases numerically', () => {
    expect(compareVersions('1.150.0', '1.149.0')).to.equal(1);
    expect(compareVersions('1.9.0', '1.10.0')).to.equal(-1);
    expect(compareVersions('1.150.0', '1.150.0')).to.equal(0);
  });
});

describe('upgrade: steps from the jsonl output of upgrade.yml', () => {
  const steps = upgradeSteps(taskRuns(parseJsonlEvents(jsonl)));

  it('drops the role prefix the jsonl callback puts on task names', () => {
    expect(taskName('rolling_upgrade : Gate, x')).to.equal('Gate, x');
    expect(taskName('Gate, x')).to.equal('Gate, x');
  });

  it('names the component of an upgrade play only', () => {
    expect(playComponent('Upgrade vmselect, one node at a time')).to.equal('vmselect');
    expect(playComponent('Gather minimal facts')).to.equal(undefined);
  });

  it('has one step per host reached, in order, and ignores the other plays', () => {
    expect(steps.map((s) => `${s.component}/${s.host}`)).to.deep.equal(['vmstorage/vmstorage-1', 'vmstorage/vmstorage-2', 'vminsert/vminsert-1']);
  });

  it('splits an upgraded host into gate before, role and restart, gates after', () => {
    const [first] = steps;
    expect(first).to.include({ upgraded: true, change: 'vmstorage 1.149.0 -> 1.150.0', gate_before_seconds: 3, upgrade_seconds: 15, gate_after_seconds: 6, total_seconds: 25 });
    expect(first!.failed).to.equal(undefined);
  });

  it('marks a host already on the release as not upgraded', () => {
    expect(steps[1]).to.include({ upgraded: false, gate_before_seconds: 0, upgrade_seconds: 0 });
  });

  it('names the gate that stopped the run', () => {
    expect(steps[2]!.failed).to.deep.equal({
      task: 'Gate, every vminsert reaches every vmstorage and none is read-only',
      message: 'vminsert-1 (HTTP 200): cannot reach [10.213.0.13:8400]',
    });
  });
});

describe('upgrade: report', () => {
  const good: UpgradeReport = {
    from: '1.149.0',
    to: '1.150.0',
    prepare_seconds: 200,
    upgrade_seconds: 180,
    playbook_exit_code: 0,
    samples_written: 180,
    samples_read_back: 180,
    samples_lost: 0,
    reads: 180,
    failed_reads: 0,
    partial_reads: 0,
    scraped_samples_lost: 0,
    failed_read_details: [],
    steps: [{ component: 'vmstorage', host: 'vmstorage-1', upgraded: true, change: 'vmstorage 1.149.0 -> 1.150.0', gate_before_seconds: 1, upgrade_seconds: 10, gate_after_seconds: 2, total_seconds: 13 }],
    hosts: [{ host: 'vmstorage-1', component: 'vmstorage', before: '1.149.0', after: '1.150.0' }],
  };

  it('passes a clean run and renders its numbers', () => {
    expect(validateUpgradeReport(good)).to.deep.equal([]);
    const md = renderUpgradeMarkdown(good, 'context');
    expect(md).to.contain('**180 s**').and.contain('**0** of 180').and.contain('| vmstorage-1 | vmstorage | 1.149.0 | 1.150.0 |');
  });

  it('fails on a lost sample, a failed read, a host left behind or a failed step', () => {
    const bad: UpgradeReport = {
      ...good,
      samples_lost: 1,
      failed_reads: 2,
      hosts: [{ host: 'vmstorage-1', component: 'vmstorage', before: '1.149.0', after: '1.149.0' }],
      steps: [{ ...good.steps[0]!, failed: { task: 'Gate, x', message: 'y' } }],
    };
    const problems = validateUpgradeReport(bad);
    expect(problems.join('\n')).to.contain('1 acknowledged probe samples not read back').and.contain('2 reads').and.contain('runs 1.149.0 after').and.contain('Gate, x');
  });

  it('fails a run that measured nothing', () => {
    expect(validateUpgradeReport({ ...good, samples_written: 0, reads: 0 })).to.have.length(2);
  });

  it('accepts a gate failure demo only when the run stopped with hosts on both releases and resumed', () => {
    const demo: GateFailureDemo = {
      from: '1.149.0',
      to: '1.150.0',
      fault: 'vmstorage-3 stopped',
      exit_code: 2,
      stopped_at: 'vmstorage-2: Gate, ...',
      upgraded_hosts: ['vmstorage-1'],
      old_hosts: ['vmstorage-2'],
      resumed: true,
    };
    expect(validateGateFailure(demo)).to.deep.equal([]);
    expect(validateGateFailure({ ...demo, exit_code: 0, old_hosts: [], resumed: false })).to.have.length(3);
    expect(renderGateFailureMarkdown(demo, 'c')).to.contain('left on 1.149.0: vmstorage-2');
  });
});
