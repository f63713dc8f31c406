import { expect } from 'chai';
import { describeNotification, judgeFault, parseWitnessLog, receivedBetween } from '../scripts/lib/alert-witness.js';

const line = (receivedAt: number, status: 'firing' | 'resolved', labels: Record<string, string>) =>
  JSON.stringify({
    received_at: receivedAt,
    payload: { receiver: 'webhook', status, groupLabels: { alertname: labels.alertname, host: labels.host }, alerts: [{ status, labels }] },
  });

const down = { alertname: 'ComponentDown', host: '10.213.0.11', instance: '10.213.0.11:8482', job: 'vmstorage' };
const window = { alertname: 'ComponentDown', host: '10.213.0.11', stoppedAt: 1000, startedAt: 1200, endAt: 1400, firingWithin: 120, resolvedWithin: 120 };

describe('alert witness', () => {
  it('parses the witness file and names a malformed line', () => {
    const parsed = parseWitnessLog([line(1050, 'firing', down), '', line(1250, 'resolved', down)].join('\n'));
    expect(parsed).to.have.length(2);
    expect(parsed[0]).to.include({ receivedAt: 1050, status: 'firing', receiver: 'webhook' });
    expect(parsed[1]?.alerts[0]?.labels.instance).to.equal('10.213.0.11:8482');
    expect(() => parseWitnessLog(`${line(1, 'firing', down)}\n{oops`)).to.throw(/line 2 is not JSON/);
    expect(() => parseWitnessLog('{"payload": {}}')).to.throw(/line 1 lacks received_at/);
    expect(receivedBetween(parsed, 1100)).to.have.length(1);
    expect(describeNotification(parsed[0]!, 1000)).to.equal('+50.0 s firing ComponentDown{host=10.213.0.11,instance=10.213.0.11:8482}');
  });

  it('passes one firing and one resolved notification in time, with nothing else', () => {
    const verdict = judgeFault(parseWitnessLog([line(1070, 'firing', down), line(1260, 'resolved', down)].join('\n')), window);
    expect(verdict.ok, verdict.problems.join('; ')).to.equal(true);
    expect(verdict).to.include({ firingAfter: 70, resolvedAfter: 60, firingCount: 1, resolvedCount: 1 });
  });

  it('fails on a duplicate, a late or a missing notification, and on any other notification', () => {
    const dup = judgeFault(parseWitnessLog([line(1070, 'firing', down), line(1085, 'firing', down), line(1260, 'resolved', down)].join('\n')), window);
    expect(dup.ok).to.equal(false);
    expect(dup.problems[0]).to.match(/2 firing notifications/);
    const late = judgeFault(parseWitnessLog([line(1130, 'firing', down), line(1260, 'resolved', down)].join('\n')), window);
    expect(late.problems).to.deep.equal(['the firing notification came 130.0 s after the stop, bound 120 s']);
    const noResolved = judgeFault(parseWitnessLog(line(1070, 'firing', down)), window);
    expect(noResolved.problems).to.deep.equal(['0 resolved notifications about ComponentDown on 10.213.0.11, expected exactly 1']);
    const other = judgeFault(
      parseWitnessLog([line(1070, 'firing', down), line(1080, 'firing', { alertname: 'VminsertCannotReachVmstorage', host: '10.213.0.11' }), line(1260, 'resolved', down)].join('\n')),
      window,
    );
    expect(other.ok).to.equal(false);
    expect(other.others).to.have.length(1);
    const early = judgeFault(parseWitnessLog([line(1070, 'firing', down), line(1150, 'resolved', down)].join('\n')), window);
    expect(early.problems).to.include('a resolved notification came while the service was still stopped');
  });
});
