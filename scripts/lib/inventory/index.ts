// validate + generate over inventory sources (file texts), in-process. Pure: see read.ts for
// the functions that take an inventory path.
import { deriveVars, renderGeneratedFile } from './derive.js';
import { loadInventory, type Finding, type InventoryModel, type InventorySources } from './model.js';
import { checkRules } from './rules/index.js';

export type { Finding, InventoryModel, InventorySources, PinnedVersions } from './model.js';

export interface ValidationReport {
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
}

export interface GenerateResult {
  report: ValidationReport;
  /** Derived variables; undefined when validation failed. */
  vars: Record<string, unknown> | undefined;
  /** Bytes of zz-generated.yml; undefined when validation failed. */
  text: string | undefined;
}

function byPlace(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0);
}

export function validateSourcesWithModel(sources: InventorySources): ValidationReport & { model: InventoryModel | undefined } {
  const loaded = loadInventory(sources);
  const { model } = loaded;
  let findings = loaded.findings;
  if (model) findings.push(...checkRules(model));
  // no cluster settings anywhere: one finding for the missing file, not one per setting
  if (model && model.settingOrigin.size === 0 && !sources.groupVars.some((f) => f.path === sources.settingsFile)) {
    const about = findings.filter((f) => f.file === sources.settingsFile && f.line === null && f.severity === 'error');
    if (about.length > 0) {
      findings = findings.filter((f) => !about.includes(f));
      findings.push({
        severity: 'error',
        file: sources.settingsFile,
        line: null,
        rule: 'settings-file-missing',
        message: `${sources.settingsFile} does not exist and no other group_vars/all file sets vmha settings, so the cluster settings (DNS names, credentials, ${about.length} in all) are missing`,
        fix: `copy ansible/inventories/example/group_vars/all/vmha.yml to ${sources.settingsFile} and edit the DNS names`,
      });
    }
  }
  const errors = findings.filter((f) => f.severity === 'error').sort(byPlace);
  const warnings = findings.filter((f) => f.severity === 'warning').sort(byPlace);
  return { ok: errors.length === 0, errors, warnings, model };
}

export function validateSources(sources: InventorySources): ValidationReport {
  const { model: _model, ...report } = validateSourcesWithModel(sources);
  return report;
}

export function generateFromSources(sources: InventorySources): GenerateResult {
  const { model, ...report } = validateSourcesWithModel(sources);
  if (!report.ok || !model) return { report, vars: undefined, text: undefined };
  const vars = deriveVars(model);
  return { report, vars, text: renderGeneratedFile(vars) };
}

/** One line per finding: `file:line: error [rule] message` plus the fix. */
export function formatFinding(f: Finding): string {
  const place = f.line ? `${f.file}:${f.line}` : f.file;
  return `${place}: ${f.severity} [${f.rule}] ${f.message}\n    fix: ${f.fix}`;
}

/** The --json shape for CI. */
export function reportJson(report: ValidationReport) {
  const strip = ({ file, line, rule, message, fix }: Finding) => ({ file, line, rule, message, fix });
  return { ok: report.ok, errors: report.errors.map(strip), warnings: report.warnings.map(strip) };
}
