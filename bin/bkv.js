#!/usr/bin/env node
// The `bkv` command: loads the TypeScript CLI through tsx's ESM loader (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../client/cli/main.ts');
