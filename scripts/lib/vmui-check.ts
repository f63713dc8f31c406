// The vmui browser check, pure parts: the vmui URL that runs a query, what the browser saw
// (console errors, failed or refused requests, the query_range answers, painted pixels) and the verdict.
// scripts/verify/vmui.ts drives Debian's chromium through playwright-core.

/** vmui of vmselect behind the read load balancers, with a graph query over the last `rangeMinutes`. */
export function vmuiUrl(readBase: string, expr: string, rangeMinutes: number): string {
  const base = readBase.replace(/\/+$/, '');
  const params = new URLSearchParams({ 'g0.expr': expr, 'g0.range_input': `${rangeMinutes}m`, 'g0.tab': '0', 'g0.relative_time': 'none' });
  return `${base}/select/0/vmui/#/?${params.toString()}`;
}

export interface BrowserEvents {
  consoleErrors: string[];
  /** Requests that failed at the network level (refused, reset, TLS). */
  failedRequests: string[];
  /** Responses with status >= 400: `status url`. */
  errorResponses: string[];
  /** Bodies of the /api/v1/query_range answers vmui received. */
  queryRangeBodies: string[];
  /** Pixels of the chart canvas that are not blank. */
  paintedPixels: number;
}

/** Data points in a Prometheus query_range answer (0 when it is not a successful matrix). */
export function queryRangePoints(body: string): number {
  try {
    const answer = JSON.parse(body) as { status?: string; data?: { resultType?: string; result?: { values?: unknown[] }[] } };
    if (answer.status !== 'success' || answer.data?.resultType !== 'matrix') return 0;
    return (answer.data.result ?? []).reduce((sum, series) => sum + (series.values?.length ?? 0), 0);
  } catch {
    return 0;
  }
}

export interface Verdict {
  ok: boolean;
  points: number;
  problems: string[];
}

/** The page passes when the query drew at least `minPoints` points, pixels were painted and nothing failed. */
export function judgeVmui(events: BrowserEvents, minPoints: number): Verdict {
  const problems: string[] = [];
  const points = Math.max(0, ...events.queryRangeBodies.map(queryRangePoints));
  if (events.queryRangeBodies.length === 0) problems.push('vmui sent no query_range request');
  else if (points < minPoints) problems.push(`the query drew ${points} points, expected at least ${minPoints}`);
  if (events.paintedPixels === 0) problems.push('the chart canvas has no painted pixels');
  for (const e of events.consoleErrors) problems.push(`console error: ${e}`);
  for (const f of events.failedRequests) problems.push(`request failed: ${f}`);
  for (const r of events.errorResponses) problems.push(`error response: ${r}`);
  return { ok: problems.length === 0, points, problems };
}
