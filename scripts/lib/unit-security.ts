// Pure parsing and reporting of `systemd-analyze security UNIT` results.

export interface UnitExposure {
  host: string;
  unit: string;
  exposure: number;
  /** systemd's own verdict word: OK, MEDIUM, EXPOSED, UNSAFE. */
  verdict: string;
}

/** Highest exposure vmha accepts for a unit it installs (issue: "2.0 or lower"). */
export const MAX_EXPOSURE = 2.0;

/** Reads the last line, e.g. "→ Overall exposure level for vmagent.service: 1.6 OK 🙂". */
export function parseExposure(output: string): { exposure: number; verdict: string } {
  const match = /Overall exposure level for \S+: (\d+(?:\.\d+)?) (\w+)/.exec(output);
  if (!match) throw new Error(`systemd-analyze security printed no overall exposure line:\n${output.slice(-300)}`);
  return { exposure: Number(match[1]), verdict: String(match[2]) };
}

export function exposureFailures(results: readonly UnitExposure[], max = MAX_EXPOSURE): UnitExposure[] {
  return results.filter((result) => result.exposure > max);
}

export function renderExposureMarkdown(results: readonly UnitExposure[], max = MAX_EXPOSURE): string {
  const rows = [...results]
    .sort((a, b) => a.unit.localeCompare(b.unit) || a.host.localeCompare(b.host))
    .map((r) => `| ${r.unit} | ${r.host} | ${r.exposure.toFixed(1)} | ${r.verdict} | ${r.exposure <= max ? 'yes' : 'NO'} |`);
  return [
    '# systemd exposure of the units vmha installs',
    '',
    `Measured with \`systemd-analyze security UNIT\` on the lab hosts; target: ${max.toFixed(1)} or lower.`,
    '',
    `| unit | host | exposure | verdict | within target |`,
    `|---|---|---|---|---|`,
    ...rows,
    '',
  ].join('\n');
}
