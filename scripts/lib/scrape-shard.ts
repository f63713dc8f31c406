// Which vmagent of the scrape cluster scrapes which target, computed the way vmagent does it
// (VictoriaMetrics v1.150.0, lib/promscrape/config.go): after relabeling, the target's labels are
// sorted by name and joined as `name=value,` (appendScrapeWorkKey, no -promscrape.cluster.shardByLabels),
// hashed with xxhash64 (cespare/xxhash, seed 0), and the target goes to members
// idx, idx+1, ... (replicationFactor of them, wrapping) with idx = hash mod membersCount
// (getClusterMemberNumsForScrapeWork). Pure.

const MASK = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;
const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;
const add = (a: bigint, b: bigint): bigint => (a + b) & MASK;
const round = (acc: bigint, input: bigint): bigint => mul(rotl(add(acc, mul(input, P2)), 31n), P1);
const mergeRound = (acc: bigint, val: bigint): bigint => add(mul(acc ^ round(0n, val), P1), P4);

function readU64(b: Uint8Array, i: number): bigint {
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]!);
  return v;
}

function readU32(b: Uint8Array, i: number): bigint {
  return BigInt((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) >>> 0) + (BigInt(b[i + 3]!) << 24n);
}

/** XXH64 with seed 0 of the UTF-8 bytes of `input` (what Go's xxhash.Sum64 returns). */
export function xxhash64(input: string | Uint8Array): bigint {
  const b = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const n = b.length;
  let i = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = add(P1, P2);
    let v2 = P2;
    let v3 = 0n;
    let v4 = (0n - P1) & MASK;
    for (; i + 32 <= n; i += 32) {
      v1 = round(v1, readU64(b, i));
      v2 = round(v2, readU64(b, i + 8));
      v3 = round(v3, readU64(b, i + 16));
      v4 = round(v4, readU64(b, i + 24));
    }
    h = add(add(rotl(v1, 1n), rotl(v2, 7n)), add(rotl(v3, 12n), rotl(v4, 18n)));
    for (const v of [v1, v2, v3, v4]) h = mergeRound(h, v);
  } else {
    h = P5;
  }
  h = add(h, BigInt(n));
  for (; i + 8 <= n; i += 8) {
    h ^= round(0n, readU64(b, i));
    h = add(mul(rotl(h, 27n), P1), P4);
  }
  if (i + 4 <= n) {
    h ^= mul(readU32(b, i), P1);
    h = add(mul(rotl(h, 23n), P2), P3);
    i += 4;
  }
  for (; i < n; i++) {
    h ^= mul(BigInt(b[i]!), P5);
    h = mul(rotl(h, 11n), P1);
  }
  h ^= h >> 33n;
  h = mul(h, P2);
  h ^= h >> 29n;
  h = mul(h, P3);
  h ^= h >> 32n;
  return h;
}

/** A duration as Go's time.Duration.String() prints it ("15s", "1m0s", "1h30m0s", "500ms"). */
export function goDurationString(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`duration: ${ms} ms is not a whole non-negative number`);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const secMs = ms % 60_000;
  const sec = secMs % 1000 === 0 ? String(secMs / 1000) : (secMs / 1000).toFixed(3).replace(/0+$/, '');
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

/** Milliseconds of an inventory duration (`^[1-9][0-9]*(ms|s|m|h)$`). */
export function durationMs(text: string): number {
  const match = /^([1-9][0-9]*)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`duration: '${text}' is not a number plus ms, s, m or h`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * factor;
}

/** vmagent's defaults when a scrape config sets no timeout: 10 s, at most the interval. */
export const DEFAULT_SCRAPE_TIMEOUT_MS = 10_000;

export interface ScrapeTarget {
  job: string;
  address: string;
  /** Query parameters of the job (`params:`); the first value of each becomes `__param_<name>`. */
  params?: Readonly<Record<string, string>>;
}

/**
 * Labels of a static target after relabeling (vmha's scrape config has no relabeling), sorted by
 * name: what vmagent hashes. Same as `discoveredLabels` on vmagent's /api/v1/targets.
 */
export function shardLabels(target: ScrapeTarget, scrapeIntervalMs: number, scheme = 'http', metricsPath = '/metrics'): [string, string][] {
  const timeoutMs = Math.min(DEFAULT_SCRAPE_TIMEOUT_MS, scrapeIntervalMs);
  const labels: [string, string][] = [
    ['job', target.job],
    ['__address__', target.address],
    ['__scheme__', scheme],
    ['__metrics_path__', metricsPath],
    ['__scrape_interval__', goDurationString(scrapeIntervalMs)],
    ['__scrape_timeout__', goDurationString(timeoutMs)],
    ...Object.entries(target.params ?? {}).map(([name, value]): [string, string] => [`__param_${name}`, value]),
  ];
  // Go sorts label names bytewise; names are ASCII here
  return labels.filter(([, value]) => value !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The key vmagent hashes: `name=value,` for every label in order. */
export function shardKey(labels: readonly (readonly [string, string])[]): string {
  return labels.map(([name, value]) => `${name}=${value},`).join('');
}

/** The member numbers that scrape a target with this key (getClusterMemberNumsForScrapeWork). */
export function memberNumsForKey(key: string, membersCount: number, replicationFactor: number): number[] {
  if (membersCount <= 1) return [0];
  const first = Number(xxhash64(key) % BigInt(membersCount));
  const replicas = Math.max(1, replicationFactor);
  return Array.from({ length: replicas }, (_, i) => (first + i) % membersCount);
}
