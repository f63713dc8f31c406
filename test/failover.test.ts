import { expect } from 'chai';
import {
  countLost,
  emptyDedupWindows,
  describeLossWindow,
  errorSeconds,
  expectedSamples,
  addressOrder,
  ciFaultSubset,
  faultHosts,
  faultName,
  faultPlan,
  findDuplicates,
  hostsFileAddresses,
  mergeResults,
  missedScrapes,
  selectFaults,
  findGaps,
  lossWindows,
  parseExportLines,
  recoverySeconds,
  renderFailoverJson,
  renderFailoverMarkdown,
  syntheticImportLines,
  validateFailoverReport,
  type FaultPlanEntry,
  type FaultResult,
} from '../scripts/lib/failover.js';

const seedHosts = {
  vmagent: ['vmagent-2', 'vmagent-1', 'vmagent-3'],
  lb_insert: ['lb-insert-2', 'lb-insert-1'],
  vminsert: ['vminsert-1', 'vminsert-2'],
  vmstorage: ['vmstorage-3', 'vmstorage-1', 'vmstorage-2'],
  vmselect: ['vmselect-1', 'vmselect-2'],
  lb_select: ['lb-select-1', 'lb-select-2'],
};
const bounds = { maxTotalSeconds: 3600, maxFaults: 30 };

describe('failover: fault plan', () => {
  it('plans every component kind x every fault on the first host, then both write balancers down and a lost disk', () => {
    const plan = faultPlan(seedHosts, 15, bounds);
    expect(plan).to.have.length(26);
    expect(plan[0]).to.deep.equal({ component: 'vmagent', fault: 'stop', host: 'vmagent-1', downSeconds: 45 });
    expect(plan.filter((entry) => entry.component === 'vmstorage').map((entry) => entry.fault)).to.deep.equal([
      'stop', 'crash', 'freeze', 'partition', 'lost-disk',
    ]);
    expect(plan.every((entry) => entry.fault === 'both-down' || ('host' in entry && entry.host.endsWith('-1')))).to.equal(true);
    expect(plan.at(-2)).to.deep.equal({ component: 'lb_insert', fault: 'both-down', hosts: ['lb-insert-1', 'lb-insert-2'], downSeconds: 60 });
    expect(plan.at(-1)).to.deep.equal({ component: 'vmstorage', fault: 'lost-disk', host: 'vmstorage-1', downSeconds: 45 });
    expect(faultHosts(plan.at(-2)!)).to.deep.equal(['lb-insert-1', 'lb-insert-2']);
    expect(faultHosts(plan[0]!)).to.deep.equal(['vmagent-1']);
    expect(new Set(plan.map(faultName)).size).to.equal(26);
  });

  it('selects a named subset in plan order and rejects unknown names', () => {
    const plan = faultPlan(seedHosts, 5, bounds);
    expect(selectFaults(plan, ['vmstorage/lost-disk', 'vmagent/crash']).map(faultName)).to.deep.equal(['vmagent/crash', 'vmstorage/lost-disk']);
    expect(selectFaults(plan, ciFaultSubset)).to.have.length(ciFaultSubset.length);
    expect(() => selectFaults(plan, ['vmagent/melt'])).to.throw(/unknown fault vmagent\/melt/);
  });

  it('keeps an instance down at least the minimum when scrapes are fast', () => {
    const plan = faultPlan(seedHosts, 2, { ...bounds, minDownSeconds: 20 });
    expect(plan[0]!.downSeconds).to.equal(20);
  });

  it('refuses plans over the time or count bound', () => {
    expect(() => faultPlan(seedHosts, 15, { maxTotalSeconds: 1000, maxFaults: 30 })).to.throw(/1185 s of faults exceed the limit of 1000 s/);
    expect(() => faultPlan(seedHosts, 15, { ...bounds, overheadSecondsPerFault: 200 })).to.throw(/exceed the limit of 3600 s/);
    expect(() => faultPlan(seedHosts, 15, { maxTotalSeconds: 3600, maxFaults: 25 })).to.throw(/26 faults exceed the limit of 25/);
  });

  it('rejects missing groups, a single write balancer and a bad interval', () => {
    expect(() => faultPlan({ ...seedHosts, vmselect: [] }, 15, bounds)).to.throw(/group 'vmselect' has no hosts/);
    expect(() => faultPlan({ ...seedHosts, lb_insert: ['lb-insert-1'] }, 15, bounds)).to.throw(/at least 2 lb_insert hosts, got 1/);
    expect(() => faultPlan(seedHosts, 0, bounds)).to.throw(/scrape interval must be a positive number/);
  });
});

