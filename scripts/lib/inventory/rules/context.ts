// What every inventory rule gets: the model, where a setting or group was written, and the way
// to report a finding (error, warning, or a single point of failure the inventory may accept).
import type { Finding, HostModel, InventoryModel } from '../model.js';
import type { GroupName } from '../schema.js';

export type At = { file: string; line: number | null };
type Report = (file: string, line: number | null, rule: string, message: string, fix: string) => void;

export interface RuleContext {
  readonly model: InventoryModel;
  readonly settings: InventoryModel['settings'];
  readonly members: InventoryModel['members'];
  readonly hostsPath: string;
  /** The findings so far, in rule order. */
  readonly findings: Finding[];
  groupLine(group: GroupName): number | null;
  /** The line of the first group in the hosts file. */
  firstLine(): number | null;
  hostLine(host: HostModel): number | null;
  /** Where a setting was written (the settings file, no line, when it was not). */
  settingAt(key: string): At;
  error: Report;
  warn: Report;
  /** An error, or a warning when vmha_allow_single_points_of_failure is true. */
  spof: Report;
}

export interface Rule {
  /** The rule's name; the findings it reports use it or related rule ids. */
  readonly name: string;
  check(ctx: RuleContext): void;
}

export function ruleContext(model: InventoryModel): RuleContext {
  const findings: Finding[] = [];
  const settingAt = (key: string): At => model.settingOrigin.get(key) ?? { file: model.settingsFile, line: null };
  const error: Report = (file, line, rule, message, fix) => void findings.push({ severity: 'error', file, line, rule, message, fix });
  const warn: Report = (file, line, rule, message, fix) => void findings.push({ severity: 'warning', file, line, rule, message, fix });
  const spofAt = settingAt('vmha_allow_single_points_of_failure');
  const spof: Report = (file, line, rule, message, fix) => {
    if (model.settings.allowSinglePointsOfFailure) warn(file, line, rule, `${message} (accepted: vmha_allow_single_points_of_failure is true)`, fix);
    else
      error(file, line, rule, `${message}: a single point of failure`,
        `${fix}; a test setup that accepts the outage can say so with vmha_allow_single_points_of_failure: true in ${spofAt.file}`);
  };
  return {
    model,
    settings: model.settings,
    members: model.members,
    hostsPath: model.hostsFile.path,
    findings,
    groupLine: (group) => model.hostsIndex.groupLine.get(group) ?? null,
    firstLine: () => {
      const lines = [...model.hostsIndex.groupLine.values()];
      return lines.length > 0 ? Math.min(...lines) : null;
    },
    hostLine: (host) => host.line,
    settingAt,
    error,
    warn,
    spof,
  };
}
