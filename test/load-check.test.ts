import { expect } from 'chai';
import {
  adminAuth,
  compareUnitStates,
  crashLines,
  curlAuthArgs,
  deniedSyscallLines,
  exportStats,
  flagFilePath,
  flagValue,
  limitErrorVerdict,
  metricSamples,
  parseCmdlineFlags,
  parseMetricsText,
  parseSnapshotCreate,
  parseSnapshotDelete,
  parseSnapshotList,
  parseSystemctlShow,
  partitionPrefix,
  renderLoadMarkdown,
  seriesKey,
  systemdQuote,
  execStartDropIn,
  limitBelow,
  shellQuote,
  unitKey,
  unitStates,
  unreachableStorageNodes,
  withAuth,
  type UnitState,
} from '../scripts/lib/load-check.js';

const show = `Id=vmstorage.service
NRestarts=0
InvocationID=aaa
ActiveState=active
SubState=running
ActiveEnterTimestamp=Fri 2026-11-27 18:00:00 UTC
MainPID=123

Id=node_exporter.service
NRestarts=2
InvocationID=bbb
ActiveState=active
SubState=running
ActiveEnterTimestamp=Fri 2026-11-27 17:00:00 UTC
MainPID=77
`;

describe('load check: unit states', () => {
  it('parses systemctl show blocks', () => {
    expect(parseSystemctlShow(show)).to.have.length(2);
    const states = unitStates('vmstorage-1', show);
    expect(states[0]).to.deep.equal({
      host: 'vmstorage-1', unit: 'vmstorage.service', nRestarts: 0, invocationId: 'aaa', activeState: 'active', subState: 'running',
      activeEnter: 'Fri 2026-11-27 18:00:00 UTC', mainPid: 123,
    });
    expect(states[1]!.nRestarts).to.equal(2);
    expect(() => parseSystemctlShow('garbage')).to.throw(/unexpected line 'garbage'/);
    expect(() => unitStates('h', 'Id=x.service\nNRestarts=\n')).to.throw(/NRestarts '' is not a number/);
  });

  const state = (over: Partial<UnitState>): UnitState => ({
    host: 'h', unit: 'u.service', nRestarts: 0, invocationId: 'i1', activeState: 'active', subState: 'running', activeEnter: 't1', mainPid: 1, ...over,
  });

  it('accepts exactly the restarts the check made', () => {
    const before = [state({}), state({ unit: 'v.service' })];
    const after = [state({ invocationId: 'i2', activeEnter: 't2' }), state({ unit: 'v.service' })];
    expect(compareUnitStates(before, after, new Set([unitKey('h', 'u.service')]))).to.deep.equal([]);
  });

  it('accepts earlier crashes (NRestarts above 0 before) and the reset of a manual restart', () => {
    const before = [state({ nRestarts: 3 }), state({ unit: 'v.service', nRestarts: 2 })];
    const after = [state({ nRestarts: 3 }), state({ unit: 'v.service', nRestarts: 0, invocationId: 'i2' })];
    expect(compareUnitStates(before, after, new Set([unitKey('h', 'v.service')]))).to.deep.equal([]);
  });

  it('accepts a oneshot that stays active (exited)', () => {
    const oneshot = state({ subState: 'exited' });
    expect(compareUnitStates([oneshot], [oneshot], new Set())).to.deep.equal([]);
  });

  it('reports crash restarts, unplanned and missing restarts, dead and missing units', () => {
    const before = [state({}), state({ unit: 'v.service' }), state({ unit: 'w.service' }), state({ unit: 'x.service' })];
    const after = [
      state({ nRestarts: 1, invocationId: 'i2' }),
      state({ unit: 'v.service', invocationId: 'i9', activeEnter: 't9' }),
      state({ unit: 'w.service', activeState: 'activating', subState: 'auto-restart' }),
    ];
    const problems = compareUnitStates(before, after, new Set([unitKey('h', 'u.service'), unitKey('h', 'w.service'), unitKey('h', 'z.service')]));
    expect(problems).to.deep.equal([
      'h/u.service: NRestarts went from 0 to 1 during the check: systemd restarted it after it died',
      'h/v.service: started anew (active since t9, was t1) though the check did not restart it',
      'h/w.service: activating/auto-restart after the check',
      'h/w.service: restarted by the check but still the same invocation',
      'h/x.service: missing after the check',
      'h/z.service: restarted by the check but not in the before snapshot',
    ]);
  });
});

