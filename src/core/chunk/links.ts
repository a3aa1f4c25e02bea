// Links between files: raw specifiers as written in a file, resolved to workspace paths that exist.
import * as path from 'node:path';
import type { FileLink } from '../types';

/** A relative Markdown link or relative import exactly as written (it may carry `#anchor` or `?query`). */
export interface RawLink {
  spec: string;
  kind: 'link' | 'import';
}

const EXTENSIONS = ['.ts', '.tsx', '.d.ts', '.js', '.jsx', '.mjs', '.cjs', '.py', '.md'];
// TypeScript ESM code imports './x.js' for the source file x.ts.
const TS_SOURCE_OF: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };

function candidates(target: string): string[] {
  const out = [target];
  const ext = path.posix.extname(target);
  for (const alt of TS_SOURCE_OF[ext] ?? []) out.push(target.slice(0, -ext.length) + alt);
  for (const e of EXTENSIONS) out.push(target + e);
  for (const e of EXTENSIONS) out.push(`${target}/index${e}`);
  out.push(`${target}/__init__.py`);
  return out;
}

function decode(spec: string): string {
  try {
    return decodeURIComponent(spec);
  } catch {
    return spec;
  }
}

/**
 * Resolves each link against the folder of `fromPath` (workspace-relative POSIX paths; a leading '/' means the workspace
 * root), trying the exact path, then known extensions, then `index.*` and `__init__.py`.
 * Keeps targets that exist, are inside the workspace and are not the file itself; one entry per (kind, target).
 */
export function resolveLinks(fromPath: string, links: RawLink[], exists: (p: string) => boolean): FileLink[] {
  const seen = new Set<string>();
  const out: FileLink[] = [];
  const dir = path.posix.dirname(fromPath);
  for (const link of links) {
    const spec = decode(link.spec.replace(/[?#].*$/s, '')).replace(/\\/g, '/');
    if (!spec || /^[a-z][a-z0-9+.-]*:/i.test(spec) || spec.startsWith('//')) continue;
    const joined = spec.startsWith('/') ? spec.slice(1) : path.posix.join(dir, spec);
    const normalized = path.posix.normalize(joined).replace(/\/+$/, '');
    if (!normalized || normalized === '.' || normalized === '..' || normalized.startsWith('../')) continue;
    const target = candidates(normalized).find((c) => c !== fromPath && exists(c));
    if (!target) continue;
    const key = `${link.kind}\0${target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ target, kind: link.kind });
  }
  return out;
}
