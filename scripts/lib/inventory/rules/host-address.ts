// Inventory rule `host-address`: every host has a usable IPv4 address, and no two hosts share one.
// every host has a usable IPv4 address, and no two hosts share one
import type { HostModel } from '../model.js';
import { localAddress } from '../rules.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'host-address',
  check(ctx) {
    const { model, hostsPath, hostLine, error } = ctx;
    const byAddress = new Map<string, HostModel>();
    for (const host of model.hosts.values()) {
      const given = host.vars.vmha_address ?? host.vars.ansible_host;
      const at = host.vars.vmha_address !== undefined ? model.hostVarAt(host.name, 'vmha_address')
        : host.vars.ansible_host !== undefined ? model.hostVarAt(host.name, 'ansible_host') : { file: hostsPath, line: hostLine(host) };
      if (host.address === undefined) {
        const ipv6 = given !== undefined && given.includes(':');
        error(at.file, at.line, 'host-address',
          given === undefined
            ? `host ${host.name} has no address (its name is not an IPv4 address and neither vmha_address nor ansible_host is set)`
            : ipv6
              ? `host ${host.name}: "${given}" is an IPv6 address; vmha supports IPv4 only`
              : `host ${host.name}: "${given}" is not an IPv4 address`,
          `set vmha_address: <IPv4 address other hosts reach ${host.name} at>, e.g. vmha_address: 10.0.0.41 (ansible_host may stay a name)`);
        continue;
      }
      const local = localAddress(host.address);
      if (local) {
        error(at.file, at.line, 'host-address-local',
          `host ${host.name}: ${host.address} is ${local}; the other hosts cannot reach ${host.name} there`,
          `set vmha_address of ${host.name} to the address other hosts reach it at, e.g. its LAN address 10.0.0.41`);
        continue;
      }
      const other = byAddress.get(host.address);
      if (other) {
        error(at.file, at.line, 'unique-addresses',
          `hosts ${other.name} and ${host.name} both have address ${host.address}`,
          `give ${host.name} its own address, or list ${other.name} in ${host.name}'s groups instead of a second host`);
      } else byAddress.set(host.address, host);
    }
  },
};
