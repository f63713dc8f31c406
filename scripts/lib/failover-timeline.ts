// Per-second timeline of one failover fault (the optional `timeline` of a reports/failover.json
// entry) and its plot: a vega-lite spec, rendered to SVG server-side with vega (no browser).
// Pure: the failover driver collects the probes and samples, scripts/failover-plots.ts writes files.
import type { Probe } from './failover.js';

export interface FaultTimeline {
  /** Epoch ms of the fault's start: second 0 of the time axis. */
  fault_start_ms: number;
  /** How long the fault was applied (s). */
  fault_seconds: number;
  /** Second (relative to the fault's start, <= 0) that the per-second arrays start at. */
  first_second: number;
  /** Failed write probes (probe stream through the write DNS name, 1 Hz) in each second. */
  write_errors: number[];
  /** Failed read probes (count(up) through the read DNS name, 1 Hz) in each second. */
  read_errors: number[];
  /** The dedup window: -dedup.minScrapeInterval (s). */
  dedup_window_seconds: number;
  /** End (relative s) of the first dedup window of the arrays below; windows are (end - w, end]. */
  first_window_end: number;
  /** Probe stream samples read back per dedup window. */
  probe_samples: number[];
  /** Probe samples a full window holds (1 Hz stream: the window's length in seconds). */
  probe_samples_expected: number;
  /** The scraped target counted (node_exporter `up`, deduplicated), e.g. `vmstorage-1 10.213.0.11:9100`. */
  scraped_target: string;
  /** Its samples read back per dedup window (1 when every scrape landed). */
  scraped_samples: number[];
}

