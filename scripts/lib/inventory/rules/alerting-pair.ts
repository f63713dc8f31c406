// Inventory rule `alerting-pair`: vmalert and alertmanager come together.
// alerting: vmalert needs alertmanagers to notify and alertmanagers need vmalert to feed them
import { type GroupName } from '../schema.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'alerting-pair',
  check(ctx) {
    const { model, hostsPath, groupLine, error } = ctx;
    const hasVmalert = model.presentGroups.has('vmalert');
    const hasAlertmanager = model.presentGroups.has('alertmanager');
    if (hasVmalert !== hasAlertmanager) {
      const [present, missing] = hasVmalert ? ['vmalert', 'alertmanager'] : ['alertmanager', 'vmalert'];
      error(hostsPath, groupLine(present as GroupName), 'alerting-pair',
        `group ${present} is set but group ${missing} is missing: alerting needs both (vmalert evaluates the rules, alertmanager deduplicates and sends the notifications)`,
        `add a group "${missing}" with 2 hosts (they may be the ${present} hosts), or remove the group ${present}`);
    }
  },
};
