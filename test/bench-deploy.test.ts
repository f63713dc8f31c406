import { expect } from 'chai';
import {
  benchVerdicts,
  changedHosts,
  costPerAddedHost,
  median,
  parseRecap,
  renderDeployBench,
  restartEvents,
  rollingVerdict,
  taskCounts,
  type DeployBench,
  type HostRecap,
  type RestartEvent,
  type SizeResult,
} from '../scripts/lib/bench-deploy.js';

// Colours as the default callback writes them with ANSIBLE_FORCE_COLOR.
const green = (text: string) => `\x1b[0;32m${text}\x1b[0m`;
const yellow = (text: string) => `\x1b[0;33m${text}\x1b[0m`;
const cyan = (text: string) => `\x1b[0;36m${text}\x1b[0m`;
const timing = (delta: string, total: string) =>
  `Saturday 28 November 2026  01:04:02 +0000 (${delta})       ${total} *****************************************`;

const firstRecap = `PLAY RECAP *********************************************************************
old-host                   : ok=1    changed=9    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
`;

// The recap of a second playbook in the same output, coloured, followed by profile_tasks' summary.
const lastRecap = [
  'PLAY RECAP *********************************************************************',
  `${yellow('vmagent-1')}                  : ${green('ok=47  ')} ${yellow('changed=3   ')} unreachable=0    failed=0    ${cyan('skipped=5   ')} rescued=0    ignored=0   `,
  `${green('grafana-1')}                  : ${green('ok=41  ')} changed=0    unreachable=0    failed=1    skipped=2    rescued=1    ignored=1   `,
  `${green('localhost')}                  : ${green('ok=4   ')} changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   `,
  '',
  timing('0:00:00.428', '0:01:08.290'),
  '===============================================================================',
  'vmha_service : Restart vmstorage ---------------------------------------- 3.21s',
  'vmha_service : Wait for vmstorage --------------------------------------- 1.05s',
  '',
].join('\r\n');

// The same counters wrapped onto a second line (narrow terminal / some callbacks).
const wrappedRecap = `PLAY RECAP *****
vmstorage-1                : ok=52   changed=2    unreachable=0    failed=0
    skipped=7    rescued=0    ignored=0
vmstorage-2                : ok=50   changed=0    unreachable=0    failed=0
    skipped=9    rescued=0    ignored=0

${timing('0:00:00.012', '0:00:21.004')}
`;

const recap = (host: string, ok: number, failed = 0, skipped = 0, rescued = 0, unreachable = 0): HostRecap => ({
  host,
  ok,
  changed: 0,
  unreachable,
  failed,
  skipped,
  rescued,
  ignored: 0,
});

