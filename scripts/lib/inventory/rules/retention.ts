// Inventory rule `retention`: the retention is one vmstorage's -retentionPeriod accepts.
// retention: what vmstorage's -retentionPeriod accepts (VictoriaMetrics app/vmstorage/main.go,
// lib/flagutil/duration.go): at least a day, at most 1200 months of 31 days
import { MAX_RETENTION_MONTHS, retentionAcceptedByVictoriaMetrics, retentionHours } from '../rules.js';
import type { Rule } from './context.js';

export const rule: Rule = {
  name: 'retention',
  check(ctx) {
    const { settings, settingAt, error } = ctx;
    const hours = retentionHours(settings.retention);
    if (hours !== undefined) {
      const at = settingAt('vmha_retention');
      if (hours < 24) {
        error(at.file, at.line, 'retention', `vmha_retention ${settings.retention} is shorter than 24h; vmstorage refuses to start with it`,
          'set vmha_retention to at least 24h, e.g. vmha_retention: 30d (30 days) or 2M (two months)');
      } else if (!retentionAcceptedByVictoriaMetrics(settings.retention)) {
        error(at.file, at.line, 'retention-too-long',
          `vmha_retention ${settings.retention} is longer than ${MAX_RETENTION_MONTHS} months (31 days each); vmstorage refuses to start with it`,
          `set vmha_retention to at most ${MAX_RETENTION_MONTHS}M, e.g. vmha_retention: 100y`);
      }
    }
  },
};