export interface TimelineInput {
  faultStartMs: number;
  faultEndMs: number;
  /** The accounted range: [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  writeProbes: readonly Probe[];
  readProbes: readonly Probe[];
  dedupSeconds: number;
  probeSampleTimestamps: readonly number[];
  /** Samples per second of the probe stream. */
  probeRatePerSecond: number;
  scrapedTarget: string;
  scrapedTimestamps: readonly number[];
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
/** Hard bound on the arrays (a timeline of more than an hour is a bug upstream). */
const maxSeconds = 3600;

/** Buckets of the fault's probes and samples, aligned to whole seconds from the fault's start and to the dedup windows. */
export function buildTimeline(input: TimelineInput): FaultTimeline {
  const { faultStartMs, fromMs, toMs } = input;
  if (!(toMs > fromMs) || fromMs > faultStartMs) throw new Error('timeline: the range must start before the fault and end after it starts');
  const firstSecond = -Math.ceil((faultStartMs - fromMs) / 1000);
  const lastSecond = Math.ceil((toMs - faultStartMs) / 1000) - 1;
  const seconds = lastSecond - firstSecond + 1;
  if (seconds > maxSeconds) throw new Error(`timeline: ${seconds} s is too long`);
  const perSecond = (probes: readonly Probe[]): number[] => {
    const counts = new Array<number>(seconds).fill(0);
    for (const p of probes) {
      if (p.ok) continue;
      const i = Math.floor((p.atMs - faultStartMs) / 1000) - firstSecond;
      if (i >= 0 && i < seconds) counts[i]!++;
    }
    return counts;
  };
  const w = input.dedupSeconds * 1000;
  if (!(w > 0)) throw new Error('timeline: dedup window must be positive');
  // windows (end - w, end] lying wholly inside [fromMs, toMs)
  const firstEnd = Math.ceil(fromMs / w) * w + w;
  const windows: number[] = [];
  for (let end = firstEnd; end < toMs; end += w) windows.push(end);
  const perWindow = (timestamps: readonly number[]): number[] => {
    const index = new Map(windows.map((end, i) => [end, i]));
    const counts = new Array<number>(windows.length).fill(0);
    for (const ts of new Set(timestamps)) {
      const i = index.get(Math.ceil(ts / w) * w);
      if (i !== undefined) counts[i]!++;
    }
    return counts;
  };
  return {
    fault_start_ms: faultStartMs,
    fault_seconds: round3((input.faultEndMs - faultStartMs) / 1000),
    first_second: firstSecond,
    write_errors: perSecond(input.writeProbes),
    read_errors: perSecond(input.readProbes),
    dedup_window_seconds: input.dedupSeconds,
    first_window_end: round3((firstEnd - faultStartMs) / 1000),
    probe_samples: perWindow(input.probeSampleTimestamps),
    probe_samples_expected: input.dedupSeconds * input.probeRatePerSecond,
    scraped_target: input.scrapedTarget,
    scraped_samples: perWindow(input.scrapedTimestamps),
  };
}

/** Puts arrays of plain numbers on one line in pretty-printed JSON (a timeline stays readable). */
export function compactNumberArrays(json: string): string {
  return json.replace(/\[\n\s*(-?[0-9.e+-]+(?:,\n\s*-?[0-9.e+-]+)*)\n\s*\]/g, (_m, body: string) => `[${body.split(/,\n\s*/).join(', ')}]`);
}

export interface PlotRow {
  t: number;
  value: number;
  series: string;
  panel: string;
}

export const PANEL_ERRORS = 'errors per second';
export const PANEL_PROBE = 'probe samples per dedup window';
export const PANEL_SCRAPE = 'scraped samples per dedup window';

/** The timeline as long-form rows: per-second errors at the second's start, window counts at the window's end. */
export function timelineRows(tl: FaultTimeline): PlotRow[] {
  const rows: PlotRow[] = [];
  tl.write_errors.forEach((value, i) => rows.push({ t: tl.first_second + i, value, series: 'write errors', panel: PANEL_ERRORS }));
  tl.read_errors.forEach((value, i) => rows.push({ t: tl.first_second + i, value, series: 'read errors', panel: PANEL_ERRORS }));
  tl.probe_samples.forEach((value, i) =>
    rows.push({ t: round3(tl.first_window_end + i * tl.dedup_window_seconds), value, series: 'probe stream', panel: PANEL_PROBE }),
  );
  tl.scraped_samples.forEach((value, i) =>
    rows.push({ t: round3(tl.first_window_end + i * tl.dedup_window_seconds), value, series: tl.scraped_target, panel: PANEL_SCRAPE }),
  );
  return rows;
}

export interface PlotOptions {
  /** Shared time axis of every fault's plot: [min, max] seconds from the fault's start. */
  domain: [number, number];
  title: string;
  width?: number;
}

/** The shared time axis of several timelines: from the earliest start to the latest end. */
export function sharedDomain(timelines: readonly FaultTimeline[]): [number, number] {
  if (timelines.length === 0) return [0, 1];
  const from = Math.min(...timelines.map((tl) => tl.first_second));
  const to = Math.max(...timelines.map((tl) => tl.first_second + tl.write_errors.length));
  return [from, to];
}

/**
 * A vega-lite spec of one fault: three rows on one time axis (seconds from the fault's start),
 * each with the fault window shaded: failed write and read probes per second; probe stream
 * samples per dedup window against the full count; the scraped target's samples per window
 * against 1.
 */
export function timelineSpec(tl: FaultTimeline, opts: PlotOptions): Record<string, unknown> {
  const width = opts.width ?? 520;
  const x = { field: 't', type: 'quantitative', scale: { domain: opts.domain, nice: false }, title: 'seconds from the fault start' };
  const faultLayer = {
    data: { values: [{ from: 0, to: tl.fault_seconds }] },
    mark: { type: 'rect', color: '#f28b82', opacity: 0.3 },
    encoding: { x: { field: 'from', type: 'quantitative', scale: { domain: opts.domain, nice: false } }, x2: { field: 'to' } },
  };
  const rows = timelineRows(tl);
  const xAxis = (last: boolean) => ({ ...x, axis: last ? { title: 'seconds from the fault start' } : { title: null, labels: false } });
  // failing seconds as blocks in one lane per path
  const errorRows = rows
    .filter((r) => r.panel === PANEL_ERRORS && r.value > 0)
    .map((r) => ({ ...r, t2: r.t + 1 }));
  const errorsPanel = {
    height: 40,
    width,
    layer: [
      faultLayer,
      {
        data: { values: errorRows },
        mark: { type: 'rect' },
        encoding: {
          x: xAxis(false),
          x2: { field: 't2' },
          y: { field: 'series', type: 'nominal', title: null, scale: { domain: ['write errors', 'read errors'] } },
          color: {
            field: 'series',
            type: 'nominal',
            scale: { domain: ['write errors', 'read errors'], range: ['#1a73e8', '#188038'] },
            legend: null,
          },
        },
      },
    ],
  };
  const samplesPanel = (name: string, title: string, expected: number, color: string, last: boolean) => ({
    height: 45,
    width,
    layer: [
      faultLayer,
      {
        data: { values: [{ y: expected }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#5f6368' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: rows.filter((r) => r.panel === name) },
        mark: { type: 'line', interpolate: 'step-before', color, point: { color, size: 12 } },
        encoding: {
          x: xAxis(last),
          y: { field: 'value', type: 'quantitative', title, axis: { tickMinStep: 1, tickCount: 2 }, scale: { domainMin: 0 } },
        },
      },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: opts.title,
      subtitle: `shaded: fault applied (${tl.fault_seconds} s); dashed: a full dedup window (${tl.dedup_window_seconds} s); blocks: seconds with a failed write or read probe`,
      anchor: 'start',
      fontSize: 12,
      subtitleFontSize: 9,
    },
    config: { font: 'Helvetica, Arial, sans-serif', axis: { labelFontSize: 9, titleFontSize: 9 }, concat: { spacing: 6 } },
    vconcat: [
      errorsPanel,
      samplesPanel(PANEL_PROBE, 'probe samples', tl.probe_samples_expected, '#e37400', false),
      samplesPanel(PANEL_SCRAPE, `${tl.scraped_target.split(' ')[0]} up`, 1, '#a142f4', true),
    ],
    spacing: 4,
    resolve: { scale: { x: 'shared' } },
  };
}

/** SVG of a vega-lite spec, rendered headless by vega (text measured by estimate: no canvas, no browser). */
export async function renderVegaLiteSvg(spec: Record<string, unknown>): Promise<string> {
  const [{ compile }, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const compiled = compile(spec as unknown as Parameters<typeof compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}
