// What a workspace's index in Neo4j must satisfy, read back with a driver of the suite's own (never the store under
// test). Each check returns the problems it found, as readable lines; an empty list means the check holds.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Driver } from 'neo4j-driver';

/** At most this many problems are listed per check; the count says how many there were. */
const SHOWN = 25;

export class GraphReader {
  constructor(
    private readonly driver: Driver,
    private readonly database: string,
  ) {}

  async rows<T = Record<string, unknown>>(cypher: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const { records } = await this.driver.executeQuery(cypher, params, { database: this.database });
    return records.map((r) => r.toObject() as T);
  }

  /** Paths of the workspace's File nodes. */
  async filePaths(ws: string): Promise<string[]> {
    return (await this.rows<{ p: string }>('MATCH (f:File {workspace: $ws}) RETURN f.path AS p ORDER BY p', { ws })).map((r) => r.p);
  }

  /** Nodes of any label that still carry the workspace's id (after a clear there must be none). */
  async leftovers(ws: string): Promise<Record<string, number>> {
    const rows = await this.rows<{ label: string; n: number }>(
      `MATCH (n) WHERE n.workspace = $ws OR (n:Workspace AND n.id = $ws)
       UNWIND labels(n) AS label RETURN label, count(*) AS n`,
      { ws },
    );
    return Object.fromEntries(rows.map((r) => [r.label, r.n]));
  }

  /** Same chunk twice: the same id, or the same path and ordinal; the same File or Symbol twice; a chunk in two files. */
  async duplicates(ws: string): Promise<string[]> {
    const checks: Array<[string, string]> = [
      ['chunks sharing an id', 'MATCH (c:Chunk {workspace: $ws}) WITH c.id AS k, count(*) AS n WHERE n > 1 RETURN k, n'],
      ['chunks sharing path and ordinal', "MATCH (c:Chunk {workspace: $ws}) WITH c.path + '#' + toString(c.ordinal) AS k, count(*) AS n WHERE n > 1 RETURN k, n"],
      ['File nodes sharing a path', 'MATCH (f:File {workspace: $ws}) WITH f.path AS k, count(*) AS n WHERE n > 1 RETURN k, n'],
      ['Symbol nodes sharing a name', 'MATCH (s:Symbol {workspace: $ws}) WITH s.name AS k, count(*) AS n WHERE n > 1 RETURN left(k, 200) AS k, n'],
      ['chunks held by more than one File', 'MATCH (c:Chunk {workspace: $ws}) WITH c, COUNT { (:File)-[:HAS_CHUNK]->(c) } AS n WHERE n > 1 RETURN c.id AS k, n'],
      ['Workspace nodes with this id', 'MATCH (w:Workspace {id: $ws}) WITH count(w) AS n WHERE n > 1 RETURN $ws AS k, n'],
    ];
    const problems: string[] = [];
    for (const [what, cypher] of checks) {
      const found = await this.rows<{ k: string; n: number }>(`${cypher} LIMIT ${SHOWN}`, { ws });
      for (const r of found) problems.push(`${what}: ${JSON.stringify(r.k)} ×${r.n}`);
    }
    return problems;
  }

  /** Chunks without their File, chunks whose File is another path, Symbols nothing defines, Files outside the Workspace. */
  async orphans(ws: string): Promise<string[]> {
    const checks: Array<[string, string]> = [
      ['Chunk without a File (HAS_CHUNK)', 'MATCH (c:Chunk {workspace: $ws}) WHERE NOT EXISTS { (:File)-[:HAS_CHUNK]->(c) } RETURN c.id AS k'],
      [
        'Chunk held by a File of another path or workspace',
        'MATCH (f:File)-[:HAS_CHUNK]->(c:Chunk {workspace: $ws}) WHERE f.path <> c.path OR f.workspace <> c.workspace RETURN c.id + " in " + f.path AS k',
      ],
      ['Symbol that no Chunk DEFINES', 'MATCH (s:Symbol {workspace: $ws}) WHERE NOT EXISTS { (:Chunk)-[:DEFINES]->(s) } RETURN left(s.name, 200) AS k'],
      ['File without its Workspace (CONTAINS)', 'MATCH (f:File {workspace: $ws}) WHERE NOT EXISTS { (:Workspace {id: $ws})-[:CONTAINS]->(f) } RETURN f.path AS k'],
      ['File contained by another Workspace', 'MATCH (w:Workspace)-[:CONTAINS]->(f:File {workspace: $ws}) WHERE w.id <> $ws RETURN f.path + " in " + w.id AS k'],
    ];
    const problems: string[] = [];
    for (const [what, cypher] of checks) {
      const total = (await this.rows<{ n: number }>(`CALL { ${cypher} } RETURN count(*) AS n`, { ws }))[0]?.n ?? 0;
      if (total === 0) continue;
      const shown = await this.rows<{ k: string }>(`${cypher} LIMIT ${SHOWN}`, { ws });
      problems.push(`${what}: ${total}, e.g. ${shown.map((r) => JSON.stringify(r.k)).join(', ')}`);
    }
    return problems;
  }

