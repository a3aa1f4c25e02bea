// Paths a user names literally, in an include glob or a .ragignore negation. Naming a path overrides the name rules of
// rules.ts (secret names, default exclusions) for it; a glob with wildcards names no file, only the folder it starts
// from (`dist/**` names `dist`), and a wildcard negation (`!*.pem`) names nothing.
import picomatch from 'picomatch';

export interface Named {
  /** Literal paths, root-relative: a file or a folder, and the way to it. */
  paths: readonly string[];
  /** Folders only: the literal start of an include glob with wildcards, a negation ending in '/'. */
  folders: readonly string[];
  /** Slash-free names, matched at any depth below `under` ('' for the whole root). */
  names: ReadonlyArray<{ under: string; name: string; dirOnly: boolean }>;
}

/** 'self' when the entry is named, 'inside' when a named path lies inside the folder. */
export type Naming = 'self' | 'inside' | undefined;

const under = (p: string, dir: string) => dir === '' || p === dir || p.startsWith(dir + '/');

/** What the include globs name. A leading './' or '/' means the same; a slash-free literal is a name at any depth. */
export function namedByInclude(include: readonly string[]): Named {
  const named = { paths: [] as string[], folders: [] as string[], names: [] as Array<Named['names'][number]> };
  for (const glob of include) {
    if (glob.startsWith('!')) continue;
    // Anchored as globs.ts anchors it: any slash, a trailing one included, ties it to the root.
    const anchored = glob.replace(/^\.?\/+/, '');
    const body = anchored.replace(/\/+$/, '');
    const scan = picomatch.scan(body);
    if (!scan.isGlob && body !== '') {
      if (anchored.includes('/')) named.paths.push(body);
      else named.names.push({ under: '', name: body, dirOnly: false });
    } else if (scan.base !== '') {
      named.folders.push(scan.base);
    }
  }
  return named;
}

/** What the negations of a .ragignore in `folderRel` name: literal patterns only, anchored as git anchors them. */
export function namedByRagignore(rules: string, folderRel: string): Named {
  const named = { paths: [] as string[], folders: [] as string[], names: [] as Array<Named['names'][number]> };
  for (const raw of rules.split(/\r?\n/)) {
    const line = raw.trimEnd();
    // Escapes, wildcards and character classes make a pattern, not a name.
    if (!line.startsWith('!') || /[*?[\\]/.test(line)) continue;
    const dirOnly = line.endsWith('/');
    const pattern = line.slice(1).replace(/\/+$/, '');
    const anchored = pattern.includes('/');
    const body = pattern.replace(/^\/+/, '');
    if (body === '' || body.split('/').some((s) => s === '' || s === '.' || s === '..')) continue;
    const rel = folderRel ? `${folderRel}/${body}` : body;
    if (!anchored) named.names.push({ under: folderRel, name: body, dirOnly });
    else (dirOnly ? named.folders : named.paths).push(rel);
  }
  return named;
}

/** How `named` names the entry at any of `paths` (the same entry, spelled with and without a root prefix). */
export function naming(named: Named, paths: readonly string[], isDir: boolean): Naming {
  let found: Naming;
  for (const p of paths) {
    const name = p.slice(p.lastIndexOf('/') + 1);
    if (named.names.some((n) => n.name === name && (isDir || !n.dirOnly) && under(p, n.under) && p !== n.under)) return 'self';
    for (const q of isDir ? [...named.paths, ...named.folders] : named.paths) {
      if (q === p) return 'self';
      if (isDir && q.startsWith(p + '/')) found = 'inside';
    }
  }
  return found;
}
