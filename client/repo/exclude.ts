// --exclude patterns of `bkv backup`: shell globs (`*` and `?` within one path component, `**` across them,
// `[...]` classes). A pattern without `/` matches any path component's name; one with `/` matches the whole
// absolute path (or, when relative, any trailing run of components). An excluded directory is not entered.

import { readFileSync } from 'node:fs';

function globToRegExp(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls}]`;
        i = end;
      }
    } else {
      re += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return re;
}

export class Excluder {
  private readonly name: RegExp[] = [];
  private readonly path: RegExp[] = [];

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      const p = raw.trim().replace(/\/+$/, '');
      if (p === '' || p.startsWith('#')) continue;
      if (!p.includes('/')) this.name.push(new RegExp(`^${globToRegExp(p)}$`));
      else if (p.startsWith('/')) this.path.push(new RegExp(`^${globToRegExp(p)}$`));
      else this.path.push(new RegExp(`(^|/)${globToRegExp(p)}$`));
    }
  }

  static fromOptions(exclude: readonly string[] = [], excludeFiles: readonly string[] = []): Excluder {
    const all = [...exclude];
    for (const f of excludeFiles) all.push(...readFileSync(f, 'utf8').split(/\r?\n/));
    return new Excluder(all);
  }

  get empty(): boolean {
    return this.name.length === 0 && this.path.length === 0;
  }

  excludes(absPath: string, name: string): boolean {
    return this.name.some((r) => r.test(name)) || this.path.some((r) => r.test(absPath));
  }
}
