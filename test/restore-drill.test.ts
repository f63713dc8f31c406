import { expect } from 'chai';
import { compareCounts, countQueries, parseBackupLog, parseRestoreLog, renderReport, scalarAnswer, type NodeCounts } from '../scripts/lib/restore-drill.js';

const counts = (series: number, samples: number, probeSeries: number, probeSamples: number): NodeCounts => ({
  all: { series, samples },
  probe: { series: probeSeries, samples: probeSamples },
});

describe('restore drill', () => {
  it('counts series and samples of a window with count_over_time', () => {
    expect(countQueries('{__name__=~".+"}', 600)).to.deep.equal({
      series: 'count(count_over_time({__name__=~".+"}[600s]))',
      samples: 'sum(count_over_time({__name__=~".+"}[600s]))',
    });
    expect(() => countQueries('x', 0)).to.throw(/whole number/);
  });

  it('reads one number from a query answer, 0 for no result, and refuses errors and partial answers', () => {
    expect(scalarAnswer('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"4321"]}]}}')).to.equal(4321);
    expect(scalarAnswer('{"status":"success","data":{"resultType":"vector","result":[]}}')).to.equal(0);
    expect(() => scalarAnswer('{"status":"error","error":"boom"}')).to.throw(/boom/);
    expect(() => scalarAnswer('{"status":"success","isPartial":true,"data":{"result":[]}}')).to.throw(/partial/);
    expect(() => scalarAnswer('<html>')).to.throw(/JSON/);
  });

  it('passes only when every count matches and there was data', () => {
    const before = counts(1000, 120000, 30, 1800);
    expect(compareCounts(before, counts(1000, 120000, 30, 1800), { series: 30, samples: 1800 })).to.deep.equal({ ok: true, problems: [] });
    const lost = compareCounts(before, counts(1000, 119990, 30, 1800), { series: 30, samples: 1800 });
    expect(lost.ok).to.equal(false);
    expect(lost.problems.join()).to.match(/all samples: 120000 before, 119990 after the restore \(-10\)/);
    const empty = compareCounts(counts(0, 0, 0, 0), counts(0, 0, 0, 0), { series: 0, samples: 0 });
    expect(empty.ok).to.equal(false);
    const probeShort = compareCounts(counts(10, 100, 29, 1700), counts(10, 100, 29, 1700), { series: 29, samples: 1740 });
    expect(probeShort.ok).to.equal(false);
  });

  it('reads the sizes and durations vmbackup and vmrestore log', () => {
    const backup = 'info VictoriaMetrics/lib/backup/actions/backup.go:190 backup from fslocal "x" to S3{...} with origin fsnil is complete; backed up 52428800 bytes in 3.512 seconds; server-side deleted 0 bytes; server-side copied 0 bytes; uploaded 52428800 bytes';
    expect(parseBackupLog(backup)).to.deep.equal({ bytes: 52428800, seconds: 3.512, copiedBytes: 0, uploadedBytes: 52428800 });
    const copy = 'remote backup copy from S3{a} to S3{b} is complete; backed up 900 bytes in 0.200 seconds; server-side deleted 0 bytes; server-side copied 900 bytes';
    expect(parseBackupLog(copy)).to.deep.equal({ bytes: 900, seconds: 0.2, copiedBytes: 900 });
    expect(parseBackupLog('nothing')).to.equal(undefined);
    expect(parseRestoreLog('... restored 1234 bytes from backup in 0.75 seconds; deleted 0 bytes; downloaded 1234 bytes')).to.deep.equal({ bytes: 1234, seconds: 0.75 });
  });

  it('renders a report with the before and after counts', () => {
    const text = renderReport({
      date: '2026-11-27',
      node: 'vmstorage-2',
      destination: 's3://vmha-backups/vmstorage-2/latest',
      window: { start: 'a', end: 'b' },
      before: counts(1000, 120000, 30, 1800),
      after: counts(1000, 120000, 30, 1800),
      otherNodes: { 'vmstorage-1': counts(900, 110000, 20, 1200) },
      backup: { seconds: 3.5, bytes: 100 },
      fullCopy: { seconds: 4, copiedBytes: 100, uploadedBytes: 0 },
      restore: { playbookSeconds: 90, vmrestoreSeconds: 1.2, bytes: 100 },
      verdict: { ok: true, problems: [] },
    });
    expect(text).to.contain('**PASSED**');
    expect(text).to.contain('| vmstorage-2 before the backup | 1,000 | 120,000 | 30 | 1,800 |');
    expect(text).to.contain('| vmstorage-2 after the restore | 1,000 | 120,000 | 30 | 1,800 |');
  });
});