describe('deploy benchmark: PLAY RECAP', () => {
  it('reads every host of the last recap with all seven counters, colours stripped', () => {
    expect(parseRecap(firstRecap + 'PLAY [second] ****\n' + lastRecap)).to.deep.equal([
      { host: 'vmagent-1', ok: 47, changed: 3, unreachable: 0, failed: 0, skipped: 5, rescued: 0, ignored: 0 },
      { host: 'grafana-1', ok: 41, changed: 0, unreachable: 0, failed: 1, skipped: 2, rescued: 1, ignored: 1 },
      { host: 'localhost', ok: 4, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
    ]);
  });

  it('joins counters wrapped onto the next line to their host, and stops at the timing line', () => {
    expect(parseRecap(wrappedRecap)).to.deep.equal([
      { host: 'vmstorage-1', ok: 52, changed: 2, unreachable: 0, failed: 0, skipped: 7, rescued: 0, ignored: 0 },
      { host: 'vmstorage-2', ok: 50, changed: 0, unreachable: 0, failed: 0, skipped: 9, rescued: 0, ignored: 0 },
    ]);
  });

  it('counts missing counters as 0 and gives [] without a recap', () => {
    expect(parseRecap('PLAY RECAP\nold : ok=3 changed=1\n')).to.deep.equal([
      { host: 'old', ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
    ]);
    expect(parseRecap('TASK [x] ***\nok: [a]\n')).to.deep.equal([]);
  });

  it('lists the hosts that changed in the last PLAY RECAP only', () => {
    expect(changedHosts(firstRecap + lastRecap)).to.deep.equal(['vmagent-1']);
    expect(changedHosts(wrappedRecap)).to.deep.equal(['vmstorage-1']);
    expect(changedHosts(firstRecap)).to.deep.equal(['old-host']);
  });
});

describe('deploy benchmark: tasks per host', () => {
  it('counts ok + failed + skipped + rescued + unreachable (changed and ignored are inside ok)', () => {
    // vmagent-1: 47 + 0 + 5 = 52; grafana-1: 41 + 1 + 2 + 1 = 45; localhost: 4.
    expect(taskCounts(parseRecap(lastRecap))).to.deep.equal({ min: 4, median: 45, max: 52, total: 101, hosts: 3 });
  });

  it('takes the mean of the two middle hosts for an even number of hosts', () => {
    expect(taskCounts([recap('a', 10), recap('b', 40, 0, 5), recap('c', 20), recap('d', 30, 0, 0, 0, 1)])).to.deep.equal({
      min: 10,
      median: 25.5,
      max: 45,
      total: 106,
      hosts: 4,
    });
  });

  it('the median of re-run seconds: the middle one, the mean of the middle two, 0 for none', () => {
    expect(median([7.1, 6.5, 9.9, 6.6, 6.9])).to.equal(6.9);
    expect(median([4, 3])).to.equal(3.5);
    expect(median([])).to.equal(0);
  });

  it('gives zeros for no hosts', () => {
    expect(taskCounts([])).to.deep.equal({ min: 0, median: 0, max: 0, total: 0, hosts: 0 });
  });
});

// A retention change deployed by the vmstorage play (serial: 1): each host's handlers run
// before the next host's batch, so every restart is followed by its health wait.
const rollingOutput = [
  'PLAY [Deploy vmstorage one node at a time (reads and writes keep being served)] ***',
  '',
  'TASK [vmha_service : Write the vmstorage unit] *********************************',
  timing('0:00:00.428', '0:01:08.290'),
  yellow('changed: [vmstorage-1]'),
  '',
  'RUNNING HANDLER [vmha_service : Restart vmstorage] *****************************',
  timing('0:00:00.301', '0:01:08.591'),
  'TASK path: /work/main/ansible/roles/vmha_service/handlers/main.yml:5',
  yellow('changed: [vmstorage-1]'),
  '',
  'RUNNING HANDLER [vmha_service : Reload vmstorage] ******************************',
  timing('0:00:02.113', '0:01:10.704'),
  cyan('skipping: [vmstorage-1]'),
  '',
  'RUNNING HANDLER [vmha_service : Wait for vmstorage] ****************************',
  timing('0:00:00.051', '0:01:10.755'),
  'FAILED - RETRYING: [vmstorage-1]: Wait for vmstorage (60 retries left).',
  green('ok: [vmstorage-1]'),
  '',
  'PLAY [Deploy vmstorage one node at a time (reads and writes keep being served)] ***',
  '',
  'TASK [vmha_service : Write the vmstorage unit] *********************************',
  timing('0:00:00.398', '0:01:12.001'),
  yellow('changed: [vmstorage-2]'),
  '',
  'RUNNING HANDLER [vmha_service : Restart vmstorage] *****************************',
  timing('0:00:00.290', '0:01:12.291'),
  yellow('changed: [vmstorage-2]'),
  '',
  'RUNNING HANDLER [vmha_service : Wait for vmstorage] ****************************',
  timing('0:00:02.001', '0:01:14.292'),
  green('ok: [vmstorage-2]'),
  '',
  'PLAY [Deploy vmselect] *********************************************************',
  '',
  'TASK [vmha_service : Check vmselect] *******************************************',
  green('ok: [vmselect-1]'),
  '',
  'PLAY RECAP *********************************************************************',
  'vmstorage-1                : ok=40   changed=2    unreachable=0    failed=0    skipped=5    rescued=0    ignored=0',
].join('\n');

// A handler throttled to one host at a time, but the waits only after all restarts.
const notRollingOutput = [
  'RUNNING HANDLER [vmha_service : Restart vmstorage] *****************************',
  timing('0:00:00.301', '0:01:08.591'),
  yellow('changed: [vmstorage-1]'),
  yellow('changed: [vmstorage-2]'),
  green('ok: [vmstorage-3]'),
  'RUNNING HANDLER [vmha_service : Wait for vmstorage] ****************************',
  timing('0:00:02.113', '0:01:10.704'),
  green('ok: [vmstorage-1]'),
  green('ok: [vmstorage-2]'),
  green('ok: [vmstorage-3]'),
  'RUNNING HANDLER [vmha_service : Restart vmagent] *******************************',
  yellow('changed: [vmagent-1 -> localhost]'),
  'TASK [vmagent : Something after] ***********************************************',
  // Not a handler result: a task's changed line is no restart.
  yellow('changed: [vmagent-2]'),
].join('\n');

describe('deploy benchmark: restarts', () => {
  it('reads restarts (changed: of Restart handlers) and health (ok: of Wait handlers) in output order', () => {
    expect(restartEvents(rollingOutput)).to.deep.equal([
      { kind: 'restart', service: 'vmstorage', host: 'vmstorage-1' },
      { kind: 'healthy', service: 'vmstorage', host: 'vmstorage-1' },
      { kind: 'restart', service: 'vmstorage', host: 'vmstorage-2' },
      { kind: 'healthy', service: 'vmstorage', host: 'vmstorage-2' },
    ]);
  });

  it('ignores ok: of a Restart handler, changed: of ordinary tasks, and reads the delegating host', () => {
    expect(restartEvents(notRollingOutput)).to.deep.equal([
      { kind: 'restart', service: 'vmstorage', host: 'vmstorage-1' },
      { kind: 'restart', service: 'vmstorage', host: 'vmstorage-2' },
      { kind: 'healthy', service: 'vmstorage', host: 'vmstorage-1' },
      { kind: 'healthy', service: 'vmstorage', host: 'vmstorage-2' },
      { kind: 'healthy', service: 'vmstorage', host: 'vmstorage-3' },
      { kind: 'restart', service: 'vmagent', host: 'vmagent-1' },
    ]);
  });

  it('reads handlers without a role prefix and a host once per handler (loop items)', () => {
    const output = [
      'RUNNING HANDLER [Restart grafana] ****',
      'changed: [grafana-1] => (item=a)',
      'changed: [grafana-1] => (item=b)',
      'RUNNING HANDLER [Wait for grafana] ****',
      'ok: [grafana-1]',
    ].join('\n');
    expect(restartEvents(output)).to.deep.equal([
      { kind: 'restart', service: 'grafana', host: 'grafana-1' },
      { kind: 'healthy', service: 'grafana', host: 'grafana-1' },
    ]);
  });

  it('accepts a rolling restart', () => {
    expect(rollingVerdict(restartEvents(rollingOutput))).to.deep.equal({
      restartedServices: ['vmstorage'],
      restartedHosts: ['vmstorage-1', 'vmstorage-2'],
      problems: [],
    });
  });

  it('detects a host restarting while another of the same service is not healthy, and a restart never followed by health', () => {
    expect(rollingVerdict(restartEvents(notRollingOutput))).to.deep.equal({
      restartedServices: ['vmstorage', 'vmagent'],
      restartedHosts: ['vmstorage-1', 'vmstorage-2', 'vmagent-1'],
      problems: [
        'vmstorage-2 restarted while vmstorage-1 was not yet healthy again (vmstorage)',
        'vmagent-1 restarted and was not seen healthy again (vmagent)',
      ],
    });
  });

  it('judges each service on its own: interleaved services are still rolling', () => {
    const events: RestartEvent[] = [
      { kind: 'restart', service: 'vmstorage', host: 'vmstorage-1' },
      { kind: 'restart', service: 'vmselect', host: 'vmselect-1' },
      { kind: 'healthy', service: 'vmstorage', host: 'vmstorage-1' },
      { kind: 'restart', service: 'vmstorage', host: 'vmstorage-2' },
      { kind: 'healthy', service: 'vmselect', host: 'vmselect-1' },
      { kind: 'healthy', service: 'vmstorage', host: 'vmstorage-2' },
      { kind: 'healthy', service: 'vmstorage', host: 'vmstorage-3' },
    ];
    expect(rollingVerdict(events)).to.deep.equal({
      restartedServices: ['vmstorage', 'vmselect'],
      restartedHosts: ['vmstorage-1', 'vmselect-1', 'vmstorage-2'],
      problems: [],
    });
  });
});

const tasks = (median: number, max: number) => ({ min: median, median, max, total: median * 15, hosts: 15 });
const size = (hosts: number, labUp: number, cold: number, rerun: number, rerunChanged: string[] = []): SizeResult => ({
  hosts,
  lab_up_seconds: labUp,
  cold_playbook_seconds: cold,
  rerun_seconds: rerun,
  cold_changed_hosts: hosts,
  rerun_changed_hosts: rerunChanged,
  cold_tasks: tasks(45, 52),
  rerun_tasks: tasks(38, 44),
  rerun_deployed_hosts: [],
  converge_all_seconds: rerun * 3,
  converge_all_changed_hosts: [],
  converge_all_tasks: tasks(60, 80),
});

function passingBench(): DeployBench {
  return {
    date: '2026-11-28T01:30:00.000Z',
    cores: 2,
    scope: 'the whole seed stack',
    connection: 'ssh (pipelining, ControlPersist)',
    // Deliberately not sorted by hosts.
    sizes: [size(30, 9, 110, 16), size(15, 6, 100, 12), size(60, 15, 150, 23.5)],
    setting_change: {
      setting: 'vmstorage_retention_period',
      from: '30d',
      to: '31d',
      seconds: 31.25,
      changed_hosts: ['vmstorage-1', 'vmstorage-2'],
      restarted_services: ['vmstorage'],
      restarted_hosts: ['vmstorage-1', 'vmstorage-2'],
      rolling_problems: [],
      tasks: { min: 20, median: 40.5, max: 52, total: 600, hosts: 15 },
    },
    targets: { cold_playbook_seconds: 120, rerun_seconds: 30, rerun_growth_at_largest: 2 },
  };
}

const verdictOf = (bench: DeployBench, start: string) => {
  const verdict = benchVerdicts(bench).find((v) => v.name.startsWith(start));
  if (!verdict) throw new Error(`no verdict ${start}`);
  return verdict;
};

describe('deploy benchmark: verdicts', () => {
  it('passes every target of issue #15 with the smallest size, the setting change and the growth', () => {
    expect(benchVerdicts(passingBench())).to.deep.equal([
      { name: 'cold site.yml, 15 hosts', value: '100.0 s (with lab up: 106.0 s)', target: '<= 120 s', ok: true },
      { name: 'no-change re-run, 15 hosts', value: '12.0 s', target: '<= 30 s', ok: true },
      { name: 'no-change re-run changes no host (every size)', value: 'changed=0 at 15, 30, 60 hosts, plain and every role', target: 'changed=0 on every host', ok: true },
      { name: 'vmstorage_retention_period change restarts only the vmstorages', value: 'restarted: vmstorage', target: 'restarted: vmstorage', ok: true },
      { name: 'vmstorage_retention_period change restarts one host at a time', value: 'rolling', target: 'each host healthy before the next restarts', ok: true },
      { name: 're-run growth, largest size / smallest size', value: '1.96x (60 hosts 23.5 s / 15 hosts 12.0 s)', target: '<= 2x', ok: true },
    ]);
  });

  it('flips the cold site.yml verdict above 120 s (the lab start is shown, not counted)', () => {
    const bench = passingBench();
    bench.sizes[1] = size(15, 21, 120.5, 12);
    expect(verdictOf(bench, 'cold site.yml')).to.include({ value: '120.5 s (with lab up: 141.5 s)', ok: false });
    bench.sizes[1] = size(15, 21, 120, 12);
    expect(verdictOf(bench, 'cold site.yml').ok).to.equal(true);
  });

  it('flips the re-run verdict above 30 s', () => {
    const bench = passingBench();
    bench.sizes = [size(15, 6, 100, 30.5), size(60, 15, 150, 40)];
    expect(verdictOf(bench, 'no-change re-run,')).to.include({ value: '30.5 s', ok: false });
    bench.sizes = [size(15, 6, 100, 30), size(60, 15, 150, 40)];
    expect(verdictOf(bench, 'no-change re-run,').ok).to.equal(true);
  });

  it('flips idempotence when any size changed a host on the re-run', () => {
    const bench = passingBench();
    bench.sizes[2] = size(60, 15, 150, 23.5, ['vmagent-7']);
    expect(verdictOf(bench, 'no-change re-run changes')).to.include({ value: '60 hosts: vmagent-7', ok: false });
  });

  it('flips the setting change verdicts on another service, no restart, or a rolling problem', () => {
    const bench = passingBench();
    const change = bench.setting_change;
    if (!change) throw new Error('fixture');
    change.restarted_services = ['vmstorage', 'vmselect'];
    expect(verdictOf(bench, 'vmstorage_retention_period change restarts only')).to.include({ value: 'restarted: vmstorage, vmselect', ok: false });
    change.restarted_services = [];
    expect(verdictOf(bench, 'vmstorage_retention_period change restarts only')).to.include({ value: 'nothing restarted', ok: false });
    change.rolling_problems = ['vmstorage-2 restarted while vmstorage-1 was not yet healthy again (vmstorage)'];
    expect(verdictOf(bench, 'vmstorage_retention_period change restarts one')).to.include({
      value: '1 problem(s): vmstorage-2 restarted while vmstorage-1 was not yet healthy again (vmstorage)',
      ok: false,
    });
  });

  it('flips the growth verdict above 2x and reports what was not measured', () => {
    const bench = passingBench();
    bench.sizes[2] = size(60, 15, 150, 24.5);
    expect(verdictOf(bench, 're-run growth')).to.include({ value: '2.04x (60 hosts 24.5 s / 15 hosts 12.0 s)', ok: false });

    const single: DeployBench = { ...passingBench(), sizes: [size(15, 6, 100, 12)] };
    delete single.setting_change;
    const verdicts = benchVerdicts(single);
    expect(verdicts.filter((v) => !v.ok).map((v) => [v.name, v.value])).to.deep.equal([
      ['setting change restarts only the vmstorages', 'not measured'],
      ['setting change restarts one host at a time', 'not measured'],
      ['re-run growth, largest size / smallest size', 'not measured'],
    ]);
  });
});

describe('deploy benchmark: cost per added host', () => {
  it('divides the time added by the hosts added, between consecutive sizes in host order', () => {
    // cold deploy: 15 → 106, 30 → 119, 60 → 165; re-run: 12, 16, 23.5.
    const costs = costPerAddedHost(passingBench().sizes);
    expect(costs.map((c) => [c.from, c.to])).to.deep.equal([
      [15, 30],
      [30, 60],
    ]);
    expect(costs[0]?.cold_seconds_per_host).to.be.closeTo(13 / 15, 1e-9);
    expect(costs[0]?.rerun_seconds_per_host).to.be.closeTo(4 / 15, 1e-9);
    expect(costs[1]?.cold_seconds_per_host).to.be.closeTo(46 / 30, 1e-9);
    expect(costs[1]?.rerun_seconds_per_host).to.be.closeTo(7.5 / 30, 1e-9);
  });

  it('has nothing to say for one size and skips equal sizes', () => {
    expect(costPerAddedHost([size(15, 6, 100, 12)])).to.deep.equal([]);
    expect(costPerAddedHost([size(15, 6, 100, 12), size(15, 6, 90, 11)])).to.deep.equal([]);
  });
});

describe('deploy benchmark: report', () => {
  it('renders the header, one row per size, the setting change, the costs and the verdicts', () => {
    const text = renderDeployBench(passingBench());
    expect(text.startsWith('# Deploy benchmark\n')).to.equal(true);
    expect(text).to.contain('2026-11-28T01:30:00.000Z, 2 cores, connection: ssh (pipelining, ControlPersist). Scope: the whole seed stack.');
    const rows = text.split('\n').filter((line) => /^\| \d+ \| \d/.test(line));
    expect(rows.slice(0, 3)).to.deep.equal([
      '| 15 | 6.0 | 100.0 | 106.0 | 12.0 | 0 | 36.0 | 45, 52 | 38, 44 | 60, 80 | none |',
      '| 30 | 9.0 | 110.0 | 119.0 | 16.0 | 0 | 48.0 | 45, 52 | 38, 44 | 60, 80 | none |',
      '| 60 | 15.0 | 150.0 | 165.0 | 23.5 | 0 | 70.5 | 45, 52 | 38, 44 | 60, 80 | none |',
    ]);
    expect(text).to.contain('`vmstorage_retention_period` changed from `30d` to `31d`, then site.yml: 31.3 s (tasks per host: median 40.5, max 52).');
    expect(text).to.contain('- Hosts changed: vmstorage-1, vmstorage-2.');
    expect(text).to.contain('- Services restarted: vmstorage.');
    expect(text).to.contain('- Restart order: vmstorage-1 → vmstorage-2.');
    expect(text).to.contain('- Rolling: yes');
    expect(text).to.contain('| 15 | 30 | 0.87 | 0.27 |');
    expect(text).to.contain('| 30 | 60 | 1.53 | 0.25 |');
    expect(text).to.contain('| cold site.yml, 15 hosts | 100.0 s (with lab up: 106.0 s) | <= 120 s | within target |');
    expect(text).to.contain('| re-run growth, largest size / smallest size | 1.96x (60 hosts 23.5 s / 15 hosts 12.0 s) | <= 2x | within target |');
    expect(text).not.to.contain('OVER target');
  });

  it('renders the re-run as the median of its runs with their range', () => {
    const bench = passingBench();
    bench.sizes = [{ ...size(15, 6, 100, 3.4), rerun_samples: [3.6, 3.4, 3.3, 3.9, 3.4] }];
    expect(renderDeployBench(bench)).to.contain('| 15 | 6.0 | 100.0 | 106.0 | 3.4 (3.3 to 3.9, 5 runs) | 0 |');
  });

  it('renders what went wrong: changed hosts, rolling problems, OVER target, no setting change', () => {
    const bench = passingBench();
    bench.sizes = [{ ...size(15, 6, 100, 45, ['vmagent-1', 'grafana-1']), rerun_deployed_hosts: ['vmagent-1'], converge_all_changed_hosts: ['alert-1'] }];
    const change = bench.setting_change;
    if (!change) throw new Error('fixture');
    change.rolling_problems = ['vmstorage-2 restarted while vmstorage-1 was not yet healthy again (vmstorage)'];
    const text = renderDeployBench(bench);
    expect(text).to.contain('| 15 | 6.0 | 100.0 | 106.0 | 45.0 | 1 | 135.0 | 45, 52 | 38, 44 | 60, 80 | vmagent-1, grafana-1, alert-1 |');
    expect(text).to.contain('| no-change re-run changes no host (every size) | 15 hosts: vmagent-1, grafana-1, alert-1 | changed=0 on every host | OVER target |');
    expect(text).to.contain('- Rolling: NO. vmstorage-2 restarted while vmstorage-1 was not yet healthy again (vmstorage).');
    expect(text).to.contain('| no-change re-run, 15 hosts | 45.0 s | <= 30 s | OVER target |');
    expect(text).to.contain('One size measured: no cost per added host.');
    delete bench.setting_change;
    expect(renderDeployBench(bench)).to.match(/## One-setting change\n\nNot measured\./);
  });
});
