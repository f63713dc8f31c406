// Grafana dashboard queries as Grafana itself would send them: the panel targets of a dashboard
// JSON, its template variables (query, custom, constant, interval, textbox, datasource) with the
// value Grafana selects by default, Grafana's Prometheus interpolation of those values, and the
// built-in interval variables. Pure: the caller resolves query variables against the cluster.

export interface PanelTarget {
  dashboard: string;
  panelId: number | undefined;
  panelTitle: string;
  panelType: string;
  refId: string;
  expr: string;
  /** Grafana runs an instant query for the target (otherwise a range query). */
  instant: boolean;
  /** Minimum interval of the target or panel (e.g. "1m"), when set. */
  minInterval: string | undefined;
  /** Panel's maxDataPoints, when set. */
  maxDataPoints: number | undefined;
}

export type VariableType = 'query' | 'custom' | 'constant' | 'interval' | 'textbox' | 'datasource' | 'adhoc';

export interface DashboardVariable {
  name: string;
  type: VariableType;
  /** The query (query variables), the option list (custom, interval) or the value (constant, textbox). */
  query: string;
  regex: string;
  multi: boolean;
  includeAll: boolean;
  allValue: string | undefined;
  /** Values of `current.value` in the saved dashboard ([] when none). */
  current: string[];
  /** 0 none, 1 alphabetical asc, 2 alphabetical desc, 3 numerical asc, 4 numerical desc, 5/6 case-insensitive alphabetical. */
  sort: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every target with an `expr` of every panel, rows (also collapsed ones) included; hidden targets are left out. */
export function dashboardTargets(dashboard: unknown, source = 'dashboard'): PanelTarget[] {
  if (!isObject(dashboard)) throw new Error(`${source}: not a JSON object`);
  const name = typeof dashboard.title === 'string' ? dashboard.title : source;
  const targets: PanelTarget[] = [];
  const walk = (panels: unknown, where: string): void => {
    if (panels === undefined) return;
    if (!Array.isArray(panels)) throw new Error(`${source}: ${where} is not a list`);
    panels.forEach((panel, index) => {
      if (!isObject(panel)) throw new Error(`${source}: ${where}[${index}] is not an object`);
      walk(panel.panels, `${where}[${index}].panels`);
      const panelTargets = panel.targets;
      if (panelTargets === undefined) return;
      if (!Array.isArray(panelTargets)) throw new Error(`${source}: ${where}[${index}].targets is not a list`);
      for (const target of panelTargets) {
        if (!isObject(target) || typeof target.expr !== 'string' || target.hide === true) continue;
        targets.push({
          dashboard: name,
          panelId: typeof panel.id === 'number' ? panel.id : undefined,
          panelTitle: typeof panel.title === 'string' ? panel.title : `panel ${index}`,
          panelType: typeof panel.type === 'string' ? panel.type : 'unknown',
          refId: typeof target.refId === 'string' ? target.refId : '?',
          expr: target.expr,
          instant: target.instant === true && target.range !== true,
          minInterval:
            typeof target.interval === 'string' && target.interval !== ''
              ? target.interval
              : typeof panel.interval === 'string' && panel.interval !== ''
                ? panel.interval
                : undefined,
          maxDataPoints: typeof panel.maxDataPoints === 'number' ? panel.maxDataPoints : undefined,
        });
      }
    });
  };
  walk(dashboard.panels, 'panels');
  walk(dashboard.rows, 'rows');
  return targets;
}

const variableTypes: readonly VariableType[] = ['query', 'custom', 'constant', 'interval', 'textbox', 'datasource', 'adhoc'];

function asStrings(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (value === undefined || value === null) return [];
  return [String(value)];
}

/** The dashboard's templating list. */
export function dashboardVariables(dashboard: unknown, source = 'dashboard'): DashboardVariable[] {
  if (!isObject(dashboard)) throw new Error(`${source}: not a JSON object`);
  const templating = dashboard.templating;
  if (templating === undefined) return [];
  if (!isObject(templating) || !Array.isArray(templating.list)) throw new Error(`${source}: templating.list is not a list`);
  return templating.list.map((raw, index) => {
    if (!isObject(raw) || typeof raw.name !== 'string' || raw.name === '') {
      throw new Error(`${source}: templating.list[${index}] has no name`);
    }
    const type = raw.type as VariableType;
    if (!variableTypes.includes(type)) throw new Error(`${source}: variable '${raw.name}' has unknown type '${String(raw.type)}'`);
    // Newer Grafana saves a query variable's query as {query, refId}.
    const query = isObject(raw.query) ? String(raw.query.query ?? '') : String(raw.query ?? '');
    const current = isObject(raw.current) ? asStrings(raw.current.value) : [];
    return {
      name: raw.name,
      type,
      query,
      regex: typeof raw.regex === 'string' ? raw.regex : '',
      multi: raw.multi === true,
      includeAll: raw.includeAll === true,
      allValue: typeof raw.allValue === 'string' && raw.allValue !== '' ? raw.allValue : undefined,
      current,
      sort: typeof raw.sort === 'number' ? raw.sort : 0,
    };
  });
}

/** What a Prometheus query variable asks for (Grafana's Prometheus templating functions). */
export type VariableQuery =
  | { kind: 'label_values'; label: string; match: string | undefined }
  | { kind: 'label_names'; match: string | undefined }
  | { kind: 'metrics'; regex: string }
  | { kind: 'query_result'; expr: string };

export function parseVariableQuery(query: string): VariableQuery {
  const text = query.trim();
  let m = /^label_names\(\s*(.*?)\s*\)$/s.exec(text);
  if (m) return { kind: 'label_names', match: m[1] ? m[1] : undefined };
  m = /^label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/s.exec(text);
  if (m) return { kind: 'label_values', label: m[2]!, match: m[1] };
  m = /^metrics\(\s*(.*?)\s*\)$/s.exec(text);
  if (m) return { kind: 'metrics', regex: m[1] ?? '' };
  m = /^query_result\(\s*(.+)\s*\)$/s.exec(text);
  if (m) return { kind: 'query_result', expr: m[1]! };
  throw new Error(`unsupported variable query '${query}' (expected label_values, label_names, metrics or query_result)`);
}

/** How Grafana shows one query_result series to the variable regex: `name{a="b", c="d"} value timestamp`. */
export function queryResultText(metric: Readonly<Record<string, string>>, value: string, timestampMs: number): string {
  const { __name__: name = '', ...labels } = metric;
  const pairs = Object.keys(labels)
    .sort()
    .map((label) => `${label}="${labels[label]}"`);
  return `${name}{${pairs.join(', ')}} ${value} ${timestampMs}`;
}

/**
 * Grafana's variable regex: values that do not match are dropped; with a capture group the
 * (named `value`, else first) group is the value. Then duplicates go and `sort` orders.
 */
export function variableOptions(values: readonly string[], regex: string, sort: number): string[] {
  let pattern: RegExp | undefined;
  if (regex !== '') {
    const m = /^\/(.*)\/([gimsuy]*)$/s.exec(regex);
    pattern = m ? new RegExp(m[1]!, m[2]!.replace('g', '')) : new RegExp(regex);
  }
  const out: string[] = [];
  for (const value of values) {
    let option = value;
    if (pattern) {
      const match = pattern.exec(value);
      if (!match) continue;
      option = match.groups?.value ?? (match.length > 1 ? match[1] ?? '' : match[0]);
    }
    if (option !== '' && !out.includes(option)) out.push(option);
  }
  const byNumber = (a: string, b: string) => (Number.parseFloat(a.replace(/^\D+/, '')) || 0) - (Number.parseFloat(b.replace(/^\D+/, '')) || 0);
  switch (sort) {
    case 1:
      return out.sort();
    case 2:
      return out.sort().reverse();
    case 3:
      return out.sort(byNumber);
    case 4:
      return out.sort(byNumber).reverse();
    case 5:
      return out.sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    case 6:
      return out.sort((a, b) => b.toLowerCase().localeCompare(a.toLowerCase()));
    default:
      return out;
  }
}

/** Options of a custom or interval variable: `a,b,c`, each maybe `text : value`. */
export function customOptions(query: string): string[] {
  return query
    .split(/(?<!\\),/)
    .map((part) => part.replace(/\\,/g, ','))
    .map((part) => {
      const pair = /^(.*?)\s+:\s+(.*)$/.exec(part.trim());
      return (pair ? pair[2]! : part).trim();
    })
    .filter((value) => value !== '');
}

export const allOption = '$__all';

export interface VariableSelection {
  name: string;
  /** The selected values; for "All", every option. */
  values: string[];
  all: boolean;
  variable: DashboardVariable;
}

/**
 * The value Grafana starts a dashboard with: the saved current value when it still is an option
 * (or "All" when saved as such), otherwise "All" when offered, otherwise the first option.
 * An empty option list is an error: the panel would query with an empty value.
 */
export function selectDefault(variable: DashboardVariable, options: readonly string[]): VariableSelection {
  const base = { name: variable.name, variable };
  if (variable.type === 'constant' || variable.type === 'textbox') {
    const value = variable.current[0] ?? variable.query;
    return { ...base, values: [value], all: false };
  }
  if (options.length === 0) throw new Error(`variable '${variable.name}' has no options`);
  const wantsAll = variable.current.includes(allOption) || variable.current.includes('All');
  if (variable.includeAll && (wantsAll || variable.current.length === 0)) return { ...base, values: [...options], all: true };
  const saved = variable.current.filter((value) => options.includes(value));
  if (saved.length > 0) return { ...base, values: variable.multi ? saved : [saved[0]!], all: false };
  if (variable.includeAll) return { ...base, values: [...options], all: true };
  return { ...base, values: [options[0]!], all: false };
}

const regularEscape = (value: string) => value.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
const regexEscape = (value: string) => value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');

/** Grafana's Prometheus datasource interpolation of a variable (no explicit format). */
export function prometheusInterpolation(selection: VariableSelection): string {
  const { variable, values, all } = selection;
  if (all && variable.allValue !== undefined) return variable.allValue;
  if (!variable.multi && !variable.includeAll) return regularEscape(values[0] ?? '');
  const escaped = values.map(regexEscape);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

/** `${var:format}` with Grafana's named formats. */
export function formatSelection(selection: VariableSelection, format: string): string {
  const { values, all, variable } = selection;
  if (all && variable.allValue !== undefined && format !== 'text') return variable.allValue;
  switch (format) {
    case 'raw':
    case 'text':
      return values.join(',');
    case 'csv':
      return values.join(',');
    case 'pipe':
      return values.join('|');
    case 'regex': {
      const escaped = values.map((v) => v.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&'));
      return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
    }
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'json':
      return JSON.stringify(values.length === 1 ? values[0] : values);
    default:
      throw new Error(`variable '${variable.name}': unsupported format '${format}'`);
  }
}

const variablePattern = /\$(\w+)|\$\{(\w+)(?::([^}]+))?\}|\[\[(\w+)(?::([^\]]+))?\]\]/g;

/**
 * Replaces every variable reference ($x, ${x}, ${x:format}, [[x]]) of `text`. `builtins` are
 * plain strings ($__interval, ...); `selections` are dashboard variables. An unknown name throws.
 */
export function interpolate(
  text: string,
  selections: ReadonlyMap<string, VariableSelection>,
  builtins: Readonly<Record<string, string>>,
): string {
  return text.replace(variablePattern, (whole, plain?: string, braced?: string, format?: string, bracket?: string, bracketFormat?: string) => {
    const name = plain ?? braced ?? bracket!;
    const fmt = format ?? bracketFormat;
    if (Object.hasOwn(builtins, name)) return builtins[name]!;
    const selection = selections.get(name);
    if (!selection) throw new Error(`unknown variable '${whole}'`);
    return fmt ? formatSelection(selection, fmt) : prometheusInterpolation(selection);
  });
}

/** Variable names a text refers to. */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(variablePattern)) names.add((m[1] ?? m[2] ?? m[4])!);
  return [...names];
}

