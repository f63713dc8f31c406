// Inventory rule `port-clash`: no two components on one host listen on the same port.
// no two components on one host listen on the same port
import type { HostModel } from '../model.js';
import { GROUP_PORTS } from '../../components.js';
import { listSome } from '../rules.js';
import { GROUPS, type VmhaPorts } from '../schema.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'port-clash',
  check(ctx) {
    const { model, settings, hostsPath, hostLine, settingAt, error } = ctx;
    const clashes = new Map<string, { hosts: HostModel[]; port: number }>();
    for (const host of model.hosts.values()) {
      const used = new Map<number, keyof VmhaPorts>();
      for (const group of GROUPS) {
        if (!host.groups.has(group)) continue;
        for (const key of GROUP_PORTS[group]) {
          const port = settings.ports[key];
          const first = used.get(port);
          if (first !== undefined && first !== key) {
            const id = `${first}|${key}`;
            const entry = clashes.get(id) ?? { hosts: [], port };
            entry.hosts.push(host);
            clashes.set(id, entry);
          } else used.set(port, key);
        }
      }
    }
    for (const [id, { hosts, port }] of clashes) {
      const [a, b] = id.split('|');
      error(hostsPath, hostLine(hosts[0]!), 'port-clash',
        `vmha_ports.${a} and vmha_ports.${b} are both ${port} on ${listSome(hosts.map((h) => h.name))}`,
        `move one of the two components to another host, or change vmha_ports.${b} in ${settingAt('vmha_ports').file}`);
    }
  },
};
