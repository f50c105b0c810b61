// Which paths a backup skips: restic's exclude rules (its "Excluding files" documentation), matched by picomatch
// (a maintained glob matcher; the hand-written one before it let `**/node_modules` skip `my_node_modules`).
//
// Patterns are matched against the absolute path, one whole component per glob component:
// - `*`, `?` and `[...]` (`[!...]` or `[^...]` negated) never cross a `/`; `**` matches any number of whole
//   components, none included (`a/**/b` matches `/a/b` and `/x/a/y/b`, never `/a/zb`);
// - a leading `/` anchors the pattern at the root; without one it matches at any depth (`foo/bar` matches
//   `/dir/foo/bar`); a trailing `/` is ignored; a pattern that matches a directory excludes everything in it;
// - `!pattern` re-includes what an earlier pattern excluded: the last pattern that matches a path decides, and a
//   directory that a later `!` pattern might reach inside is still walked (its entries are judged one by one);
// - in files (`--exclude-file`, `--iexclude-file`) blank lines and lines starting with `#` are skipped, lines are
//   trimmed, and `$VAR` / `${VAR}` are replaced by the environment's value (restic does the same);
// - `--iexclude` patterns ignore case; braces, extglobs and `|` are plain characters.
// `--exclude-if-present NAME[:HEADER]` skips a directory holding a file NAME (that starts with HEADER, when
// given); `--exclude-caches` is `CACHEDIR.TAG:Signature: 8a477f597d28d172789f06886806bc55` (bford.info's
// Cache Directory Tagging spec, as restic and tar use it).

import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import picomatch from 'picomatch';
import { ClientError, fileSystemError } from '../../errors.js';

export const CACHEDIR_TAG = 'CACHEDIR.TAG:Signature: 8a477f597d28d172789f06886806bc55';

export interface ExcludeOptions {
  exclude?: readonly string[];
  excludeFiles?: readonly string[];
  /** Like `exclude`, ignoring case. */
  iexclude?: readonly string[];
  iexcludeFiles?: readonly string[];
  /** `NAME` or `NAME:HEADER`: a directory holding that file is skipped. */
  excludeIfPresent?: readonly string[];
  /** Skips directories tagged as caches (CACHEDIR.TAG). */
  excludeCaches?: boolean;
}

interface Rule {
  /** The pattern as given (for messages). */
  source: string;
  negated: boolean;
  matches: (relPath: string) => boolean;
  /** Its literal leading directories (`home/user` of `/home/user/*`), '' when it has none (a pattern starting with **). */
  base: string;
}

interface Marker {
  name: string;
  header?: Buffer;
}

export const PICO: picomatch.PicomatchOptions = { dot: true, nobrace: true, noextglob: true };

/** The glob picomatch gets for one pattern, relative to the root (no leading `/`). */
export function toGlob(pattern: string): string {
  // parentheses and `|` are regex syntax to picomatch even without extglobs; `[!` is its `[^`
  let g = pattern.replace(/\\.|[()|]/g, (m) => (m.length === 2 ? m : `\\${m}`)).replace(/\[!/g, '[^');
  g = g.replace(/\/+$/, '');
  return g.startsWith('/') ? g.replace(/^\/+/, '') : `**/${g}`;
}

function rule(raw: string, nocase: boolean): Rule | undefined {
  let p = raw;
  const negated = p.startsWith('!');
  if (negated) p = p.slice(1);
  if (p === '' || p === '/') return undefined;
  const glob = toGlob(p);
  const isMatch = picomatch([glob, `${glob}/**`], { ...PICO, nocase });
  const base = picomatch.scan(glob).base;
  return { source: raw, negated, matches: (rel) => isMatch(rel), base: base.startsWith('**') ? '' : base };
}

function expandEnv(line: string): string {
  return line.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a: string | undefined, b: string | undefined) => process.env[a ?? b ?? ''] ?? '');
}

function readPatternFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fileSystemError(e, 'read', file);
  }
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map(expandEnv);
}

