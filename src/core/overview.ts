// What a workspace's index is about, for hosts that suggest first questions: its README's title and headings, the
// top-level folders holding the most files, and the symbols the code defines that the README (or, lacking those,
// the code about the project's name) mentions. Read through the ports alone: no query of its own.
import type { IndexWriter, SearchIndex } from './ports';

export interface WorkspaceOverview {
  /** The README nearest the root, its title (the first heading) and its other headings in order. */
  readme?: { path: string; title?: string; headings: string[] };
  /** Top-level folders by how many indexed files they hold, most first. */
  folders: Array<{ name: string; files: number }>;
  /** Symbols the code defines, as named in the README or near the project's name, and the file of each. */
  symbols: Array<{ name: string; path: string }>;
}

type Ports = Pick<IndexWriter, 'fileStates'> & Pick<SearchIndex, 'fulltextSearch' | 'symbolDefinitions'>;

const README = /^readme(\.(md|markdown|mdx|rst|txt))?$/i;
const MAX_HEADINGS = 8;
const MAX_FOLDERS = 5;
const MAX_SYMBOLS = 5;
/** README chunks read for headings and names; a README is rarely longer. */
const README_HITS = 60;
/** Names of the README checked against the code's definitions. */
const MAX_CANDIDATES = 40;

export async function workspaceOverview(ports: Ports, workspaceId: string): Promise<WorkspaceOverview> {
  const paths = [...(await ports.fileStates(workspaceId)).keys()];
  const folders = topFolders(paths);
  const readmePath = paths
    .filter((p) => README.test(p.split('/').at(-1) ?? ''))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.length - b.length || a.localeCompare(b))[0];
  if (!readmePath) return { folders, symbols: [] };

  // Paths are words of the full-text index, so "readme" finds the README's chunks.
  const chunks = (await ports.fulltextSearch(workspaceId, 'readme', README_HITS)).filter((h) => h.path === readmePath).sort((a, b) => a.ordinal - b.ordinal);
  const trail = chunks.map((c) => (c.headingPath ?? '').split(' > ').map((h) => h.trim()).filter(Boolean));
  const title = trail.find((t) => t.length > 0)?.[0];
  const headings = unique(trail.flatMap((t) => t.slice(title !== undefined && t[0] === title ? 1 : 0))).slice(0, MAX_HEADINGS);

  const mentioned = unique(chunks.flatMap((c) => [...c.text.matchAll(/`([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(?:\(\))?`/g)].map((m) => m[1]))).slice(0, MAX_CANDIDATES);
  let symbols = await defined(ports, workspaceId, mentioned);
  if (symbols.length === 0 && title) {
    // Nothing the README names is defined: the code that mentions the project's name, by its definitions.
    const near = await ports.fulltextSearch(workspaceId, title, README_HITS);
    symbols = unique(near.filter((h) => h.symbol && h.path !== readmePath).map((h) => `${h.symbol}\u0000${h.path}`))
      .slice(0, MAX_SYMBOLS)
      .map((s) => ({ name: s.split('\u0000')[0], path: s.split('\u0000')[1] }));
  }
  return { readme: { path: readmePath, title, headings }, folders, symbols };
}

/** The names the code defines, in the order given, each with the file of its definition. */
async function defined(ports: Ports, workspaceId: string, names: string[]): Promise<Array<{ name: string; path: string }>> {
  if (names.length === 0) return [];
  const hits = await ports.symbolDefinitions(workspaceId, names, MAX_CANDIDATES);
  const out: Array<{ name: string; path: string }> = [];
  for (const name of names) {
    // A definition of `Store.open` may be the method's chunk, named `open` or `Store.open`.
    const last = name.split('.').at(-1)!;
    const hit = hits.find((h) => h.symbol === name || h.symbol?.split('.').at(-1) === last);
    if (hit && !out.some((o) => o.name === name)) out.push({ name, path: hit.path });
  }
  return out.slice(0, MAX_SYMBOLS);
}

function topFolders(paths: string[]): Array<{ name: string; files: number }> {
  const counts = new Map<string, number>();
  for (const p of paths) {
    const [first, ...rest] = p.split('/');
    if (rest.length === 0 || first.startsWith('.')) continue;
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return [...counts]
    .map(([name, files]) => ({ name, files }))
    .sort((a, b) => b.files - a.files || a.name.localeCompare(b.name))
    .slice(0, MAX_FOLDERS);
}

const unique = <T>(items: T[]): T[] => [...new Set(items)];
