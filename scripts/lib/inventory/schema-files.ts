// Renders schemas/*.schema.json from the typed schema objects (one source of truth).
import { fileURLToPath } from 'node:url';
import { hostsSchema, settingsSchema } from './schema.js';

export const SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

/** ajv's `nullable: true` is not standard JSON Schema: files say `type: [T, "null"]` instead. */
function standardize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(standardize);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  const obj = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'nullable') continue;
    if (key === 'type' && obj.nullable === true && typeof value === 'string') out.type = [value, 'null'];
    else out[key] = standardize(value);
  }
  return out;
}

export function renderSchemaFiles(): Record<string, string> {
  const render = (schema: object) =>
    JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...(standardize(schema) as object) }, null, 2) + '\n';
  return {
    'hosts.schema.json': render(hostsSchema),
    'cluster-settings.schema.json': render(settingsSchema),
  };
}
