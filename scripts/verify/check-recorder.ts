// Collects named pass/fail checks of a verify run and prints them, failures with their evidence.
export interface CheckResult {
  name: string;
  ok: boolean;
  evidence: string;
}

export class CheckRecorder {
  readonly results: CheckResult[] = [];

  expect(name: string, ok: boolean, evidence = ''): boolean {
    this.results.push({ name, ok, evidence: evidence.trim().slice(0, 600) });
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${ok ? '' : `\n     evidence: ${evidence.trim().slice(0, 600)}`}`);
    return ok;
  }

  /** Prints the tally; true when every check passed. */
  report(scenario: string): boolean {
    const failed = this.results.filter((r) => !r.ok);
    console.log(`\nverify ${scenario}: ${this.results.length - failed.length} checks passed, ${failed.length} failed`);
    for (const failure of failed) console.log(`  FAILED: ${failure.name}`);
    return failed.length === 0 && this.results.length > 0;
  }
}
