// The probe load of the failover and upgrade scenarios, as applications see the lab: a writer of
// one sample a second through the write DNS name (queued until acknowledged and resent, as vmagent
// does) and a reader of count(up) once a second through the read DNS name; then the accounting
// through the read path with nocache=1 (vmselect must not answer from its rollup cache).
// Moved here from scripts/failover.ts unchanged in behaviour.
import { pollUntil } from '../lib/poll.js';
import { emptyDedupWindows, parseExportLines, syntheticImportLines, type Probe } from '../lib/failover.js';
import { hostsInGroup, labClusterSettings, labPorts } from '../lib/lab-topology.js';
import { request, type Client } from './dns-client.js';

const scrapeSeconds = Number.parseInt(labClusterSettings.scrape_interval, 10);
export const probeMs = 1000;
/** Bound of the wait for the scrapes to catch up. */
const catchUpLimitMs = 180_000;

export interface WriterOptions {
  /** Metric name of the probe series. */
  metric: string;
  /** Value of the `run` label, unique per run. */
  runId: string;
  /**
   * Series the stream is spread over (slot = second mod slots): with slots = the dedup interval in
   * seconds, each series gets one sample per dedup window, so deduplication keeps every sample.
   */
  slots: number;
}

export class Writer {
  readonly probes: Probe[] = [];
  /** Timestamps acknowledged (2xx from the write path) and when. */
  readonly acked = new Map<number, number>();
  private pending: number[] = [];
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: Client,
    private readonly options: WriterOptions,
  ) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      const ts = Math.floor(Date.now() / probeMs) * probeMs;
      this.pending.push(ts);
      if (this.pending.length > 3600) this.pending.shift(); // bounded like vmagent's queue; shows as loss
      if (this.inFlight) {
        this.probes.push({ atMs: ts, ok: false }); // the previous send still hangs
      } else {
        void this.send(ts);
      }
      this.timer = setTimeout(tick, probeMs - (Date.now() % probeMs));
    };
    this.timer = setTimeout(tick, probeMs - (Date.now() % probeMs));
  }

  private async send(atMs: number): Promise<void> {
    this.inFlight = true;
    const batch = [...this.pending];
    const { metric, runId, slots } = this.options;
    const body = batch.map((ts) => syntheticImportLines(metric, { run: runId, slot: String((ts / 1000) % slots) }, [{ ts, value: ts / 1000 }])[0]).join('\n');
    const result = await request(this.client.writeAddresses, labPorts.lb_insert, '/insert/0/prometheus/api/v1/import/prometheus', {
      credentials: this.client.write,
      ca: this.client.ca,
      method: 'POST',
      body: `${body}\n`,
    });
    const ok = result.status >= 200 && result.status < 300;
    if (ok) {
      const now = Date.now();
      for (const ts of batch) this.acked.set(ts, now);
      const sent = new Set(batch);
      this.pending = this.pending.filter((ts) => !sent.has(ts));
    }
    this.probes.push({ atMs, ok });
    this.inFlight = false;
  }

  pendingCount(): number {
    return this.pending.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await pollUntil(async () => this.inFlight, (inFlight) => !inFlight, { everyMs: 100, attempts: 101 });
  }
}

// The reader: count(up) of the node_exporter targets through the read DNS name, 1 Hz, every probe
// independent of the previous one (a hung request does not delay the next).
const expectedTargets = hostsInGroup('node_exporter').length;
const readerQuery = `/select/0/prometheus/api/v1/query?query=${encodeURIComponent('count(up{job="node_exporter"})')}&nocache=1`;

export interface ReadProbe extends Probe {
  partial: boolean;
  detail: string;
}