describe('load check: journals', () => {
  it('finds FATAL, panic, runtime fatal errors, kills and failures', () => {
    const journal = [
      '2026-11-27T18:00:00.000Z\tinfo\tapp/vmstorage/main.go:100\tstarting vmstorage',
      '2026-11-27T18:00:01.000Z\tfatal\tlib/fs/mincore_linux.go:20\tFATAL: cannot call mincore(ptr=0x1, 1): operation not permitted',
      'panic: runtime error: index out of range [3] with length 3',
      'fatal error: runtime: out of memory',
      'vmselect.service: Main process exited, code=killed, status=9/KILL',
      'vmselect.service: Failed with result \'signal\'.',
      'vmselect.service: A process of this unit has been killed by the OOM killer.',
      'Started vmselect.service - VictoriaMetrics cluster vmselect.',
    ].join('\n');
    expect(crashLines(journal)).to.have.length(6);
    expect(crashLines('2026-11-27T18:00:00.000Z\tinfo\tforced merge for partition_prefix="2026_11" has been successfully finished')).to.deep.equal([]);
    expect(deniedSyscallLines(journal)).to.have.length(1);
    expect(deniedSyscallLines('all fine')).to.deep.equal([]);
  });
});

describe('load check: process flags and admin auth', () => {
  it('reads flags from /proc cmdline in every form', () => {
    const flags = parseCmdlineFlags(['/usr/local/bin/vmstorage-prod', '-storageDataPath=/var/lib/vmstorage', '--snapshotAuthKey=file:///etc/vmstorage/snap', '-dedup.minScrapeInterval', '5s', '-enableTCP6', '-storageNode=a', '-storageNode=b', ''].join('\0'));
    expect(flagValue(flags, 'storageDataPath')).to.equal('/var/lib/vmstorage');
    expect(flagValue(flags, 'dedup.minScrapeInterval')).to.equal('5s');
    expect(flagValue(flags, 'enableTCP6')).to.equal('true');
    expect(flags.get('storageNode')).to.deep.equal(['a', 'b']);
    expect(flagValue(flags, 'missing')).to.equal(undefined);
    expect(flagFilePath(flagValue(flags, 'snapshotAuthKey')!)).to.equal('/etc/vmstorage/snap');
    expect(flagFilePath('plain')).to.equal(undefined);
  });

  it('prefers the route authKey over basic auth, as VictoriaMetrics does', () => {
    expect(adminAuth(new Map([['snapshotAuthKey', 'k&1'], ['httpAuth.username', 'u']]), 'snapshotAuthKey')).to.deep.equal({ kind: 'authKey', key: 'k&1' });
    expect(adminAuth(new Map([['httpAuth.username', 'u'], ['httpAuth.password', "p'w"]]), 'snapshotAuthKey')).to.deep.equal({ kind: 'basic', username: 'u', password: "p'w" });
    expect(adminAuth(new Map(), 'snapshotAuthKey')).to.deep.equal({ kind: 'none' });
    expect(withAuth('http://x/snapshot/list', { kind: 'authKey', key: 'k&1' })).to.equal('http://x/snapshot/list?authKey=k%261');
    expect(withAuth('http://x/snapshot/delete?snapshot=s', { kind: 'authKey', key: 'k' })).to.equal('http://x/snapshot/delete?snapshot=s&authKey=k');
    expect(withAuth('http://x/a', { kind: 'none' })).to.equal('http://x/a');
    expect(curlAuthArgs({ kind: 'basic', username: 'u', password: "p'w" })).to.equal(`-u 'u:p'\\''w'`);
    expect(curlAuthArgs({ kind: 'none' })).to.equal('');
    expect(shellQuote("a'b")).to.equal(`'a'\\''b'`);
  });
});