function marker(spec: string): Marker {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  if (name === '' || name.includes('/') || name === '.' || name === '..') {
    throw new ClientError('usage', `--exclude-if-present takes a file name, optionally :header (got ${JSON.stringify(spec)})`);
  }
  return colon < 0 ? { name } : { name, header: Buffer.from(spec.slice(colon + 1), 'utf8') };
}

/** Whether `rule` could match the directory `rel` (no leading `/`) or something inside it. */
function mayReach(rule: Rule, rel: string): boolean {
  return rule.base === '' || rule.base === rel || rule.base.startsWith(`${rel}/`) || rel.startsWith(`${rule.base}/`);
}

export class Excluder {
  private readonly rules: Rule[] = [];
  private readonly markers: Marker[];

  constructor(patterns: readonly string[], options: { ignoreCase?: readonly string[]; markers?: readonly string[] } = {}) {
    for (const p of patterns) {
      const r = rule(p.trim(), false);
      if (r !== undefined) this.rules.push(r);
    }
    for (const p of options.ignoreCase ?? []) {
      const r = rule(p.trim(), true);
      if (r !== undefined) this.rules.push(r);
    }
    this.markers = (options.markers ?? []).map(marker);
  }

  static fromOptions(options: ExcludeOptions = {}): Excluder {
    const patterns = [...(options.exclude ?? []), ...(options.excludeFiles ?? []).flatMap(readPatternFile)];
    const ignoreCase = [...(options.iexclude ?? []), ...(options.iexcludeFiles ?? []).flatMap(readPatternFile)];
    const markers = [...(options.excludeIfPresent ?? []), ...(options.excludeCaches ? [CACHEDIR_TAG] : [])];
    return new Excluder(patterns, { ignoreCase, markers });
  }

  get empty(): boolean {
    return this.rules.length === 0 && this.markers.length === 0;
  }

  /**
   * Whether the entry at `absPath` is left out of the snapshot, by the patterns alone. An excluded directory that
   * a later `!` pattern might reach inside is not excluded (it is walked, its entries judged one by one).
   */
  excludes(absPath: string, isDir: boolean): boolean {
    return this.excludedBy(absPath, isDir) >= 0;
  }

  /** The index of the pattern that excludes `absPath` (as `excludes` decides), or -1. */
  excludedBy(absPath: string, isDir: boolean): number {
    if (this.rules.length === 0) return -1;
    const rel = (absPath.startsWith('/') ? absPath : resolve(absPath)).replace(/^\/+/, '');
    let last = -1;
    for (let i = this.rules.length - 1; i >= 0; i--) {
      if (this.rules[i]!.matches(rel)) {
        last = i;
        break;
      }
    }
    if (last < 0 || this.rules[last]!.negated) return -1;
    // a later `!` pattern may re-include something inside: walk it, and judge its entries one by one
    if (isDir && this.rules.slice(last + 1).some((r) => r.negated && mayReach(r, rel))) return -1;
    return last;
  }

  /** Whether some pattern that is not a `!` one could match `absDir` or something inside it. */
  mayMatchInside(absDir: string): boolean {
    const rel = absDir.replace(/^\/+/, '');
    return this.rules.some((r) => !r.negated && mayReach(r, rel));
  }

  /** The patterns as given, in order (for messages naming one). */
  get patterns(): string[] {
    return this.rules.map((r) => r.source);
  }

  /** Whether the directory at `absPath` holds one of the `--exclude-if-present` files (with its header). */
  excludesDirectory(absPath: string): boolean {
    for (const m of this.markers) {
      let fd: number;
      try {
        fd = openSync(join(absPath, m.name), 'r');
      } catch {
        continue;
      }
      try {
        if (m.header === undefined) return true;
        const got = Buffer.alloc(m.header.length);
        const n = readSync(fd, got, 0, got.length, 0);
        if (n === got.length && got.equals(m.header)) return true;
      } catch {
        // a marker that cannot be read (a directory, say) does not count
      } finally {
        closeSync(fd);
      }
    }
    return false;
  }
}
