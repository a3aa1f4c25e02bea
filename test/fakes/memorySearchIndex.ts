// An in-memory SearchIndex: the same contract as the Neo4j store's search legs (confined to a workspace, cosine
// scores as (1+cos)/2, neighbours along the file's chunk order, symbol definitions in the order asked, the first chunk
// of linked files), small enough to read in one screen. Retrieval rules are unit-tested against it; the Neo4j
// implementation of the same contract is covered by test/integration/store.test.ts.
import { SPECIFIC_NAME_FILES, type SearchIndex } from '../../src/core/ports';
import type { Hit } from '../../src/core/types';
import { cosine } from '../servers/text';

export interface MemoryChunk {
  path: string;
  startLine: number;
  text: string;
  kind?: string;
  symbol?: string;
  headingPath?: string;
  header?: string;
  defines?: string[];
  embedding?: number[];
}

interface Stored extends Hit {
  workspace: string;
  defines: string[];
  embedding?: number[];
}

export class MemorySearchIndex implements SearchIndex {
  private readonly chunks: Stored[] = [];
  private readonly links = new Map<string, string[]>();
  /** Every call, for assertions about which legs ran. */
  readonly calls: Array<{ leg: keyof SearchIndex; args: unknown[] }> = [];

  /** Adds a file's chunks in order; ordinals and ids follow the store's scheme. */
  addFile(workspace: string, chunks: MemoryChunk[], linksTo: string[] = []): Hit[] {
    const added = chunks.map((c, ordinal): Stored => {
      const lines = c.text.split('\n').length;
      return {
        id: `${workspace}:${c.path}#${ordinal}`,
        workspace,
        path: c.path,
        language: c.path.endsWith('.md') ? 'markdown' : 'typescript',
        kind: c.kind ?? 'code',
        symbol: c.symbol,
        headingPath: c.headingPath,
        header: c.header,
        startLine: c.startLine,
        endLine: c.startLine + lines - 1,
        text: c.text,
        ordinal,
        score: 0,
        defines: c.defines ?? [],
        embedding: c.embedding,
      };
    });
    this.chunks.push(...added);
    if (chunks[0]) this.links.set(`${workspace}\0${chunks[0].path}`, linksTo);
    return added.map(toHit);
  }

  async vectorSearch(workspaceId: string, vector: number[] | Float32Array, k: number): Promise<Hit[]> {
    this.calls.push({ leg: 'vectorSearch', args: [workspaceId, k] });
    return this.mine(workspaceId)
      .filter((c) => c.embedding)
      .map((c) => ({ ...toHit(c), score: (1 + cosine(c.embedding!, Array.from(vector))) / 2 }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  async fulltextSearch(workspaceId: string, userText: string, k: number): Promise<Hit[]> {
    this.calls.push({ leg: 'fulltextSearch', args: [workspaceId, userText, k] });
    const terms = words(userText);
    if (terms.length === 0) return [];
    return this.mine(workspaceId)
      .map((c) => {
        const own = words(`${c.text} ${c.symbol ?? ''} ${c.headingPath ?? ''} ${c.path}`);
        return { ...toHit(c), score: terms.filter((t) => own.includes(t)).length };
      })
      .filter((h) => h.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  async neighbours(workspaceId: string, chunkIds: string[]): Promise<Hit[]> {
    this.calls.push({ leg: 'neighbours', args: [workspaceId, chunkIds] });
    const given = new Set(chunkIds);
    const out = new Map<string, Hit>();
    for (const c of this.mine(workspaceId).filter((c) => given.has(c.id))) {
      for (const n of this.mine(workspaceId).filter((o) => o.path === c.path && Math.abs(o.ordinal - c.ordinal) === 1 && !given.has(o.id))) {
        out.set(n.id, toHit(n));
      }
    }
    return [...out.values()].sort((a, b) => a.path.localeCompare(b.path) || a.ordinal - b.ordinal);
  }

  async symbolDefinitions(workspaceId: string, names: string[], limit: number): Promise<Hit[]> {
    this.calls.push({ leg: 'symbolDefinitions', args: [workspaceId, names, limit] });
    const out: Hit[] = [];
    for (const name of new Set(names)) {
      const definers = this.mine(workspaceId).filter((c) => c.defines.includes(name));
      if (new Set(definers.map((c) => c.path)).size > SPECIFIC_NAME_FILES) continue;
      for (const c of definers) {
        if (!out.some((h) => h.id === c.id)) out.push({ ...toHit(c), score: 1 });
      }
    }
    return out.slice(0, limit);
  }

  async absentTerms(workspaceId: string, terms: string[]): Promise<string[]> {
    this.calls.push({ leg: 'absentTerms', args: [workspaceId, terms] });
    const words = new Set(this.mine(workspaceId).flatMap((c) => `${c.text} ${c.symbol ?? ''} ${c.headingPath ?? ''} ${c.path}`.toLowerCase().split(/[^\p{L}\p{N}_]+/u)));
    return [...new Set(terms)].filter((t) => ![...words].some((w) => w.startsWith(t.toLowerCase())));
  }

  async linkedChunks(workspaceId: string, paths: string[], limit: number): Promise<Hit[]> {
    this.calls.push({ leg: 'linkedChunks', args: [workspaceId, paths, limit] });
    const targets = [...new Set(paths.flatMap((p) => this.links.get(`${workspaceId}\0${p}`) ?? []))].filter((t) => !paths.includes(t));
    return targets
      .map((t) => this.mine(workspaceId).find((c) => c.path === t && c.ordinal === 0))
      .filter((c): c is Stored => Boolean(c))
      .map(toHit)
      .slice(0, limit);
  }

  private mine(workspaceId: string): Stored[] {
    return this.chunks.filter((c) => c.workspace === workspaceId);
  }
}

function toHit(c: Stored): Hit {
  const { workspace: _w, defines: _d, embedding: _e, ...hit } = c;
  return { ...hit, score: 0 };
}

const words = (text: string) => text.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(Boolean);
