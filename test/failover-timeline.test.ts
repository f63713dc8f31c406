// Failover timelines: per-second and per-dedup-window buckets, the optional `timeline` of the
// report JSON, the vega-lite plot rendered headless, and the markdown section.
import { expect } from 'chai';
import { renderFailoverJson, type FaultResult } from '../scripts/lib/failover.js';
import { plotFileName, renderTimelineSection, SECTION_BEGIN, SECTION_END, updateMarkdownSection } from '../scripts/lib/failover-plots.js';
import {
  buildTimeline,
  compactNumberArrays,
  renderVegaLiteSvg,
  sharedDomain,
  timelineRows,
  timelineSpec,
  type TimelineInput,
} from '../scripts/lib/failover-timeline.js';

const start = 1_800_000_000_000 + 400; // not on a second or window boundary
const probes = (from: number, count: number, failing: (second: number) => boolean) =>
  Array.from({ length: count }, (_, i) => ({ atMs: start + (from + i) * 1000, ok: !failing(from + i) }));

function input(over: Partial<TimelineInput> = {}): TimelineInput {
  return {
    faultStartMs: start,
    faultEndMs: start + 20_000,
    fromMs: start - 15_000,
    toMs: start + 45_000,
    writeProbes: probes(-15, 60, () => false),
    readProbes: probes(-15, 60, (s) => s >= 2 && s < 7),
    dedupSeconds: 5,
    probeSampleTimestamps: Array.from({ length: 61 }, (_, i) => Math.floor(start / 1000) * 1000 + (i - 15) * 1000),
    probeRatePerSecond: 1,
    scrapedTarget: 'vmstorage-1 10.213.0.11:9100',
    scrapedTimestamps: Array.from({ length: 12 }, (_, i) => Math.floor((start - 15_000) / 5000) * 5000 + i * 5000 + 1234),
    ...over,
  };
}

describe('failover timeline', () => {
  it('counts failed probes per second from the fault start, including the seconds before it', () => {
    const tl = buildTimeline(input());
    expect(tl.first_second).to.equal(-15);
    expect(tl.read_errors).to.have.length(60);
    expect(tl.read_errors.reduce((a, b) => a + b, 0)).to.equal(5);
    expect(tl.read_errors.slice(17, 22)).to.deep.equal([1, 1, 1, 1, 1]); // seconds 2..6
    expect(tl.write_errors.every((n) => n === 0)).to.equal(true);
    expect(tl.fault_seconds).to.equal(20);
  });

  it('counts samples per dedup window (end - w, end], whole windows only', () => {
    const tl = buildTimeline(input());
    // windows wholly inside [start - 15 s, start + 45 s): 11 of them, the first ending 5.4 s before the fault
    expect(tl.first_window_end).to.equal(-5.4);
    expect(tl.probe_samples).to.have.length(11);
    expect(tl.probe_samples.every((n) => n === 5)).to.equal(true);
    expect(tl.probe_samples_expected).to.equal(5);
    expect(tl.scraped_samples.every((n) => n === 1)).to.equal(true);
    const lost = buildTimeline(input({ scrapedTimestamps: input().scrapedTimestamps.filter((_, i) => i !== 5) }));
    expect(lost.scraped_samples.filter((n) => n === 0)).to.have.length(1);
    const dupes = buildTimeline(input({ probeSampleTimestamps: [...input().probeSampleTimestamps, ...input().probeSampleTimestamps] }));
    expect(dupes.probe_samples.every((n) => n === 5), 'the same timestamp counts once').to.equal(true);
  });

  it('refuses a range that does not contain the fault start', () => {
    expect(() => buildTimeline(input({ fromMs: start + 1000 }))).to.throw(/range/);
  });

  it('is an optional field of the report JSON: absent when not recorded, one line per array when present', () => {
    const base: FaultResult = {
      component: 'vmselect',
      fault: 'stop',
      samples_lost: 0,
      direct_writes_lost: 0,
      write_error_seconds: 0,
      read_error_seconds: 5,
      partial_reads: 0,
      recovery_seconds: 0.2,
    };
    const without = renderFailoverJson([base]);
    expect(without).to.not.include('timeline');
    const tl = buildTimeline(input());
    const text = renderFailoverJson([{ ...base, timeline: tl }]);
    expect(JSON.parse(text)[0].timeline).to.deep.equal(tl);
    expect(text).to.match(/"read_errors": \[0, 0, /);
    expect(compactNumberArrays('{\n  "a": [\n    1,\n    -2.5\n  ]\n}')).to.equal('{\n  "a": [1, -2.5]\n}');
  });

  it('lays the buckets out as rows on the time axis', () => {
    const tl = buildTimeline(input());
    const rows = timelineRows(tl);
    expect(rows.filter((r) => r.series === 'read errors' && r.value > 0).map((r) => r.t)).to.deep.equal([2, 3, 4, 5, 6]);
    expect(rows.find((r) => r.series === 'probe stream')!.t).to.equal(tl.first_window_end);
    expect(sharedDomain([tl, { ...tl, first_second: -30 }])).to.deep.equal([-30, 45]);
  });

  it('renders an SVG with vega (no browser) that changes with the data', async function () {
    this.timeout(20_000);
    const tl = buildTimeline(input());
    const svg = await renderVegaLiteSvg(timelineSpec(tl, { domain: [-15, 45], title: 'vmselect/stop' }));
    expect(svg).to.match(/^<svg/);
    expect(svg).to.include('vmselect/stop');
    expect(svg).to.include('read errors');
    expect(svg).to.include('seconds from the fault start');
    const again = await renderVegaLiteSvg(timelineSpec(tl, { domain: [-15, 45], title: 'vmselect/stop' }));
    expect(again, 'deterministic').to.equal(svg);
    const other = buildTimeline(input({ readProbes: probes(-15, 60, () => false) }));
    expect(await renderVegaLiteSvg(timelineSpec(other, { domain: [-15, 45], title: 'vmselect/stop' }))).to.not.equal(svg);
  });

  it('keeps the driver part of the markdown and replaces only its own section', () => {
    const result = { component: 'lb_select', fault: 'freeze', timeline: buildTimeline(input()) } as FaultResult;
    expect(plotFileName(result)).to.equal('lb-select-freeze.svg');
    const section = renderTimelineSection([result, { ...result, fault: 'stop', timeline: undefined }], 'failover', [-15, 45]);
    expect(section).to.include('![lb_select/freeze](failover/lb-select-freeze.svg)');
    expect(section).to.include('lb_select/stop: no timeline recorded');
    const md = '# Failover\n\n| table |\n';
    const once = updateMarkdownSection(md, section);
    expect(once.startsWith(md)).to.equal(true);
    expect(updateMarkdownSection(once, section)).to.equal(once);
    const changed = updateMarkdownSection(once, section.replace('failover/', 'x/'));
    expect(changed.split(SECTION_BEGIN)).to.have.length(2);
    expect(changed.split(SECTION_END)).to.have.length(2);
    expect(changed).to.include('(x/lb-select-freeze.svg)');
  });
});
