// Lets `node --import <repo>/scripts/register-ts.mjs file.ts` run TypeScript (ESM) through ts-node
// without the deprecated --loader flag, from any working directory (ts-node otherwise looks for
// tsconfig.json in the current directory). Type checking happens in `npm run typecheck`.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

process.env.TS_NODE_PROJECT ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
register('ts-node/esm', new URL('..', import.meta.url));
