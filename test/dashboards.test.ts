import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  customOptions,
  dashboardTargets,
  dashboardVariables,
  durationMs,
  formatDuration,
  interpolate,
  panelVerdict,
  parseVariableQuery,
  prometheusInterpolation,
  queryResultText,
  queryTiming,
  referencedVariables,
  relativeTimeMs,
  roundInterval,
  selectDefault,
  variableOptions,
  type DashboardVariable,
  type VariableSelection,
} from '../scripts/lib/dashboards.js';

const dashboardsDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../ansible/roles/grafana/files/dashboards');

function variable(overrides: Partial<DashboardVariable>): DashboardVariable {
  return { name: 'v', type: 'query', query: '', regex: '', multi: false, includeAll: false, allValue: undefined, current: [], sort: 0, ...overrides };
}

describe('dashboards: panel targets', () => {
  it('finds targets in panels and collapsed rows, skips hidden ones and targets without expr', () => {
    const dashboard = {
      title: 'd',
      panels: [
        { id: 1, type: 'stat', title: 'a', targets: [{ refId: 'A', expr: 'up' }, { refId: 'B', expr: 'x', hide: true }] },
        { id: 2, type: 'row', title: 'row', panels: [{ id: 3, type: 'timeseries', title: 'b', interval: '1m', maxDataPoints: 200, targets: [{ refId: 'A', expr: 'rate(x[5m])', instant: true }] }] },
        { id: 4, type: 'text', title: 'text' },
        { id: 5, type: 'table', title: 'c', targets: [{ refId: 'A', datasource: 'x' }] },
      ],
    };
    const targets = dashboardTargets(dashboard);
    expect(targets.map((t) => `${t.panelId}/${t.refId}/${t.expr}`)).to.deep.equal(['1/A/up', '3/A/rate(x[5m])']);
    expect(targets[1]).to.include({ instant: true, minInterval: '1m', maxDataPoints: 200, dashboard: 'd', panelTitle: 'b' });
    expect(targets[0]).to.include({ instant: false, minInterval: undefined });
  });

  it('rejects a malformed dashboard', () => {
    expect(() => dashboardTargets([], 'x.json')).to.throw(/x.json: not a JSON object/);
    expect(() => dashboardTargets({ panels: {} }, 'x.json')).to.throw(/panels is not a list/);
    expect(() => dashboardTargets({ panels: [{ targets: 3 }] }, 'x.json')).to.throw(/targets is not a list/);
  });

  it('every provisioned dashboard of the grafana role has queries and only known variables', () => {
    const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));
    expect(files.length).to.be.greaterThan(0);
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(path.join(dashboardsDir, file), 'utf8')) as unknown;
      const targets = dashboardTargets(dashboard, file);
      expect(targets.length, file).to.be.greaterThan(0);
      const names = new Set(dashboardVariables(dashboard, file).map((v) => v.name));
      for (const target of targets) {
        for (const ref of referencedVariables(target.expr)) {
          expect(ref.startsWith('__') || names.has(ref), `${file} ${target.panelTitle}: $${ref}`).to.equal(true);
        }
      }
    }
  });
});

