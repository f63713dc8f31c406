// Inventory rule `backup`: backup settings (backupFindings).
import { backupFindings } from '../rules.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'backup',
  check(ctx) {
    const { findings, model, settingAt } = ctx;
    findings.push(...backupFindings(model, settingAt));
  },
};
