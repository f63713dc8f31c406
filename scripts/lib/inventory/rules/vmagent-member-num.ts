// Inventory rule `vmagent-member-num`: vmagent cluster member numbers: all or none, unique, 0..N-1.
// vmagent cluster member numbers
import type { HostModel } from '../model.js';
import { listSome } from '../rules.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'vmagent-member-num',
  check(ctx) {
    const { model, members, hostsPath, hostLine, error } = ctx;
    const agents = members.vmagent;
    const numbered = agents.filter((h) => h.vars.vmha_vmagent_member_num !== undefined);
    for (const host of model.hosts.values()) {
      if (host.vars.vmha_vmagent_member_num !== undefined && !host.groups.has('vmagent')) {
        const at = model.hostVarAt(host.name, 'vmha_vmagent_member_num');
        error(at.file, at.line, 'vmagent-member-num',
          `host ${host.name} sets vmha_vmagent_member_num but is not in the vmagent group`,
          'remove vmha_vmagent_member_num from that host');
      }
    }
    if (numbered.length > 0 && numbered.length < agents.length) {
      const missing = agents.filter((h) => h.vars.vmha_vmagent_member_num === undefined);
      error(hostsPath, hostLine(missing[0]!), 'vmagent-member-num',
        `vmha_vmagent_member_num is set on ${numbered.length} of ${agents.length} vmagent hosts; missing on ${listSome(missing.map((h) => h.name))}`,
        'set it on every vmagent host (unique, 0..N-1) or on none (then hosts are numbered by name)');
    } else if (numbered.length > 0) {
      const byNum = new Map<number, HostModel>();
      for (const host of agents) {
        const num = host.vars.vmha_vmagent_member_num!;
        const at = model.hostVarAt(host.name, 'vmha_vmagent_member_num');
        const other = byNum.get(num);
        if (other) {
          error(at.file, at.line, 'vmagent-member-num', `vmagent hosts ${other.name} and ${host.name} both have member number ${num}`,
            `number the ${agents.length} vmagent hosts 0..${agents.length - 1}, each once`);
        } else if (num >= agents.length) {
          error(at.file, at.line, 'vmagent-member-num',
            `vmagent host ${host.name} has member number ${num}, outside 0..${agents.length - 1}`,
            `number the ${agents.length} vmagent hosts 0..${agents.length - 1}, each once`);
        }
        byNum.set(num, host);
      }
    }
  },
};