describe('load check: snapshots and force merge', () => {
  it('parses snapshot answers', () => {
    expect(parseSnapshotCreate('{"status":"ok","snapshot":"20261127180000-187B0C2D5E1F"}')).to.equal('20261127180000-187B0C2D5E1F');
    expect(parseSnapshotList('{"status":"ok","snapshots":[\n"a",\n"b"\n]}')).to.deep.equal(['a', 'b']);
    expect(parseSnapshotList('{"status":"ok","snapshots":[]}')).to.deep.equal([]);
    expect(() => parseSnapshotDelete('{"status":"ok"}')).not.to.throw();
    expect(() => parseSnapshotCreate('{"status":"error","msg":"x"}')).to.throw(/status "error"/);
    expect(() => parseSnapshotCreate('Unauthorized')).to.throw(/not JSON/);
    expect(() => parseSnapshotCreate('{"status":"ok","snapshot":"../x"}')).to.throw(/no usable snapshot name/);
    expect(() => parseSnapshotList('{"status":"ok","snapshots":"a"}')).to.throw(/not a list of names/);
  });

  it('names the partition of a time (UTC month)', () => {
    expect(partitionPrefix(Date.UTC(2026, 10, 27, 23, 59))).to.equal('2026_11');
    expect(partitionPrefix(Date.UTC(2027, 0, 1))).to.equal('2027_01');
  });
});

describe('load check: metrics text', () => {
  const text = [
    '# HELP x',
    'vm_rpc_vmstorage_is_reachable{name="vminsert", addr="10.0.0.11:8400", rpc_call="writeRows"} 1',
    'vm_rpc_vmstorage_is_reachable{name="vminsert", addr="10.0.0.12:8400", rpc_call="writeRows"} 0',
    'vm_rpc_vmstorage_is_reachable{name="vminsert", addr="10.0.0.12:8400", rpc_call="writeMetadata"} 1',
    'vmagent_remotewrite_pending_data_bytes{path="/var/lib/vmagent/remotewrite-data/persistent-queue/1_ABC",url="1:secret-url"} 12345',
    'vm_app_version{version="vmstorage-20261127-\\"x\\""} 1',
    'go_gc_duration_seconds_count 17',
  ].join('\n');
  const samples = parseMetricsText(text);

  it('parses samples with labels', () => {
    expect(samples).to.have.length(6);
    expect(metricSamples(samples, 'vmagent_remotewrite_pending_data_bytes')[0]!.value).to.equal(12345);
    expect(metricSamples(samples, 'vm_app_version')[0]!.labels.version).to.equal('vmstorage-20261127-"x"');
    expect(metricSamples(samples, 'go_gc_duration_seconds_count')[0]).to.deep.equal({ name: 'go_gc_duration_seconds_count', labels: {}, value: 17 });
    expect(metricSamples(samples, 'vm_rpc_vmstorage_is_reachable', { rpc_call: 'writeRows' })).to.have.length(2);
  });

  it('finds storage nodes a vminsert or vmselect does not see', () => {
    expect(unreachableStorageNodes(samples, 'vm_rpc_vmstorage_is_reachable', ['10.0.0.11:8400', '10.0.0.12:8400', '10.0.0.13:8400'])).to.deep.equal([
      '10.0.0.12:8400',
      '10.0.0.13:8400',
    ]);
    expect(unreachableStorageNodes(samples, 'vm_rpc_vmstorage_is_reachable', ['10.0.0.11:8400'])).to.deep.equal([]);
  });
});

