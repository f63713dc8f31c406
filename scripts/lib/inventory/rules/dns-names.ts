// Inventory rule `dns-names`: the write and read DNS names.
// DNS names of the write and read paths
import { listSome, HOSTNAME, IPV4 } from '../rules.js';
import { type GroupName } from '../schema.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'dns-names',
  check(ctx) {
    const { model, settings, members, settingAt, error, warn } = ctx;
    const dnsNames: [key: 'vmha_write_dns_name' | 'vmha_read_dns_name', name: string | undefined, group: GroupName][] = [
      ['vmha_write_dns_name', settings.writeDnsName, 'lb_insert'],
      ['vmha_read_dns_name', settings.readDnsName, 'lb_select'],
    ];
    for (const [key, name, group] of dnsNames) {
      const at = settingAt(key);
      if (name === undefined || name === '') {
        error(at.file, at.line, 'dns-names', `${key} is not set`,
          `add ${key}: a DNS name that resolves to the ${group} hosts, e.g. ${key === 'vmha_write_dns_name' ? 'vm-write' : 'vm-read'}.example.internal`);
        continue;
      }
      if (IPV4.test(name) || !HOSTNAME.test(name)) {
        error(at.file, at.line, 'dns-names', `${key} "${name}" is not a DNS name`,
          `set ${key} to a DNS name (letters, digits, hyphens, dots) that resolves to the ${group} hosts`);
        continue;
      }
      const host = model.hosts.get(name);
      if (host && !host.groups.has(group)) {
        error(at.file, at.line, 'dns-names', `${key} "${name}" is the inventory host ${host.name}, which is not in ${group}`,
          `choose a name that resolves to all ${group} hosts`);
      }
      if (!settings.manageDns) {
        warn(at.file, at.line, 'dns-names',
          `vmha_manage_dns is false: vmha cannot check that ${name} resolves to the ${group} hosts`,
          `make sure the site DNS has ${name} -> ${listSome(members[group].map((h) => h.address ?? h.name))}`);
      }
    }
    if (settings.writeDnsName && settings.writeDnsName === settings.readDnsName) {
      const at = settingAt('vmha_read_dns_name');
      error(at.file, at.line, 'dns-names', `the write and read DNS names are both "${settings.writeDnsName}"`,
        'use one name for lb_insert (write) and another for lb_select (read)');
    }
  },
};