/** Grafana duration ("15s", "1m", "2h", "1d", "1w", "500ms") in milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!m) throw new Error(`not a Grafana duration: '${text}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}

/** Dashboard time `from`/`to` ("now-3h", "now") as milliseconds before now. */
export function relativeTimeMs(text: string): number {
  const t = text.trim();
  if (t === 'now') return 0;
  const m = /^now-(\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y))$/.exec(t);
  if (!m) throw new Error(`unsupported dashboard time '${text}' (expected now or now-<duration>)`);
  return durationMs(m[1]!);
}

/** Grafana's rounding of a computed interval to a readable one (kbn.roundInterval). */
export function roundInterval(intervalMs: number): number {
  const steps: [number, number][] = [
    [10, 1], [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000],
    [3500, 2000], [7500, 5000], [12500, 10000], [17500, 15000], [25000, 20000], [45000, 30000],
    [90000, 60000], [210000, 120000], [450000, 300000], [750000, 600000], [1050000, 900000],
    [1500000, 1200000], [2700000, 1800000], [5400000, 3600000], [9000000, 7200000],
    [16200000, 10800000], [32400000, 21600000], [86400000, 43200000], [604800000, 86400000],
    [1814400000, 604800000], [3628800000, 2592000000],
  ];
  for (const [below, rounded] of steps) if (intervalMs < below) return rounded;
  return 31536000000;
}

