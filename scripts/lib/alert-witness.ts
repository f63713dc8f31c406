// Pure logic of the alert witness (scripts/lab-witness/alert-witness.py records every Alertmanager
// webhook notification as a JSON line): parsing its file and judging what reached it in a window.
// scripts/verify/alerting.ts does the I/O.

export interface WitnessAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

/** One notification as the receiver got it (Alertmanager webhook payload, version 4). */
export interface WitnessNotification {
  /** Unix seconds when the witness received it. */
  receivedAt: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  alerts: WitnessAlert[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

/** Parses the witness file; a malformed line throws naming its number (the file is the evidence). */
export function parseWitnessLog(text: string): WitnessNotification[] {
  const out: WitnessNotification[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new Error(`alert witness line ${index + 1} is not JSON: ${line.slice(0, 120)}`);
    }
    if (!isRecord(record) || typeof record.received_at !== 'number' || !isRecord(record.payload)) {
      throw new Error(`alert witness line ${index + 1} lacks received_at or payload`);
    }
    const p = record.payload;
    const status = p.status === 'resolved' ? 'resolved' : 'firing';
    const alerts = Array.isArray(p.alerts)
      ? p.alerts.filter(isRecord).map((a) => ({
          status: a.status === 'resolved' ? ('resolved' as const) : ('firing' as const),
          labels: stringMap(a.labels),
          ...(typeof a.startsAt === 'string' ? { startsAt: a.startsAt } : {}),
          ...(typeof a.endsAt === 'string' ? { endsAt: a.endsAt } : {}),
        }))
      : [];
    out.push({ receivedAt: record.received_at, status, receiver: typeof p.receiver === 'string' ? p.receiver : '', groupLabels: stringMap(p.groupLabels), alerts });
  });
  return out;
}

/** Notifications received in [from, to) (Unix seconds; to open-ended when undefined). */
export function receivedBetween(notifications: readonly WitnessNotification[], from: number, to?: number): WitnessNotification[] {
  return notifications.filter((n) => n.receivedAt >= from && (to === undefined || n.receivedAt < to));
}

/** Whether a notification is about `alertname` on `host` (its group labels, else any of its alerts). */
export function isAbout(n: WitnessNotification, alertname: string, host: string): boolean {
  const matches = (labels: Record<string, string>) => labels.alertname === alertname && labels.host === host;
  return matches(n.groupLabels) || n.alerts.some((a) => matches(a.labels));
}

/** One line per notification, for reports and failure messages. */
export function describeNotification(n: WitnessNotification, origin = 0): string {
  const names = [...new Set(n.alerts.map((a) => `${a.labels.alertname ?? '?'}{host=${a.labels.host ?? '?'},instance=${a.labels.instance ?? '?'}}`))];
  return `+${(n.receivedAt - origin).toFixed(1)} s ${n.status} ${names.join(', ')}`;
}

export interface FaultVerdict {
  ok: boolean;
  /** seconds from the stop to the first firing notification about the host (undefined: none) */
  firingAfter?: number;
  /** seconds from the start to the first resolved notification about the host */
  resolvedAfter?: number;
  firingCount: number;
  resolvedCount: number;
  /** notifications in the window that are not about the host */
  others: WitnessNotification[];
  problems: string[];
}

export interface FaultWindow {
  alertname: string;
  host: string;
  /** Unix seconds: the service was stopped */
  stoppedAt: number;
  /** Unix seconds: the service was started again */
  startedAt: number;
  /** Unix seconds: the end of the observation (after the resolved one, plus a quiet period) */
  endAt: number;
  /** bound on the firing notification (seconds after the stop), 120 in the issue */
  firingWithin: number;
  /** bound on the resolved notification (seconds after the start) */
  resolvedWithin: number;
}

/**
 * Exactly one firing notification about the host within `firingWithin` of the stop, exactly one
 * resolved one within `resolvedWithin` of the start, and no other notification in the window.
 */
export function judgeFault(notifications: readonly WitnessNotification[], w: FaultWindow): FaultVerdict {
  const inWindow = receivedBetween(notifications, w.stoppedAt, w.endAt);
  const about = inWindow.filter((n) => isAbout(n, w.alertname, w.host));
  const others = inWindow.filter((n) => !isAbout(n, w.alertname, w.host));
  const firing = about.filter((n) => n.status === 'firing');
  const resolved = about.filter((n) => n.status === 'resolved');
  const problems: string[] = [];
  const firingAfter = firing[0] ? firing[0].receivedAt - w.stoppedAt : undefined;
  const resolvedAfter = resolved[0] ? resolved[0].receivedAt - w.startedAt : undefined;
  if (firing.length !== 1) problems.push(`${firing.length} firing notifications about ${w.alertname} on ${w.host}, expected exactly 1`);
  if (firingAfter !== undefined && firingAfter > w.firingWithin) problems.push(`the firing notification came ${firingAfter.toFixed(1)} s after the stop, bound ${w.firingWithin} s`);
  if (firing[0] && firing[0].receivedAt >= w.startedAt) problems.push('the firing notification came only after the service was started again');
  if (resolved.length !== 1) problems.push(`${resolved.length} resolved notifications about ${w.alertname} on ${w.host}, expected exactly 1`);
  if (resolved[0] && resolved[0].receivedAt < w.startedAt) problems.push('a resolved notification came while the service was still stopped');
  if (resolvedAfter !== undefined && resolvedAfter > w.resolvedWithin) problems.push(`the resolved notification came ${resolvedAfter.toFixed(1)} s after the start, bound ${w.resolvedWithin} s`);
  if (others.length > 0) problems.push(`${others.length} other notification(s): ${others.map((n) => describeNotification(n, w.stoppedAt)).join('; ')}`);
  return { ok: problems.length === 0, firingAfter, resolvedAfter, firingCount: firing.length, resolvedCount: resolved.length, others, problems };
}