  /** Each file's chunks have ordinals 0..n-1, linked by NEXT in that order, within the file, without branches. */
  async nextChains(ws: string): Promise<string[]> {
    const rows = await this.rows<{ path: string; ordinal: number; out: Array<{ path: string; ordinal: number }>; incoming: number }>(
      `MATCH (f:File {workspace: $ws})-[:HAS_CHUNK]->(c:Chunk)
       RETURN f.path AS path, c.ordinal AS ordinal,
              COLLECT { MATCH (c)-[:NEXT]->(n) RETURN {path: n.path, ordinal: n.ordinal} } AS out,
              COUNT { ()-[:NEXT]->(c) } AS incoming`,
      { ws },
    );
    const byFile = new Map<string, typeof rows>();
    for (const r of rows) byFile.set(r.path, [...(byFile.get(r.path) ?? []), r]);
    const problems: string[] = [];
    for (const [file, chunks] of byFile) {
      chunks.sort((a, b) => a.ordinal - b.ordinal);
      const ordinals = chunks.map((c) => c.ordinal);
      if (!ordinals.every((o, i) => o === i)) problems.push(`${file}: ordinals ${summarize(ordinals)}, expected 0..${chunks.length - 1}`);
      chunks.forEach((c, i) => {
        const last = i === chunks.length - 1;
        const ok = last ? c.out.length === 0 : c.out.length === 1 && c.out[0].path === file && c.out[0].ordinal === c.ordinal + 1;
        if (!ok) {
          const to = c.out.map((n) => `${n.path}#${n.ordinal}`).join(', ') || 'nothing';
          problems.push(`${file}#${c.ordinal}: NEXT to ${to}, expected ${last ? 'nothing (last chunk)' : `${file}#${c.ordinal + 1}`}`);
        }
        const incoming = i === 0 ? 0 : 1;
        if (c.incoming !== incoming) problems.push(`${file}#${c.ordinal}: ${c.incoming} incoming NEXT, expected ${incoming}`);
      });
    }
    const crossing = await this.rows<{ k: string }>(
      `MATCH (a:Chunk {workspace: $ws})-[:NEXT]-(b:Chunk) WHERE b.workspace <> a.workspace OR b.path <> a.path
       RETURN a.id + ' - ' + b.id AS k LIMIT ${SHOWN}`,
      { ws },
    );
    problems.push(...crossing.map((r) => `NEXT between files or workspaces: ${r.k}`));
    return capped(problems);
  }

  /**
   * Each chunk's text is exactly its file's lines startLine..endLine as an editor shows them (UTF-8, the BOM dropped,
   * a lone CR counted as a line break), with 1 <= startLine <= endLine <= the file's line count. A part of a line
   * longer than the chunk budget (`column` set) is exactly that line's text from `column`.
   */
  async chunkTexts(ws: string, root: string): Promise<{ problems: string[]; chunks: number }> {
    const rows = await this.rows<{ path: string; ordinal: number; s: number; e: number; text: string; column: number | null }>(
      'MATCH (c:Chunk {workspace: $ws}) RETURN c.path AS path, c.ordinal AS ordinal, c.startLine AS s, c.endLine AS e, c.text AS text, c.column AS column',
      { ws },
    );
    const problems: string[] = [];
    const files = new Map<string, string[] | null>();
    for (const c of rows) {
      if (!files.has(c.path)) files.set(c.path, await linesOf(path.join(root, c.path)));
      const lines = files.get(c.path);
      const where = `${c.path}#${c.ordinal} (lines ${c.s}-${c.e})`;
      if (!lines) problems.push(`${where}: the file is not on disk`);
      else if (!(Number.isInteger(c.s) && Number.isInteger(c.e) && c.s >= 1 && c.s <= c.e && c.e <= lines.length))
        problems.push(`${where}: invalid range for a file of ${lines.length} lines`);
      else {
        const whole = lines.slice(c.s - 1, c.e).join('\n');
        const expected = c.column === null ? whole : c.s === c.e ? whole.slice(c.column, c.column + (c.text ?? '').length) : `(a part of one line, not of lines ${c.s}-${c.e})`;
        if (c.text !== expected) problems.push(`${where}: text differs from the file's lines: ${firstDifference(c.text ?? '', expected)}`);
      }
    }
    return { problems: capped(problems), chunks: rows.length };
  }
}

/** The file's lines as an editor counts them, or null when it is not there. */
export async function linesOf(file: string): Promise<string[] | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
  return text.replace(/^\uFEFF/, '').replace(/\r(?!\n)/g, '\n').split('\n');
}

function firstDifference(actual: string, expected: string): string {
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const show = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 30), i + 50));
  return `at character ${i} of ${actual.length} (file's lines: ${expected.length}): chunk ${show(actual)} vs file ${show(expected)}`;
}

function summarize(ordinals: number[]): string {
  return ordinals.length > 12 ? `${ordinals.slice(0, 12).join(',')},… (${ordinals.length})` : ordinals.join(',');
}

function capped(problems: string[]): string[] {
  return problems.length > SHOWN ? [...problems.slice(0, SHOWN), `… and ${problems.length - SHOWN} more`] : problems;
}
