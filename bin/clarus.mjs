#!/usr/bin/env node
// The `clarus` command: loads the TypeScript sources through tsx. Run it through `npx clarus` or
// `npm run clarus --`, which put the project's Node 24 (node_modules/.bin/node) first on PATH.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
