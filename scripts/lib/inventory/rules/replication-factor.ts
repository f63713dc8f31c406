// Inventory rule `replication-factor`: the replication factor fits the vmstorage hosts.
// replication factor
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'replication-factor',
  check(ctx) {
    const { model, settings, members, settingAt, error, warn, spof } = ctx;
    const rf = settings.replicationFactor;
    const storages = members.vmstorage.length;
    const rfAt = settingAt('vmha_replication_factor');
    if (rf === 1) {
      spof(rfAt.file, rfAt.line, 'replication-factor',
        'vmha_replication_factor is 1: every sample is kept on one vmstorage only, so losing that host loses data and reads are incomplete while it is down',
        `set vmha_replication_factor: 2 (with at least 3 vmstorage hosts)`);
    }
    if (model.presentGroups.has('vmstorage') && storages >= 1) {
      if (rf > storages) {
        error(rfAt.file, rfAt.line, 'replication-factor',
          `vmha_replication_factor is ${rf} but there are only ${storages} vmstorage host(s) (used by vminsert and vmselect)`,
          storages >= 2
            ? `add ${rf - storages} vmstorage host(s), or set vmha_replication_factor: ${storages}`
            : `add ${Math.max(rf, 2 * rf - 1) - storages} vmstorage host(s) (${2 * rf - 1} keep ${rf} copies while one is down)`);
      } else if (storages < 2 * rf - 1 && rf > 1) {
        warn(rfAt.file, rfAt.line, 'replication-factor',
          `${storages} vmstorage host(s) with replication factor ${rf}: while one is down, new data keeps fewer than ${rf} copies (needs ${2 * rf - 1} hosts)`,
          `add ${2 * rf - 1 - storages} vmstorage host(s)`);
      }
    }
  },
};