/** Text form Grafana substitutes for an interval: the largest whole unit. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [['y', 31_536_000_000], ['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export interface QueryTiming {
  rangeMs: number;
  intervalMs: number;
  rateIntervalMs: number;
  builtins: Record<string, string>;
}

/**
 * $__interval, $__rate_interval, $__range and friends for one panel, as Grafana computes them:
 * interval = max(min interval, round(range / max data points)); the min interval is the
 * target's/panel's, else the datasource's scrape interval (`timeInterval`); rate interval =
 * max(interval + scrape interval, 4 x scrape interval).
 */
export function queryTiming(options: { rangeMs: number; scrapeIntervalMs: number; maxDataPoints?: number; minIntervalMs?: number }): QueryTiming {
  const { rangeMs, scrapeIntervalMs } = options;
  if (!(rangeMs > 0) || !(scrapeIntervalMs > 0)) throw new Error('queryTiming: range and scrape interval must be positive');
  const maxDataPoints = options.maxDataPoints ?? 1000;
  const minIntervalMs = options.minIntervalMs ?? scrapeIntervalMs;
  const intervalMs = Math.max(minIntervalMs, roundInterval(rangeMs / maxDataPoints));
  const rateIntervalMs = Math.max(intervalMs + scrapeIntervalMs, 4 * scrapeIntervalMs);
  const rangeS = Math.round(rangeMs / 1000);
  return {
    rangeMs,
    intervalMs,
    rateIntervalMs,
    builtins: {
      __interval: formatDuration(intervalMs),
      __interval_ms: String(intervalMs),
      __rate_interval: formatDuration(rateIntervalMs),
      __rate_interval_ms: String(rateIntervalMs),
      __range: `${rangeS}s`,
      __range_s: String(rangeS),
      __range_ms: String(rangeMs),
    },
  };
}

