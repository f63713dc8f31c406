// The inventory's topology and security rules: one module a rule, run in this order (the order
// of the findings). Adding a rule: a file in this directory exporting `rule`, a line below and a
// case in test/inventory-rules.test.ts (a test fails while a registered rule has none).
import type { Finding, InventoryModel } from '../model.js';
import { ruleContext, type Rule } from './context.js';
import { rule as groupsHaSized } from './groups-ha-sized.js';
import { rule as alertingPair } from './alerting-pair.js';
import { rule as hostAddress } from './host-address.js';
import { rule as portSshClash } from './port-ssh-clash.js';
import { rule as portClash } from './port-clash.js';
import { rule as replicationFactor } from './replication-factor.js';
import { rule as dedupInterval } from './dedup-interval.js';
import { rule as retention } from './retention.js';
import { rule as pinnedVersion } from './pinned-version.js';
import { rule as vmagentMemberNum } from './vmagent-member-num.js';
import { rule as dnsNames } from './dns-names.js';
import { rule as credentials } from './credentials.js';
import { rule as firewallDisabled } from './firewall-disabled.js';
import { rule as backup } from './backup.js';
import { rule as tlsFiles } from './tls-files.js';
import { rule as grafanaPackage } from './grafana-package.js';

export const RULES: readonly Rule[] = [
  groupsHaSized,
  alertingPair,
  hostAddress,
  portSshClash,
  portClash,
  replicationFactor,
  dedupInterval,
  retention,
  pinnedVersion,
  vmagentMemberNum,
  dnsNames,
  credentials,
  firewallDisabled,
  backup,
  tlsFiles,
  grafanaPackage,
];

/** Every rule over a loaded inventory model. Pure; every rule is O(hosts). */
export function checkRules(model: InventoryModel, rules: readonly Rule[] = RULES): Finding[] {
  const ctx = ruleContext(model);
  for (const rule of rules) rule.check(ctx);
  return ctx.findings;
}
