// Lets `node --import ./scripts/register-ts.mjs file.ts` run TypeScript (ESM) through ts-node
// without the deprecated --loader flag. Type checking happens in `npm run typecheck`.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('ts-node/esm', pathToFileURL('./'));