describe('dashboards: template variables', () => {
  it('reads the templating list, old and new query formats', () => {
    const vars = dashboardVariables({
      templating: {
        list: [
          { name: 'job', type: 'query', query: 'label_values(up, job)', multi: true, includeAll: true, current: { value: ['$__all'] } },
          { name: 'inst', type: 'query', query: { query: 'label_values(up{job=~"$job"}, instance)', refId: 'X' }, regex: '/(.*):\\d+/', current: { value: 'a' }, sort: 1 },
          { name: 'win', type: 'interval', query: '1m,5m', current: { value: '5m' } },
        ],
      },
    });
    expect(vars.map((v) => [v.name, v.type, v.query])).to.deep.equal([
      ['job', 'query', 'label_values(up, job)'],
      ['inst', 'query', 'label_values(up{job=~"$job"}, instance)'],
      ['win', 'interval', '1m,5m'],
    ]);
    expect(vars[0]).to.include({ multi: true, includeAll: true });
    expect(vars[0]!.current).to.deep.equal(['$__all']);
    expect(vars[1]).to.include({ regex: '/(.*):\\d+/', sort: 1 });
    expect(dashboardVariables({})).to.deep.equal([]);
    expect(() => dashboardVariables({ templating: { list: [{ name: 'x', type: 'weird' }] } })).to.throw(/unknown type 'weird'/);
    expect(() => dashboardVariables({ templating: { list: [{ type: 'query' }] } })).to.throw(/has no name/);
  });

  it('parses the Prometheus variable query functions', () => {
    expect(parseVariableQuery('label_values(job)')).to.deep.equal({ kind: 'label_values', label: 'job', match: undefined });
    expect(parseVariableQuery('label_values(up{job="a,b"}, instance)')).to.deep.equal({ kind: 'label_values', label: 'instance', match: 'up{job="a,b"}' });
    expect(parseVariableQuery('metrics(^vm_.*)')).to.deep.equal({ kind: 'metrics', regex: '^vm_.*' });
    expect(parseVariableQuery('query_result(topk(3, up))')).to.deep.equal({ kind: 'query_result', expr: 'topk(3, up)' });
    expect(parseVariableQuery('label_names()')).to.deep.equal({ kind: 'label_names', match: undefined });
    expect(() => parseVariableQuery('up')).to.throw(/unsupported variable query 'up'/);
  });

  it('applies the variable regex (capture group, named group), drops duplicates and sorts', () => {
    expect(variableOptions(['b:1', 'a:2', 'a:3', 'x'], '/(.*):\\d/', 0)).to.deep.equal(['b', 'a']);
    expect(variableOptions(['b:1', 'a:2'], '/(?<value>.*):\\d/', 1)).to.deep.equal(['a', 'b']);
    expect(variableOptions(['n10', 'n9', 'n100'], '', 3)).to.deep.equal(['n9', 'n10', 'n100']);
    expect(variableOptions(['a', 'c', 'b'], '', 2)).to.deep.equal(['c', 'b', 'a']);
    expect(variableOptions(['abc', 'xbz'], 'b', 0)).to.deep.equal(['b']);
  });

  it('formats query_result series as Grafana shows them to the regex', () => {
    expect(queryResultText({ __name__: 'up', job: 'j', instance: 'i' }, '1', 1000)).to.equal('up{instance="i", job="j"} 1 1000');
  });

  it('reads custom options with text : value pairs and escaped commas', () => {
    expect(customOptions('a, b : bee,c\\,d')).to.deep.equal(['a', 'bee', 'c,d']);
  });

  it('selects the saved value, else All, else the first option', () => {
    expect(selectDefault(variable({ current: ['b'] }), ['a', 'b']).values).to.deep.equal(['b']);
    expect(selectDefault(variable({ current: ['gone'] }), ['a', 'b']).values).to.deep.equal(['a']);
    expect(selectDefault(variable({ current: ['gone'], includeAll: true }), ['a', 'b'])).to.include({ all: true });
    expect(selectDefault(variable({ current: ['$__all'], includeAll: true }), ['a', 'b']).values).to.deep.equal(['a', 'b']);
    expect(selectDefault(variable({ current: ['a', 'b', 'z'], multi: true }), ['a', 'b']).values).to.deep.equal(['a', 'b']);
    expect(selectDefault(variable({ type: 'constant', query: 'k' }), []).values).to.deep.equal(['k']);
    expect(() => selectDefault(variable({ name: 'inst' }), [])).to.throw(/variable 'inst' has no options/);
  });

  it('interpolates as the Prometheus datasource does', () => {
    const sel = (v: Partial<DashboardVariable>, values: string[], all = false): VariableSelection => ({ name: v.name ?? 'v', values, all, variable: variable(v) });
    expect(prometheusInterpolation(sel({}, ["it's"]))).to.equal("it\\\\'s");
    expect(prometheusInterpolation(sel({ multi: true }, ['10.0.0.1:9100']))).to.equal('10\\\\.0\\\\.0\\\\.1:9100');
    expect(prometheusInterpolation(sel({ multi: true }, ['a', 'b']))).to.equal('(a|b)');
    expect(prometheusInterpolation(sel({ includeAll: true, allValue: '.*' }, ['a', 'b'], true))).to.equal('.*');
    const selections = new Map([
      ['job', sel({ name: 'job', multi: true, includeAll: true }, ['vmselect', 'vminsert'], true)],
      ['inst', sel({ name: 'inst' }, ['a'])],
    ]);
    const builtins = { __rate_interval: '20s', __interval: '5s' };
    expect(interpolate('rate(x{job=~"$job",i="${inst}",k="[[inst]]"}[$__rate_interval]) [${__interval}]', selections, builtins)).to.equal(
      'rate(x{job=~"(vmselect|vminsert)",i="a",k="a"}[20s]) [5s]',
    );
    expect(interpolate('x{job=~"${job:pipe}"} ${inst:raw}', selections, builtins)).to.equal('x{job=~"vmselect|vminsert"} a');
    expect(interpolate('x{a=~"foo$"} $ 1', selections, builtins)).to.equal('x{a=~"foo$"} $ 1');
    expect(() => interpolate('x{a="$nope"}', selections, builtins)).to.throw(/unknown variable '\$nope'/);
    expect(() => interpolate('${inst:weird}', selections, builtins)).to.throw(/unsupported format 'weird'/);
    expect(referencedVariables('a $x ${y:raw} [[z]] $__range')).to.deep.equal(['x', 'y', 'z', '__range']);
  });
});

