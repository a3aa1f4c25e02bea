// The include and exclude globs of the settings.
import picomatch from 'picomatch';
import { type Named, namedByInclude } from './named';

export interface Globs {
  isIncluded(paths: string[]): boolean;
  isExcluded(paths: string[]): string | undefined;
  /** False when no include glob can match anything inside the directory, so it need not be walked. */
  mayContainIncluded(dirPaths: string[]): boolean;
  /** What the include globs name literally: `vendor/mylib/**` names `vendor/mylib`, `.env` every `.env`. */
  named: Named;
}

export function compileGlobs(include: readonly string[], exclude: readonly string[]): Globs {
  const options = { dot: true };
  const inc = include.map(normalizeGlob);
  const includeMatch = inc.length ? picomatch(inc, options) : undefined;
  const excludeMatchers = exclude.map((g) => ({ glob: g, match: picomatch(normalizeGlob(g), options) }));
  // The literal folder each include glob starts from; undefined when it can match at any depth.
  const bases = inc.map((g) => {
    const scan = picomatch.scan(g);
    return scan.negated || scan.base === '' ? undefined : scan.base;
  });
  const under = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');
  return {
    // As with excludes, a glob naming a folder (`packages/api`, `docs`) takes in everything below it.
    isIncluded: (paths) => !includeMatch || paths.some((p) => selfAndAncestors(p).some((q) => includeMatch(q))),
    isExcluded: (paths) => excludeMatchers.find((m) => paths.some((p) => m.match(p)))?.glob,
    mayContainIncluded: (dirs) =>
      !includeMatch || bases.some((b) => b === undefined || dirs.some((d) => under(b, d) || under(d, b))),
    named: namedByInclude(include),
  };
}

/**
 * Globs are workspace-relative, and a leading './' or '/' means the same. Like .gitignore patterns, a slash-free glob
 * (`*.md`) matches names at any depth. (picomatch's `basename` option would do that but breaks globs with slashes.)
 */
function normalizeGlob(glob: string): string {
  const negated = glob.startsWith('!');
  const body = (negated ? glob.slice(1) : glob).replace(/^\.?\/+/, '');
  return (negated ? '!' : '') + (body.includes('/') ? body : `**/${body}`);
}

function selfAndAncestors(p: string): string[] {
  const out = [p];
  for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) out.push(p.slice(0, i));
  return out;
}