export interface PromResult {
  status?: string;
  error?: string;
  errorType?: string;
  isPartial?: boolean;
  data?: { resultType?: string; result?: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
}

export interface DataSummary {
  series: number;
  points: number;
  /** Timestamp (s) of the newest non-NaN point, undefined when none. */
  newest: number | undefined;
}

/** Series and (non-NaN) points in a Prometheus query answer. */
export function summarizeResult(answer: PromResult): DataSummary {
  const result = answer.data?.result ?? [];
  let points = 0;
  let newest: number | undefined;
  for (const series of result) {
    const samples = series.values ?? (series.value ? [series.value] : []);
    for (const [ts, value] of samples) {
      if (Number.isNaN(Number(value))) continue;
      points += 1;
      if (newest === undefined || ts > newest) newest = ts;
    }
  }
  return { series: result.length, points, newest };
}

/**
 * The verdict on one panel query: an error, a partial answer, no points, or only points older
 * than `freshSeconds` before `nowSeconds` ("No data" in a stat panel of a healthy cluster).
 */
export function panelVerdict(answer: PromResult, nowSeconds: number, freshSeconds: number): { ok: boolean; reason: string; summary: DataSummary } {
  const summary = summarizeResult(answer);
  if (answer.status !== 'success') return { ok: false, reason: `query failed: ${answer.errorType ?? ''} ${answer.error ?? 'no status'}`.trim(), summary };
  if (answer.isPartial === true) return { ok: false, reason: 'partial answer (a vmstorage was unreachable)', summary };
  if (summary.points === 0) return { ok: false, reason: 'no data', summary };
  const age = nowSeconds - (summary.newest ?? 0);
  if (age > freshSeconds) return { ok: false, reason: `newest point is ${Math.round(age)} s old (more than ${freshSeconds} s)`, summary };
  return { ok: true, reason: `${summary.series} series, ${summary.points} points`, summary };
}