export class Reader {
  readonly probes: ReadProbe[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private stopped = false;

  constructor(private readonly client: Client) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      const atMs = Math.floor(Date.now() / probeMs) * probeMs;
      if (this.running < 10) void this.probe(atMs); // bounded concurrency
      else this.probes.push({ atMs, ok: false, partial: false, detail: 'too many hung reads' });
      this.timer = setTimeout(tick, probeMs - (Date.now() % probeMs));
    };
    this.timer = setTimeout(tick, probeMs - (Date.now() % probeMs));
  }

  private async probe(atMs: number): Promise<void> {
    this.running++;
    const result = await request(this.client.readAddresses, labPorts.lb_select, readerQuery, { credentials: this.client.read, ca: this.client.ca });
    this.running--;
    let ok = false;
    let partial = false;
    let detail = `${result.address} ${result.status} ${result.body.slice(0, 200)}`;
    try {
      const answer = JSON.parse(result.body) as { status: string; isPartial?: boolean; data: { result: { value: [number, string] }[] } };
      partial = answer.isPartial === true;
      const count = Number(answer.data.result[0]?.value[1]);
      ok = answer.status === 'success' && !partial && count === expectedTargets;
      detail = `${result.address} count ${count} partial ${partial}`;
    } catch {
      // not JSON: a failed read
    }
    this.probes.push({ atMs, ok, partial, detail });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await pollUntil(async () => this.running, (running) => running === 0, { everyMs: 100, attempts: 101 });
  }
}

// ---------------------------------------------------------------------------------------------
// Accounting through the read path (nocache=1: vmselect must not answer from its rollup cache).

export async function exportSeries(client: Client, match: string, startMs: number, endMs: number) {
  const query = `/select/0/prometheus/api/v1/export?match[]=${encodeURIComponent(match)}&start=${startMs / 1000}&end=${endMs / 1000}&nocache=1`;
  const exported = () => request(client.readAddresses, labPorts.lb_select, query, { credentials: client.read, ca: client.ca, timeoutMs: 20_000 });
  const result = await pollUntil(exported, (answer) => answer.status === 200, { everyMs: 2000, attempts: 5 });
  if (result.ok) return parseExportLines(result.value.body, `export ${match}`);
  throw new Error(`export ${match} failed through every read balancer`);
}

/** Missed scrapes of the deduplicated node_exporter `up` series inside [fromMs, toMs]. */
export async function missedScrapesIn(client: Client, fromMs: number, toMs: number): Promise<{ lost: number; detail: string[] }> {
  const series = await exportSeries(client, 'up{job="node_exporter"}', fromMs - 10_000, toMs + 10_000);
  const detail: string[] = [];
  let lost = 0;
  for (const host of hostsInGroup('node_exporter')) {
    const instance = `${host.address}:${labPorts.node_exporter}`;
    const samples = series
      .filter((s) => s.metric.instance === instance)
      .flatMap((s) => s.timestamps.map((ts, i) => ({ ts, value: s.values[i]! })));
    const empty = emptyDedupWindows(samples, scrapeSeconds, fromMs, toMs);
    lost += empty.length;
    if (empty.length) detail.push(`${host.name}: ${empty.length} empty windows ending ${empty.map((ms) => new Date(ms).toISOString().slice(11, 19)).join(', ')}`);
  }
  return { lost, detail };
}

/** The samples of the probe series `metric{run=runId}` read back in [fromMs, toMs]. */
export async function readProbeSamples(client: Client, metric: string, runId: string, fromMs: number, toMs: number): Promise<number[]> {
  const series = await exportSeries(client, `${metric}{run="${runId}"}`, fromMs, toMs);
  return series.flatMap((s) => s.timestamps).filter((ts) => ts >= fromMs && ts <= toMs);
}

/** Waits (bounded) until every node_exporter target has a sample at or after `ms`: vmagent queues drained. */
export async function waitForScrapesAfter(client: Client, ms: number): Promise<boolean> {
  const query = `/select/0/prometheus/api/v1/query?query=${encodeURIComponent('count(timestamp(up{job="node_exporter"}) >= ' + ms / 1000 + ')')}&nocache=1`;
  const scraped = async (): Promise<number | undefined> => {
    const result = await request(client.readAddresses, labPorts.lb_select, query, { credentials: client.read, ca: client.ca, timeoutMs: 5000 });
    try {
      return Number((JSON.parse(result.body) as { data: { result: { value: [number, string] }[] } }).data.result[0]?.value[1] ?? 0);
    } catch {
      return undefined; // read again
    }
  };
  return (await pollUntil(scraped, (count) => count === expectedTargets, { everyMs: 2000, seconds: catchUpLimitMs / 1000 })).ok;
}
