// Inventory rule `pinned-version`: a vmha_version other than the pinned one is a warning.
// one pinned version: warn when it is not the version the project pins and tests
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'pinned-version',
  check(ctx) {
    const { model, settingAt, warn } = ctx;
    if (model.raw.vmha_version !== undefined && model.raw.vmha_version !== model.pins.victoriametrics.version) {
      const at = settingAt('vmha_version');
      warn(at.file, at.line, 'pinned-version',
        `vmha_version ${model.raw.vmha_version} differs from ${model.pins.victoriametrics.version} pinned in ansible/versions.yml`,
        'remove vmha_version to use the pinned version, or make sure the release exists for every component');
    }
  },
};
