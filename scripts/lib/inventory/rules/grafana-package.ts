// Inventory rule `grafana-package`: a Grafana package URL comes with its sha256, as the grafana
// role's preflight requires (grafana_package_sha256, 64 hex digits).
import { isTemplated } from '../rules.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'grafana-package',
  check(ctx) {
    const { settings, settingAt, error } = ctx;
    const url = settings.grafanaPackageUrl;
    if (!url || isTemplated(url) || settings.grafanaPackageSha256) return;
    const at = settingAt('vmha_grafana_package_url');
    error(at.file, at.line, 'grafana-package', `vmha_grafana_package_url is set but vmha_grafana_package_sha256 is not: the deploy cannot verify the package`,
      `add vmha_grafana_package_sha256: <the 64 hex digits of sha256sum of that .deb> to ${at.file}, or set vmha_grafana_package_url: "" to skip installing Grafana`);
  },
};
