import { expect } from 'chai';
import { exposureFailures, parseExposure, renderExposureMarkdown } from '../scripts/lib/unit-security.js';

describe('unit security parsing', () => {
  it('reads the overall exposure line', () => {
    const output = '  ✓ PrivateTmp=  ...\n→ Overall exposure level for vmagent.service: 1.6 OK 🙂\n';
    expect(parseExposure(output)).to.deep.equal({ exposure: 1.6, verdict: 'OK' });
  });

  it('rejects output without an overall line', () => {
    expect(() => parseExposure('Unit foo.service not found.')).to.throw(/no overall exposure line/);
  });

  it('flags units above the target and renders them in the report', () => {
    const results = [
      { host: 'a', unit: 'vmagent.service', exposure: 1.6, verdict: 'OK' },
      { host: 'b', unit: 'nginx.service', exposure: 2.3, verdict: 'OK' },
    ];
    expect(exposureFailures(results).map((r) => r.unit)).to.deep.equal(['nginx.service']);
    expect(renderExposureMarkdown(results)).to.contain('| nginx.service | b | 2.3 | OK | NO |');
  });
});
