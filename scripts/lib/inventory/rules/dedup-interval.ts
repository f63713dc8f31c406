// Inventory rule `dedup-interval`: the dedup interval equals the scrape interval.
// dedup interval equals scrape interval
import { durationMs } from '../rules.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'dedup-interval',
  check(ctx) {
    const { model, settings, settingAt, error } = ctx;
    const scrape = durationMs(settings.scrapeInterval);
    const dedup = durationMs(settings.dedupInterval);
    if (scrape !== undefined && dedup !== undefined && scrape !== dedup) {
      const at = model.settingOrigin.has('vmha_dedup_interval') ? settingAt('vmha_dedup_interval') : settingAt('vmha_scrape_interval');
      error(at.file, at.line, 'dedup-interval',
        `vmha_dedup_interval (${settings.dedupInterval}) differs from vmha_scrape_interval (${settings.scrapeInterval}); the vmagent replicas' duplicate samples would not be removed`,
        `set vmha_dedup_interval: ${settings.scrapeInterval}`);
    }
  },
};
