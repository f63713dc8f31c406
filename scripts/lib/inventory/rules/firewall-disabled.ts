// Inventory rule `firewall-disabled`: a disabled firewall is a warning.
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'firewall-disabled',
  check(ctx) {
    const { settings, settingAt, warn } = ctx;
    if (!settings.firewallEnabled) {
      const at = settingAt('vmha_firewall_enabled');
      warn(at.file, at.line, 'firewall-disabled', 'vmha_firewall_enabled is false: every component port is open to every network',
        'set vmha_firewall_enabled: true');
    }
  },
};