describe('dashboards: intervals', () => {
  it('reads durations and relative dashboard times', () => {
    expect(durationMs('15s')).to.equal(15_000);
    expect(durationMs('1.5m')).to.equal(90_000);
    expect(relativeTimeMs('now-3h')).to.equal(10_800_000);
    expect(relativeTimeMs('now')).to.equal(0);
    expect(() => durationMs('5 minutes')).to.throw(/not a Grafana duration/);
    expect(() => relativeTimeMs('now/d')).to.throw(/unsupported dashboard time/);
  });

  it('rounds and formats intervals as Grafana does', () => {
    expect(roundInterval(10_800)).to.equal(10_000);
    expect(roundInterval(40_000)).to.equal(30_000);
    expect(roundInterval(5)).to.equal(1);
    expect(formatDuration(120_000)).to.equal('2m');
    expect(formatDuration(90_000)).to.equal('90s');
    expect(formatDuration(1500)).to.equal('1500ms');
  });

  it('computes $__interval and $__rate_interval from range, data points and scrape interval', () => {
    const t = queryTiming({ rangeMs: 3 * 3_600_000, scrapeIntervalMs: 5000, maxDataPoints: 1000 });
    expect(t.intervalMs).to.equal(10_000);
    expect(t.rateIntervalMs).to.equal(20_000);
    expect(t.builtins).to.include({ __interval: '10s', __rate_interval: '20s', __range: '10800s', __range_s: '10800', __interval_ms: '10000' });
    const slow = queryTiming({ rangeMs: 3_600_000, scrapeIntervalMs: 15_000 });
    expect(slow.intervalMs).to.equal(15_000);
    expect(slow.rateIntervalMs).to.equal(60_000);
    expect(queryTiming({ rangeMs: 3_600_000, scrapeIntervalMs: 5000, minIntervalMs: 60_000 }).builtins.__interval).to.equal('1m');
    expect(() => queryTiming({ rangeMs: 0, scrapeIntervalMs: 5000 })).to.throw(/must be positive/);
  });
});

describe('dashboards: verdict on a panel answer', () => {
  const now = 1_000_000;
  it('passes fresh data', () => {
    const verdict = panelVerdict({ status: 'success', data: { result: [{ metric: {}, values: [[now - 100, '1'], [now - 10, '2']] }] } }, now, 60);
    expect(verdict.ok).to.equal(true);
    expect(verdict.summary).to.deep.equal({ series: 1, points: 2, newest: now - 10 });
  });
  it('fails empty, NaN-only, stale, partial and failed answers', () => {
    expect(panelVerdict({ status: 'success', data: { result: [] } }, now, 60)).to.include({ ok: false, reason: 'no data' });
    expect(panelVerdict({ status: 'success', data: { result: [{ metric: {}, values: [[now, 'NaN']] }] } }, now, 60).ok).to.equal(false);
    expect(panelVerdict({ status: 'success', data: { result: [{ metric: {}, value: [now - 600, '1'] }] } }, now, 60).reason).to.match(/600 s old/);
    expect(panelVerdict({ status: 'success', isPartial: true, data: { result: [{ metric: {}, value: [now, '1'] }] } }, now, 60).reason).to.match(/partial/);
    expect(panelVerdict({ status: 'error', errorType: 'bad_data', error: 'parse error' }, now, 60).reason).to.equal('query failed: bad_data parse error');
  });
});
