// Inventory rule `groups-ha-sized`: every group present (optional ones may be absent) with at least MIN_GROUP_SIZE hosts.
// groups present and HA-sized
import { MIN_GROUP_SIZE } from '../rules.js';
import { GROUPS, OPTIONAL_GROUPS } from '../schema.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'groups-ha-sized',
  check(ctx) {
    const { model, members, hostsPath, groupLine, firstLine, error, spof } = ctx;
    for (const group of GROUPS) {
      const count = members[group].length;
      const min = MIN_GROUP_SIZE[group];
      if (!model.presentGroups.has(group) && OPTIONAL_GROUPS.includes(group)) continue;
      if (!model.presentGroups.has(group)) {
        error(hostsPath, firstLine(), 'groups-ha-sized', `group ${group} is missing`,
          group === 'node_exporter'
            ? 'add a group "node_exporter" whose children are every other vmha group (see ansible/inventories/example/hosts.yml)'
            : `add a group "${group}" with at least ${min} host(s), e.g. ${group}: {hosts: {${group.replace('_', '-')}-1: {ansible_host: 10.0.0.x}${min > 1 ? `, ${group.replace('_', '-')}-2: {ansible_host: 10.0.0.y}` : ''}}}`);
      } else if (count === 0) {
        error(hostsPath, groupLine(group), 'groups-ha-sized', `group ${group} has no hosts`,
          `add at least ${min} host(s) to ${group}`);
      } else if (count < min) {
        spof(hostsPath, groupLine(group), 'groups-ha-sized',
          `group ${group} has ${count} host; high availability needs at least ${min}`,
          `add ${min - count} more host(s) to ${group}`);
      }
    }
  },
};