describe('failover: gaps', () => {
  it('finds no gap in a steady series, whatever the order and duplicates', () => {
    expect(findGaps([30_000, 0, 15_000, 15_000, 45_000], 15)).to.deep.equal([]);
  });

  it('finds a missed scrape and ignores jitter under 1.5 intervals', () => {
    expect(findGaps([0, 22_000, 52_000, 60_000], 15)).to.deep.equal([{ fromMs: 22_000, toMs: 52_000, seconds: 30 }]);
    expect(findGaps([0, 30_000], 15, 2)).to.deep.equal([]);
  });

  it('handles empty and single-sample input, and rejects bad arguments', () => {
    expect(findGaps([], 15)).to.deep.equal([]);
    expect(findGaps([1000], 15)).to.deep.equal([]);
    expect(() => findGaps([0], 0)).to.throw(/interval must be a positive number/);
    expect(() => findGaps([0, NaN], 15)).to.throw(/not a finite number/);
  });
});

describe('failover: missed scrapes', () => {
  it('counts the scrapes hidden in each gap', () => {
    expect(missedScrapes([{ fromMs: 0, toMs: 10_000, seconds: 10 }, { fromMs: 20_000, toMs: 41_000, seconds: 21 }], 5)).to.equal(1 + 3);
    expect(missedScrapes(findGaps([0, 5000, 10_000], 5), 5)).to.equal(0);
    expect(missedScrapes([], 5)).to.equal(0);
    expect(() => missedScrapes([], 0)).to.throw(/interval must be a positive number/);
  });
});

describe('failover: empty dedup windows', () => {
  const sample = (ts: number, value = 1): { ts: number; value: number } => ({ ts, value });

  it('finds no empty window in a series deduplicated from two replicas with different phases', () => {
    const replicaA = [4_900, 9_900, 14_900].map((ts) => sample(ts));
    const replicaB = [15_100, 20_100, 25_100].map((ts) => sample(ts)); // A stopped, B carries on
    expect(emptyDedupWindows([...replicaA, ...replicaB], 5, 0, 30_000)).to.deep.equal([]);
  });

  it('reports each window no replica filled, and ignores staleness markers', () => {
    const samples = [sample(1_000), sample(6_000), sample(11_000, NaN), sample(21_000)];
    expect(emptyDedupWindows(samples, 5, 0, 25_000)).to.deep.equal([15_000, 20_000]);
  });

  it('counts only windows wholly inside the range', () => {
    expect(emptyDedupWindows([sample(7_000)], 5, 3_000, 12_000)).to.deep.equal([]);
    expect(emptyDedupWindows([sample(7_000)], 5, 0, 15_000)).to.deep.equal([5_000, 15_000]);
    expect(() => emptyDedupWindows([], 0, 0, 1)).to.throw(/interval must be a positive number/);
  });
});

describe('failover: name resolution as a client does it', () => {
  const hosts = [
    '127.0.0.1 localhost',
    '# vmha records',
    '10.213.0.41 write.vmha.internal',
    '10.213.0.42   write.vmha.internal  # second balancer',
    '10.213.0.51 read.vmha.internal',
    '10.213.0.41 write.vmha.internal',
    '',
  ].join('\n');

  it('reads every address of a name from a hosts file, in order, once each', () => {
    expect(hostsFileAddresses(hosts, 'write.vmha.internal')).to.deep.equal(['10.213.0.41', '10.213.0.42']);
    expect(hostsFileAddresses(hosts, 'read.vmha.internal')).to.deep.equal(['10.213.0.51']);
    expect(hostsFileAddresses(hosts, 'vmha')).to.deep.equal([]);
  });

  it('rotates the first address per request and keeps the others as retries', () => {
    expect(addressOrder(['a', 'b'], 0)).to.deep.equal(['a', 'b']);
    expect(addressOrder(['a', 'b'], 1)).to.deep.equal(['b', 'a']);
    expect(addressOrder(['a', 'b', 'c'], 5)).to.deep.equal(['c', 'a', 'b']);
    expect(addressOrder([], 3)).to.deep.equal([]);
  });
});