describe('load check: export statistics', () => {
  it('tells series that ended in a staleness marker from live ones', () => {
    const stats = exportStats(
      [
        { metric: { __name__: 'gone' }, values: [1, NaN], timestamps: [1, 2] },
        { metric: { __name__: 'stale_only' }, values: [NaN], timestamps: [5] },
        { metric: { __name__: 'unordered' }, values: [NaN, 3], timestamps: [1, 9] },
      ],
      10,
    );
    expect(stats.liveSeries).to.equal(2);
    expect([...stats.liveNames]).to.deep.equal(['unordered']);
  });

  it('counts series, names and samples; finds duplicates, over-full and empty series', () => {
    const stats = exportStats(
      [
        { metric: { __name__: 'up', instance: 'a' }, values: [1, 1], timestamps: [1, 2] },
        { metric: { instance: 'b', __name__: 'up' }, values: [1], timestamps: [1] },
        { metric: { __name__: 'up', instance: 'a' }, values: [1], timestamps: [3] },
        { metric: { __name__: 'x' }, values: [1, 1, 1, 1], timestamps: [1, 2, 3, 4] },
        { metric: { __name__: 'y' }, values: [], timestamps: [] },
      ],
      3,
    );
    expect(stats.series).to.equal(5);
    expect(stats.samples).to.equal(8);
    expect([...stats.names].sort()).to.deep.equal(['up', 'x', 'y']);
    expect(stats.duplicateSeries).to.deep.equal([seriesKey({ __name__: 'up', instance: 'a' })]);
    expect(stats.overfullSeries).to.deep.equal([{ key: seriesKey({ __name__: 'x' }), samples: 4 }]);
    expect(stats.emptySeries).to.equal(1);
    expect(stats.liveSeries).to.equal(4);
    expect([...stats.liveNames].sort()).to.deep.equal(['up', 'x']);
    expect(seriesKey({ b: '1', a: '2' })).to.equal(seriesKey({ a: '2', b: '1' }));
  });
});

describe('load check: -search.maxUniqueTimeseries', () => {
  it('quotes systemd ExecStart arguments', () => {
    expect(systemdQuote('-a=b')).to.equal('"-a=b"');
    expect(systemdQuote('x"y\\z $HOME 50%')).to.equal('"x\\"y\\\\z $$HOME 50%%"');
  });

  it('writes a drop-in with the running command line plus a lower limit', () => {
    const dropIn = execStartDropIn(['/usr/local/bin/vmselect-prod', '-storageNode=a:8401', '-search.maxUniqueTimeseries=9', '-httpListenAddr=:8481'], { 'search.maxUniqueTimeseries': '100' }, 'load check');
    expect(dropIn).to.equal(
      '# load check\n[Service]\nExecStart=\nExecStart="/usr/local/bin/vmselect-prod" "-storageNode=a:8401" "-httpListenAddr=:8481" "-search.maxUniqueTimeseries=100"\n',
    );
    expect(() => execStartDropIn(['vmselect-prod'], {}, 'x')).to.throw(/absolute binary path/);
    expect(() => execStartDropIn([], {}, 'x')).to.throw(/absolute binary path/);
  });

  it('picks a limit well below what each vmstorage holds', () => {
    expect(limitBelow(12_000, 3, 2)).to.equal(2000);
    expect(limitBelow(3, 3, 2)).to.equal(1);
    expect(() => limitBelow(0, 3, 2)).to.throw(/positive/);
  });

  it('accepts only a clean rejection that names the limit', () => {
    const err = '{"status":"error","errorType":"422","error":"the number of matching timeseries exceeds 1000; ... -search.maxUniqueTimeseries"}';
    expect(limitErrorVerdict(422, err).ok).to.equal(true);
    expect(limitErrorVerdict(200, '{"status":"success"}').reason).to.match(/limit was not enforced/);
    expect(limitErrorVerdict(502, 'no live upstreams').reason).to.match(/HTTP 502, not a clean rejection/);
    expect(limitErrorVerdict(0, 'timeout').reason).to.match(/no answer/);
    expect(limitErrorVerdict(400, 'bad query').reason).to.match(/without the limit/);
  });
});

describe('load check: report', () => {
  it('renders steps, measurements and failed checks', () => {
    const md = renderLoadMarkdown({
      startedAt: '2026-11-27T18:00:00Z',
      totalSeconds: 200,
      passed: false,
      steps: [{ phase: 'restart', name: 'vmstorage-1 | x', ok: true, seconds: 9.5, detail: 'health 200' }],
      checks: [
        { name: 'a', ok: true, evidence: '' },
        { name: 'b', ok: false, evidence: 'why' },
      ],
      measurements: { 'series in the lab': 1234 },
    });
    expect(md).to.include('**FAILED**, 1 of 2 checks passed in 200 s');
    expect(md).to.include('| restart | vmstorage-1 \\| x | ok | 9.5 | health 200 |');
    expect(md).to.include('- series in the lab: 1234');
    expect(md).to.include('## Failed checks\n\n- b: why');
  });
});
