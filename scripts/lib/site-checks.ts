// The named checks of ansible/verify.yml, read from ansible-playbook's default output: every play
// and task whose name starts with "Check <name>:" belongs to check <name>; a `fatal:`/`failed:` line
// under it fails that check. Pure: scripts/verify-site.ts feeds it the streamed output.

export type CheckState = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  name: string;
  state: CheckState;
  /** the first failure line of the check, trimmed */
  detail?: string;
}

const HEADER = /^(PLAY|TASK) \[(.*)\] \**$/;
/** "Check health: ..." or a role task "service_health : ..." inside a check play */
const CHECK_NAME = /^Check ([a-z][a-z -]*?):/i;

export function summarizeChecks(output: string): CheckResult[] {
  const checks = new Map<string, CheckResult>();
  let playCheck: string | undefined;
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const header = HEADER.exec(line.trimEnd());
    if (header) {
      const [, kind, title = ''] = header;
      const named = CHECK_NAME.exec(title)?.[1]?.toLowerCase();
      if (kind === 'PLAY') {
        playCheck = named;
        current = named;
      } else {
        current = named ?? playCheck;
      }
      continue;
    }
    if (current === undefined) continue;
    const check = checks.get(current) ?? { name: current, state: 'skipped' as CheckState };
    checks.set(current, check);
    if (/^(fatal|failed):/.test(line)) {
      if (check.state !== 'failed') check.detail = line.trim().slice(0, 300);
      check.state = 'failed';
    } else if (/^(ok|changed):/.test(line) && check.state === 'skipped') {
      check.state = 'passed';
    }
  }
  return [...checks.values()];
}

export function renderChecks(results: readonly CheckResult[], playbookFailed: boolean): string {
  const lines = results.map((r) => `  ${r.state.toUpperCase().padEnd(7)} ${r.name}${r.detail ? `\n          ${r.detail}` : ''}`);
  const failed = results.filter((r) => r.state === 'failed').map((r) => r.name);
  const verdict = failed.length > 0
    ? `verify: FAILED check(s): ${failed.join(', ')}`
    : playbookFailed
      ? 'verify: FAILED (ansible-playbook failed outside a named check; see its output above)'
      : `verify: all ${results.filter((r) => r.state === 'passed').length} checks passed`;
  return `${lines.join('\n')}\n${verdict}`;
}