describe('failover: duplicates after dedup', () => {
  it('reports samples dedup should have merged (same window, or the same timestamp twice)', () => {
    expect(findDuplicates([1_000, 14_000, 16_000, 16_000], 15)).to.deep.equal([
      { windowEndMs: 15_000, timestampsMs: [1_000, 14_000] },
      { windowEndMs: 30_000, timestampsMs: [16_000, 16_000] },
    ]);
  });

  it('accepts samples close together on both sides of a window edge (a vmagent replica stopped)', () => {
    expect(findDuplicates([14_999, 15_001, 30_001, 45_001], 15)).to.deep.equal([]);
    expect(findDuplicates([15_000, 15_001], 15)).to.have.length(0);
  });

  it('handles empty input and rejects a bad interval', () => {
    expect(findDuplicates([], 15)).to.deep.equal([]);
    expect(() => findDuplicates([0], -1)).to.throw(/dedup interval must be a positive number/);
  });
});

describe('failover: synthetic stream accounting', () => {
  it('generates the expected timestamps, end excluded', () => {
    expect(expectedSamples(1000, 4000, 1000)).to.deep.equal([1000, 2000, 3000]);
    expect(expectedSamples(1000, 4500, 1000)).to.deep.equal([1000, 2000, 3000, 4000]);
    expect(expectedSamples(5000, 5000, 1000)).to.deep.equal([]);
  });

  it('rejects a bad step, fractional milliseconds and runaway streams', () => {
    expect(() => expectedSamples(0, 1000, 0)).to.throw(/step must be a positive number/);
    expect(() => expectedSamples(0.5, 1000, 100)).to.throw(/whole milliseconds/);
    expect(() => expectedSamples(0, 3_600_000_000, 1)).to.throw(/exceed the limit/);
  });

  it('counts lost, unexpected and duplicated samples', () => {
    const expected = expectedSamples(0, 10_000, 1000);
    const observed = [0, 1000, 2000, 6000, 7000, 7000, 8000, 9000, 12_345];
    expect(countLost(expected, observed, 2)).to.deep.equal({
      expected: 10,
      observed: 8,
      lost: 3,
      lostTimestamps: [3000, 4000],
      unexpected: 1,
      duplicated: 1,
    });
  });

  it('reports nothing lost when everything came back', () => {
    const expected = expectedSamples(0, 5000, 1000);
    expect(countLost(expected, [...expected].reverse())).to.include({ lost: 0, unexpected: 0, duplicated: 0, observed: 5 });
    expect(countLost([], [])).to.include({ expected: 0, lost: 0 });
  });

  it('merges consecutive losses into windows and describes them', () => {
    const windows = lossWindows([5000, 3000, 4000, 9000], 1000);
    expect(windows).to.deep.equal([
      { fromMs: 3000, toMs: 5000, samples: 3 },
      { fromMs: 9000, toMs: 9000, samples: 1 },
    ]);
    expect(describeLossWindow(windows[0]!, 'vminsert crash: in-memory buffer, ~200 ms flush')).to.equal(
      'lost 3 samples between 1970-01-01T00:00:03.000Z and 1970-01-01T00:00:05.000Z (vminsert crash: in-memory buffer, ~200 ms flush)',
    );
    expect(describeLossWindow(windows[1]!)).to.match(/^lost 1 sample between .* and [^(]*$/);
    expect(lossWindows([], 1000)).to.deep.equal([]);
    expect(() => lossWindows([1], 0)).to.throw(/step must be a positive number/);
  });
});

describe('failover: probe logs', () => {
  const probes = [
    { atMs: 0, ok: true },
    { atMs: 1000, ok: false },
    { atMs: 2000, ok: false },
    { atMs: 7000, ok: false }, // hung until its timeout: failing until the next probe
    { atMs: 8000, ok: true },
    { atMs: 9000, ok: false },
    { atMs: 10_000, ok: true },
    { atMs: 11_000, ok: true },
  ];

  it('sums the time probes were failing, in any order', () => {
    expect(errorSeconds([...probes].reverse(), 1000)).to.equal(8);
    expect(errorSeconds([{ atMs: 0, ok: false }], 500)).to.equal(0.5);
    expect(errorSeconds([], 1000)).to.equal(0);
    expect(() => errorSeconds(probes, 0)).to.throw(/probe interval must be a positive number/);
  });

  it('measures recovery to the start of the final all-ok run', () => {
    expect(recoverySeconds(probes, 8000)).to.equal(2);
    expect(recoverySeconds(probes, 12_000)).to.equal(undefined); // nothing probed after the fault
    expect(recoverySeconds([{ atMs: 0, ok: true }, { atMs: 5000, ok: true }], 3000)).to.equal(0); // failover: never failed
    expect(recoverySeconds([{ atMs: 0, ok: true }, { atMs: 5000, ok: false }], 3000)).to.equal(undefined); // never recovered
    expect(recoverySeconds([], 0)).to.equal(undefined);
  });
});

describe('failover: import and export formats', () => {
  it('renders import lines with sorted, escaped labels', () => {
    const lines = syntheticImportLines('vmha_synthetic_total', { run: 'a"b\\c\nd', job: 'failover' }, [
      { ts: 1000, value: 1 },
      { ts: 2000, value: 2.5 },
    ]);
    expect(lines).to.deep.equal([
      'vmha_synthetic_total{job="failover",run="a\\"b\\\\c\\nd"} 1 1000',
      'vmha_synthetic_total{job="failover",run="a\\"b\\\\c\\nd"} 2.5 2000',
    ]);
    expect(syntheticImportLines('up', {}, [{ ts: 5, value: NaN }])).to.deep.equal(['up NaN 5']);
  });

  it('rejects bad names and fractional timestamps', () => {
    expect(() => syntheticImportLines('1bad', {}, [])).to.throw(/invalid metric name '1bad'/);
    expect(() => syntheticImportLines('ok', { 'bad-name': 'x' }, [])).to.throw(/invalid label name 'bad-name'/);
    expect(() => syntheticImportLines('ok', { __name__: 'x' }, [])).to.throw(/invalid label name/);
    expect(() => syntheticImportLines('ok', {}, [{ ts: 1.5, value: 1 }])).to.throw(/not whole milliseconds/);
  });

  it('parses export JSON lines, skipping blank lines', () => {
    const text = [
      '{"metric":{"__name__":"vmha_synthetic_total","job":"failover"},"values":[1,2,null],"timestamps":[1000,2000,3000]}',
      '',
      '{"metric":{"__name__":"up"},"values":[],"timestamps":[]}',
      '',
    ].join('\n');
    const series = parseExportLines(text);
    expect(series).to.have.length(2);
    expect(series[0]!.metric).to.deep.equal({ __name__: 'vmha_synthetic_total', job: 'failover' });
    expect(series[0]!.timestamps).to.deep.equal([1000, 2000, 3000]);
    expect(series[0]!.values.slice(0, 2)).to.deep.equal([1, 2]);
    expect(Number.isNaN(series[0]!.values[2])).to.equal(true);
    expect(parseExportLines('')).to.deep.equal([]);
  });

  it('names the line of malformed input', () => {
    const good = '{"metric":{},"values":[1],"timestamps":[1]}';
    expect(() => parseExportLines(`${good}\n{oops`, 'vmselect export')).to.throw(/^vmselect export line 2: not JSON/);
    expect(() => parseExportLines('[1]')).to.throw(/line 1: not a JSON object/);
    expect(() => parseExportLines('{"metric":{"a":1},"values":[],"timestamps":[]}')).to.throw(/non-string label value/);
    expect(() => parseExportLines('{"values":[],"timestamps":[]}')).to.throw(/'metric' is not an object/);
    expect(() => parseExportLines('{"metric":{},"values":["1"],"timestamps":[1]}')).to.throw(/'values' is not an array/);
    expect(() => parseExportLines('{"metric":{},"values":[1],"timestamps":[1.5]}')).to.throw(/'timestamps' is not an array/);
    expect(() => parseExportLines(`${good}\n\n{"metric":{},"values":[1,2],"timestamps":[1]}`)).to.throw(/line 3: 2 values but 1 timestamps/);
  });
});

describe('failover: report', () => {
  const plan: FaultPlanEntry[] = [
    { component: 'vminsert', fault: 'crash', host: 'vminsert-1', downSeconds: 45 },
    { component: 'vmagent', fault: 'stop', host: 'vmagent-1', downSeconds: 45 },
    { component: 'lb_insert', fault: 'both-down', hosts: ['lb-insert-1', 'lb-insert-2'], downSeconds: 60 },
  ];
  const clean = (component: FaultResult['component'], fault: FaultResult['fault']): FaultResult => ({
    component,
    fault,
    samples_lost: 0,
    direct_writes_lost: 0,
    write_error_seconds: 0,
    read_error_seconds: 0,
    partial_reads: 0,
    recovery_seconds: 0,
  });
  const vminsertCrash: FaultResult = {
    ...clean('vminsert', 'crash'),
    direct_writes_lost: 3,
    write_error_seconds: 0.1 + 0.2,
    recovery_seconds: 4,
    explanation: 'in-memory buffer | ~200 ms flush',
  };
  const results = [vminsertCrash, clean('lb_insert', 'both-down'), clean('vmagent', 'stop')];

  it('renders deterministic JSON in plan order with a fixed key order', () => {
    const json = renderFailoverJson(results);
    expect(json).to.equal(renderFailoverJson([...results].reverse()));
    expect(json.endsWith('}\n]\n')).to.equal(true);
    const parsed = JSON.parse(json) as Record<string, unknown>[];
    expect(parsed.map((entry) => `${entry.component}/${entry.fault}`)).to.deep.equal(['vmagent/stop', 'lb_insert/both-down', 'vminsert/crash']);
    expect(Object.keys(parsed[2]!)).to.deep.equal([
      'component', 'fault', 'samples_lost', 'direct_writes_lost', 'write_error_seconds', 'read_error_seconds', 'partial_reads', 'recovery_seconds',
      'explanation',
    ]);
    expect(parsed[2]!.write_error_seconds).to.equal(0.3);
    expect(parsed[0]).to.not.have.property('explanation');
  });

  it('renders a markdown table and flags unexplained direct-write losses', () => {
    const markdown = renderFailoverMarkdown([...results, { ...clean('vmstorage', 'partition'), direct_writes_lost: 1 }]);
    const rows = markdown.trimEnd().split('\n');
    expect(rows).to.have.length(6);
    expect(rows[4]).to.equal('| vminsert | crash | 0 | 3 | 0.3 | 0.0 | 0 | 4.0 | in-memory buffer \\| ~200 ms flush |');
    expect(rows[5]).to.equal('| vmstorage | partition | 0 | 1 | 0.0 | 0.0 | 0 | 0.0 | **UNEXPLAINED** |');
    expect(renderFailoverMarkdown(results)).to.not.contain('UNEXPLAINED');
  });

  it('accepts a complete, loss-free, explained report', () => {
    expect(validateFailoverReport(results, plan)).to.deep.equal([]);
  });

  it('merges a chunk of fresh results over earlier ones, by fault', () => {
    const earlier = [clean('vmagent', 'stop'), { ...clean('vminsert', 'crash'), read_error_seconds: 9 }];
    const merged = mergeResults(earlier, [vminsertCrash, clean('lb_insert', 'both-down')]);
    expect(merged.map(faultName)).to.deep.equal(['vmagent/stop', 'lb_insert/both-down', 'vminsert/crash']);
    expect(merged[2]).to.equal(vminsertCrash);
  });

  it('flags reads that failed over 5 s and partial answers', () => {
    const slow = [clean('vmagent', 'stop'), { ...vminsertCrash, read_error_seconds: 5.5, partial_reads: 2 }, clean('lb_insert', 'both-down')];
    expect(validateFailoverReport(slow, plan)).to.deep.equal([
      'vminsert/crash: reads failed for 5.5 s (at most 5 s)',
      'vminsert/crash: 2 reads answered with isPartial true',
    ]);
    expect(validateFailoverReport([vminsertCrash, clean('lb_insert', 'both-down'), { ...clean('vmagent', 'stop'), read_error_seconds: 5 }], plan)).to.deep.equal([]);
  });

  it('lists every problem: missing, unplanned, repeated, lost scrapes, unexplained loss, bad numbers', () => {
    const problems = validateFailoverReport(
      [
        { ...vminsertCrash, explanation: '  ' },
        { ...clean('vmagent', 'stop'), samples_lost: 2 },
        clean('vmagent', 'stop'),
        { ...clean('vmselect', 'crash'), recovery_seconds: NaN },
      ],
      plan,
    );
    expect(problems).to.deep.equal([
      'lb_insert/both-down: planned fault has no result',
      'vmagent/stop: 2 results for one fault',
      'vmselect/crash: result for a fault that is not in the plan',
      'vminsert/crash: 3 direct writes lost without an explanation',
      'vmagent/stop: 2 scraped samples lost',
      'vmselect/crash: a count or duration is negative or not a number',
    ]);
  });
});
