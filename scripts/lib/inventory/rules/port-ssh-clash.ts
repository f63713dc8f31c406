// Inventory rule `port-ssh-clash`: no component port on a host's SSH port.
// no component port on a host's SSH port
import type { HostModel } from '../model.js';
import { GROUP_PORTS } from '../../components.js';
import { listSome } from '../rules.js';
import { DEFAULT_PORTS, GROUPS, type VmhaPorts } from '../schema.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'port-ssh-clash',
  check(ctx) {
    const { model, settings, settingAt, error } = ctx;
    const sshClashes = new Map<string, HostModel[]>();
    for (const host of model.hosts.values()) {
      const ssh = host.vars.ansible_port ?? 22;
      for (const group of GROUPS) {
        if (!host.groups.has(group)) continue;
        for (const key of GROUP_PORTS[group]) {
          if (settings.ports[key] !== ssh) continue;
          const id = `${key}|${ssh}`;
          sshClashes.set(id, [...(sshClashes.get(id) ?? []), host]);
        }
      }
    }
    for (const [id, hosts] of sshClashes) {
      const [key, port] = id.split('|');
      const at = settingAt('vmha_ports');
      error(at.file, at.line, 'port-ssh-clash',
        `vmha_ports.${key} is ${port}, the SSH port Ansible uses on ${listSome(hosts.map((h) => h.name))}`,
        `set vmha_ports.${key} to a free port, e.g. ${DEFAULT_PORTS[key as keyof VmhaPorts]}`);
    }
  },
};
