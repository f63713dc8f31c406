// Lets `node --import <repo>/scripts/register-ts.mjs file.ts` run the project's TypeScript (ESM)
// from any working directory: ts-node compiles, scripts/ts-loader.mjs caches what it compiled.
// Type checking happens in `npm run typecheck`.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-loader.mjs', import.meta.url);
