// Synth-time checks of the route table (functions/routes.ts) before any function is built: every entry file
// exists and exports the named handler, ids are unique, and method + path pairs are unique. A route added to the
// table without its handler fails `cdk synth` with a message naming the route, not a bundling stack trace.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RouteSpec } from '../functions/routes.js';

export class RouteTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouteTableError';
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True if the module source exports `name` (declaration or export list; `export *` is not followed). */
export function exportsName(source: string, name: string): boolean {
  const n = escape(name);
  const declaration = new RegExp(`export\\s+(?:async\\s+)?(?:const|let|var|function\\*?|class)\\s+${n}\\b`);
  if (declaration.test(source)) return true;
  const lists = source.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g);
  for (const [, list] of lists) {
    for (const item of (list ?? '').split(',')) {
      const parts = item.trim().split(/\s+as\s+/);
      const exported = (parts[1] ?? parts[0] ?? '').trim();
      if (exported === name) return true;
    }
  }
  return false;
}

export function checkRoutes(routes: readonly RouteSpec[], root: string): void {
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const r of routes) {
    if (ids.has(r.id)) throw new RouteTableError(`route id ${r.id} appears twice in functions/routes.ts`);
    ids.add(r.id);
    const key = `${r.method} ${r.path}`;
    if (keys.has(key)) throw new RouteTableError(`route ${key} appears twice in functions/routes.ts`);
    keys.add(key);
    if (!/^[A-Za-z][A-Za-z0-9.]*$/.test(r.id)) throw new RouteTableError(`route id "${r.id}" must be letters, digits and dots`);
    const file = path.resolve(root, r.entry);
    if (!file.startsWith(root + path.sep)) throw new RouteTableError(`route ${r.id}: entry ${r.entry} is outside the repository`);
    if (!existsSync(file)) {
      throw new RouteTableError(`route ${r.id}: entry file ${r.entry} does not exist (named by functions/routes.ts)`);
    }
    if (!exportsName(readFileSync(file, 'utf8'), r.handler)) {
      throw new RouteTableError(`route ${r.id}: ${r.entry} does not export a handler named "${r.handler}"`);
    }
  }
}
