// The vmui browser check's verdict: data points drawn, chart painted, no failed request or console error.
import { expect } from 'chai';
import { judgeVmui, queryRangePoints, vmuiUrl, type BrowserEvents } from '../scripts/lib/vmui-check.js';

const matrix = (points: number) =>
  JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: Array.from({ length: points }, (_, i) => [i, '1']) }] } });
const good = (): BrowserEvents => ({ consoleErrors: [], failedRequests: [], errorResponses: [], queryRangeBodies: [matrix(40)], paintedPixels: 900 });

describe('vmui browser check', () => {
  it('builds the vmui URL that runs a graph query', () => {
    const url = vmuiUrl('https://read.vmha.internal:8481/', 'vmha_probe_vmui{run="x"}', 10);
    expect(url.startsWith('https://read.vmha.internal:8481/select/0/vmui/#/?g0.expr=vmha_probe_vmui%7Brun%3D%22x%22%7D')).to.equal(true);
    expect(url).to.include('g0.range_input=10m');
  });

  it('counts the points of a query_range answer, 0 for anything else', () => {
    expect(queryRangePoints(matrix(40))).to.equal(40);
    expect(queryRangePoints('<html>502 Bad Gateway</html>')).to.equal(0);
    expect(queryRangePoints(JSON.stringify({ status: 'error', error: 'x' }))).to.equal(0);
  });

  it('passes a drawn graph with no failures', () => {
    expect(judgeVmui(good(), 20)).to.deep.equal({ ok: true, points: 40, problems: [] });
  });

  it('fails what the browser sees with every vmselect stopped behind the balancer: 502s and no points', () => {
    const down: BrowserEvents = {
      consoleErrors: ['Failed to load resource: the server responded with a status of 502 (Bad Gateway)'],
      failedRequests: [],
      errorResponses: ['502 https://read.vmha.internal:8481/select/0/prometheus/api/v1/query_range?query=x'],
      queryRangeBodies: ['<html>502 Bad Gateway</html>'],
      paintedPixels: 0,
    };
    const verdict = judgeVmui(down, 20);
    expect(verdict.ok).to.equal(false);
    expect(verdict.problems.join('\n')).to.include('drew 0 points').and.include('502');
  });

  it('fails on a refused request or console error even when the graph is drawn', () => {
    expect(judgeVmui({ ...good(), errorResponses: ['404 https://read.vmha.internal:8481/admin/tenants'] }, 20).ok).to.equal(false);
    expect(judgeVmui({ ...good(), failedRequests: ['https://x net::ERR_CERT_AUTHORITY_INVALID'] }, 20).ok).to.equal(false);
    expect(judgeVmui({ ...good(), queryRangeBodies: [] }, 20).problems).to.include('vmui sent no query_range request');
    expect(judgeVmui({ ...good(), paintedPixels: 0 }, 20).ok).to.equal(false);
  });
});
