// A generated, deterministic workspace for the benchmarks: TypeScript, Python, Go and Markdown in a monorepo layout,
// built from a seeded PRNG over a domain vocabulary so chunks differ from each other the way real code does (no two
// files share a body, which matters: the embedding cache would otherwise turn repeated text into free hits).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** mulberry32: tiny, fast, and the same sequence on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODULES = (
  'billing auth search storage notifications analytics scheduler gateway inventory shipping catalog identity telemetry ' +
  'ingest export payments ledger reports webhooks sessions quotas pricing checkout media thumbnails mailer audit ' +
  'permissions tenants experiments'
).split(' ');
const NOUNS = (
  'account invoice order payment session token cache queue worker schedule report user profile permission role tenant ' +
  'quota metric alert event webhook subscription plan coupon cart product stock shipment warehouse address customer ' +
  'ledger transaction refund snapshot backup replica shard query filter cursor page document template email message ' +
  'channel thread comment attachment upload image thumbnail stream buffer socket connection pool lease lock timer ' +
  'deadline retry backoff breaker limiter budget setting feature flag variant cohort segment ranking vector graph edge ' +
  'route handler request response header cookie credential secret certificate signature digest checksum manifest ' +
  'plugin adapter driver client gateway proxy cluster region zone deployment release artifact pipeline job task stage ' +
  'migration schema table column record batch archive parser compiler runtime sandbox container volume policy rule ' +
  'currency discount tax receipt carrier parcel label locale timezone calendar reminder digest summary score weight'
).split(' ');
const VERBS = (
  'load save fetch store resolve validate normalize compute apply merge split schedule cancel retry refresh rotate ' +
  'encode decode parse render publish dispatch enqueue drain flush sync reconcile audit approve reject archive restore ' +
  'index rank filter group count estimate charge refund notify expire renew lock release migrate import export ' +
  'compress upload download sign verify hash trim round convert register'
).split(' ');
const ADJECTIVES = (
  'pending active expired stale fresh partial complete invalid duplicate missing optional default primary secondary ' +
  'local remote cached signed encrypted compressed throttled delayed urgent archived draft final'
).split(' ');
const CONNECTORS = ['before', 'after', 'while', 'unless', 'once', 'whenever', 'because', 'so that'];

const cap = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : '');
const camel = (...ws: string[]) => ws[0] + ws.slice(1).map(cap).join('');
const pascal = (...ws: string[]) => ws.map(cap).join('');
/** Third person and past tense of a vocabulary verb ("hashes", "saved"). */
const third = (v: string) => (/(sh|ch|s|x)$/.test(v) ? `${v}es` : `${v}s`);
const past = (v: string) => (v.endsWith('e') ? `${v}d` : v === 'split' ? v : `${v}ed`);
const an = (w: string) => (/^[aeiou]/.test(w) ? `an ${w}` : `a ${w}`);
const snake = (...ws: string[]) => ws.join('_');

class Gen {
  constructor(readonly rand: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)];
  }
  chance(p: number): boolean {
    return this.rand() < p;
  }
  noun(): string {
    return this.pick(NOUNS);
  }
  verb(): string {
    return this.pick(VERBS);
  }
  sentence(topic: string[]): string {
    const n = () => (this.chance(0.5) ? this.pick(topic) : this.noun());
    const forms = [
      () => `The ${n()} ${third(this.verb())} every ${this.pick(ADJECTIVES)} ${n()} ${this.pick(CONNECTORS)} the ${n()} is ${this.pick(ADJECTIVES)}.`,
      () => `When ${an(n())} is ${this.pick(ADJECTIVES)}, we ${this.verb()} its ${n()} and ${this.verb()} the ${n()}.`,
      () => `Each ${n()} keeps a ${this.pick(ADJECTIVES)} ${n()}; callers ${this.verb()} it ${this.pick(CONNECTORS)} they ${this.verb()} the ${n()}.`,
      () => `Use \`${camel(this.verb(), n())}\` to ${this.verb()} ${an(n())} without touching the ${this.pick(ADJECTIVES)} ${n()}.`,
      () => `${cap(an(this.pick(ADJECTIVES)))} ${n()} never ${third(this.verb())} the ${n()} directly: it goes through the ${n()} ${n()}.`,
      () => `Up to ${this.int(2, 500)} ${n()}s are ${past(this.verb())} per ${n()}, and the limit is set by \`${snake(n(), n(), 'limit')}\`.`,
    ];
    return this.pick(forms)();
  }
  paragraph(topic: string[], lo = 2, hi = 5): string {
    return Array.from({ length: this.int(lo, hi) }, () => this.sentence(topic)).join(' ');
  }
}

// ---- one file per language ----------------------------------------------------------------------------------------

interface Ctx {
  g: Gen;
  module: string;
  topic: string[];
  /** Symbols defined, for questions. */
  symbols: string[];
}

function tsStatement(c: Ctx, vars: string[], depth: number): string[] {
  const { g } = c;
  const v = g.pick(vars);
  const n = g.noun();
  const indent = '  '.repeat(depth);
  switch (g.int(0, 6)) {
    case 0:
      return [`${indent}const ${camel(n, g.pick(['count', 'total', 'size', 'limit']))} = ${v}.${camel(g.verb(), n)}(${g.int(1, 900)});`];
    case 1:
      return [
        `${indent}if (${v}.${camel(g.pick(ADJECTIVES))} && ${v}.${camel(n, 'id')} !== undefined) {`,
        `${indent}  await this.${camel(g.verb(), n)}(${v}, { ${camel(g.noun())}: '${g.pick(ADJECTIVES)}' });`,
        `${indent}}`,
      ];
    case 2:
      return [
        `${indent}for (const ${n} of ${v}.${camel(n, 's')}) {`,
        `${indent}  this.${camel(g.noun(), 'cache')}.set(${n}.id, ${n}.${camel(g.noun())});`,
        `${indent}}`,
      ];
    case 3:
      return [`${indent}// ${c.g.sentence(c.topic)}`, `${indent}${v}.${camel(g.noun(), 'at')} = Date.now() + ${g.int(1, 60)} * 1000;`];
    case 4:
      return [
        `${indent}try {`,
        `${indent}  ${v} = await this.${camel(g.noun(), 'client')}.${camel(g.verb())}(${v}.${camel(g.noun(), 'key')});`,
        `${indent}} catch (error) {`,
        `${indent}  throw new ${pascal(c.module, 'error')}('could not ${g.verb()} ${g.noun()}', { cause: error });`,
        `${indent}}`,
      ];
    case 5:
      return [`${indent}this.log.debug('${g.verb()} ${n}', { ${camel(n, 'id')}: ${v}.id, ${camel(g.noun())}: ${g.int(0, 99)} });`];
    default:
      return [`${indent}const ${camel(g.pick(ADJECTIVES), n)} = ${v}.${camel(n, 's')}.filter((x) => x.${camel(g.pick(ADJECTIVES))}).map((x) => x.${camel(g.noun())});`];
  }
}

function tsFile(c: Ctx, siblings: string[]): string {
  const { g, topic } = c;
  const main = pascal(topic[0], topic[1]);
  const lines: string[] = [`// ${pascal(c.module)}: ${g.sentence(topic)}`];
  for (const s of siblings.slice(0, g.int(1, 3))) lines.push(`import { ${pascal(g.noun(), g.noun())} } from './${s}';`);
  lines.push(`import { ${pascal(c.module, 'error')} } from '../errors';`, '');
  const iface = pascal(topic[0], g.pick(['options', 'record', 'state', 'input']));
  c.symbols.push(iface, main);
  lines.push(`/** ${g.sentence(topic)} */`, `export interface ${iface} {`);
  for (let i = 0, n = g.int(3, 8); i < n; i++) lines.push(`  /** ${g.sentence(topic)} */`, `  ${camel(g.noun(), g.noun())}${g.chance(0.3) ? '?' : ''}: ${g.pick(['string', 'number', 'boolean', 'Date', `${pascal(g.noun())}[]`])};`);
  lines.push('}', '', `/** ${g.paragraph(topic, 1, 3)} */`, `export class ${main} {`);
  lines.push(`  private readonly ${camel(g.noun(), 'cache')} = new Map<string, number>();`, '');
  for (let m = 0, methods = g.int(3, 9); m < methods; m++) {
    const name = camel(g.verb(), g.pick(topic), g.chance(0.4) ? g.noun() : '');
    c.symbols.push(`${main}.${name}`);
    const arg = camel(g.pick(topic));
    lines.push(`  /** ${g.sentence(topic)} */`, `  async ${name}(${arg}: ${iface}, limit = ${g.int(1, 100)}): Promise<number> {`);
    for (let s = 0, n = g.int(2, 7); s < n; s++) lines.push(...tsStatement(c, [arg], 2));
    lines.push(`    return ${arg}.${camel(g.noun(), 'count')} ?? limit;`, '  }', '');
  }
  lines.push('}', '');
  for (let f = 0, fns = g.int(1, 4); f < fns; f++) {
    const name = camel(g.verb(), g.pick(topic), g.noun());
    c.symbols.push(name);
    lines.push(`/** ${g.sentence(topic)} */`, `export function ${name}(${camel(topic[0])}: ${iface}): boolean {`);
    for (let s = 0, n = g.int(1, 4); s < n; s++) lines.push(`  // ${g.sentence(topic)}`);
    lines.push(`  return ${camel(topic[0])}.${camel(g.noun(), 'count')} > ${g.int(0, 50)};`, '}', '');
  }
  return lines.join('\n');
}

function pyFile(c: Ctx, siblings: string[]): string {
  const { g, topic } = c;
  const cls = pascal(topic[0], topic[1], g.pick(['service', 'store', 'manager', 'worker']));
  c.symbols.push(cls);
  const lines = [`"""${cap(c.module)}: ${g.sentence(topic)}"""`, '', 'from __future__ import annotations', '', 'import logging', 'from dataclasses import dataclass'];
  for (const s of siblings.slice(0, g.int(1, 2))) lines.push(`from .${s} import ${pascal(g.noun(), g.noun())}`);
  lines.push('', 'log = logging.getLogger(__name__)', '', '', '@dataclass', `class ${pascal(topic[0], 'record')}:`, `    """${g.sentence(topic)}"""`, '');
  for (let i = 0, n = g.int(3, 7); i < n; i++) lines.push(`    ${snake(g.noun(), g.noun())}: ${g.pick(['str', 'int', 'float', 'bool', 'list[str]'])} = ${g.pick(['""', '0', '0.0', 'False', 'None'])}`);
  lines.push('', '', `class ${cls}:`, `    """${g.paragraph(topic, 1, 3)}"""`, '', '    def __init__(self, client, limit: int = 100) -> None:', '        self.client = client', '        self.limit = limit', `        self.${snake(g.noun(), 'cache')} = {}`, '');
  for (let m = 0, methods = g.int(3, 9); m < methods; m++) {
    const name = snake(g.verb(), g.pick(topic), ...(g.chance(0.4) ? [g.noun()] : []));
    c.symbols.push(`${cls}.${name}`);
    const arg = g.pick(topic);
    lines.push(`    def ${name}(self, ${arg}, retries: int = ${g.int(1, 5)}):`, `        """${g.sentence(topic)}"""`);
    for (let s = 0, n = g.int(2, 6); s < n; s++) {
      const noun = g.noun();
      switch (g.int(0, 4)) {
        case 0:
          lines.push(`        if ${arg}.${snake(g.pick(ADJECTIVES))} and retries > ${g.int(0, 3)}:`, `            return self.client.${snake(g.verb(), noun)}(${arg}.${snake(noun, 'id')})`);
          break;
        case 1:
          lines.push(`        for ${noun} in ${arg}.${noun}s:`, `            self.${snake(g.noun(), 'cache')}[${noun}.id] = ${noun}.${snake(g.noun())}`);
          break;
        case 2:
          lines.push(`        # ${g.sentence(topic)}`, `        ${snake(noun, 'total')} = sum(x.${snake(g.noun())} for x in ${arg}.${noun}s)`);
          break;
        case 3:
          lines.push('        try:', `            ${arg} = self.client.${snake(g.verb())}(${arg}.${snake(noun, 'key')})`, '        except KeyError as error:', `            log.warning("could not ${g.verb()} ${noun}: %s", error)`);
          break;
        default:
          lines.push(`        log.debug("${g.verb()} ${noun} %s", ${arg}.id)`);
      }
    }
    lines.push(`        return ${arg}.${snake(g.noun(), 'count')} or self.limit`, '');
  }
  for (let f = 0, fns = g.int(1, 3); f < fns; f++) {
    const name = snake(g.verb(), g.pick(topic), g.noun());
    c.symbols.push(name);
    lines.push('', `def ${name}(${topic[0]}, limit: int = ${g.int(1, 50)}) -> bool:`, `    """${g.sentence(topic)}"""`, `    return len(${topic[0]}.${g.noun()}s) < limit`);
  }
  lines.push('');
  return lines.join('\n');
}

function goFile(c: Ctx): string {
  const { g, topic } = c;
  const typ = pascal(topic[0], g.pick(['service', 'store', 'handler', 'worker']));
  c.symbols.push(typ);
  const lines = [`// Package ${c.module} ${g.sentence(topic).replace(/^The /, 'lets the ')}`, `package ${c.module}`, '', 'import (', '\t"context"', '\t"errors"', '\t"fmt"', '\t"time"', ')', ''];
  lines.push(`// ${typ} ${g.sentence(topic)}`, `type ${typ} struct {`);
  for (let i = 0, n = g.int(3, 7); i < n; i++) lines.push(`\t${pascal(g.noun(), g.noun())} ${g.pick(['string', 'int', 'time.Duration', 'bool', '[]string', 'map[string]int'])}`);
  lines.push('}', '', `var Err${pascal(g.pick(ADJECTIVES), topic[0])} = errors.New("${c.module}: ${g.pick(ADJECTIVES)} ${topic[0]}")`, '');
  for (let m = 0, methods = g.int(4, 12); m < methods; m++) {
    const name = pascal(g.verb(), g.pick(topic), g.chance(0.4) ? g.noun() : '');
    c.symbols.push(`${typ}.${name}`);
    lines.push(`// ${name} ${g.sentence(topic).replace(/^The /, 'makes the ')}`, `func (s *${typ}) ${name}(ctx context.Context, id string, limit int) (int, error) {`);
    for (let st = 0, n = g.int(2, 6); st < n; st++) {
      const noun = g.noun();
      switch (g.int(0, 3)) {
        case 0:
          lines.push(`\tif limit > ${g.int(1, 500)} {`, `\t\treturn 0, fmt.Errorf("${g.verb()} ${noun} %s: %w", id, Err${pascal(g.pick(ADJECTIVES), topic[0])})`, '\t}');
          break;
        case 1:
          lines.push(`\tfor i := 0; i < limit; i++ {`, `\t\tif err := s.${camel(g.verb(), noun)}(ctx, id, i); err != nil {`, '\t\t\treturn i, err', '\t\t}', '\t}');
          break;
        case 2:
          lines.push(`\t// ${g.sentence(topic)}`, `\tdeadline := time.Now().Add(${g.int(1, 90)} * time.Second)`, '\t_ = deadline');
          break;
        default:
          lines.push(`\tselect {`, '\tcase <-ctx.Done():', '\t\treturn 0, ctx.Err()', '\tdefault:', '\t}');
      }
    }
    lines.push(`\treturn limit - ${g.int(0, 9)}, nil`, '}', '');
  }
  return lines.join('\n');
}

function mdFile(c: Ctx, docs: string[], code: string[]): string {
  const { g, topic } = c;
  const title = `${cap(c.module)} ${topic[0]} ${g.pick(['guide', 'design', 'runbook', 'overview', 'reference'])}`;
  const lines = [`# ${title}`, '', g.paragraph(topic, 2, 4), ''];
  for (let s = 0, sections = g.int(3, 10); s < sections; s++) {
    const heading = `${cap(g.verb())} the ${g.pick(ADJECTIVES)} ${g.pick(topic)}`;
    c.symbols.push(heading);
    lines.push(`## ${heading}`, '', g.paragraph(topic, 2, 6), '');
    if (g.chance(0.5)) {
      for (let i = 0, n = g.int(2, 5); i < n; i++) lines.push(`- ${g.sentence(topic)}`);
      lines.push('');
    }
    if (g.chance(0.35)) {
      lines.push('```sh', `${c.module}-cli ${g.verb()} --${g.noun()} ${g.int(1, 99)} --${g.pick(ADJECTIVES)}`, '```', '');
    }
    if (g.chance(0.3)) {
      lines.push(`### ${cap(g.pick(ADJECTIVES))} ${g.noun()}s`, '', g.paragraph(topic, 1, 4), '');
    }
    if (g.chance(0.4) && docs.length) lines.push(`See [${g.pick(docs)}](./${g.pick(docs)}.md) and [the code](../../${g.pick(code)}).`, '');
  }
  return lines.join('\n');
}

// ---- the workspace ------------------------------------------------------------------------------------------------

export interface CorpusStats {
  files: number;
  bytes: number;
  byLanguage: Record<string, number>;
  /** A sample of the symbols and headings defined, for questions. */
  symbols: string[];
}

/** Writes `files` files under `root` (emptied first). Same seed and count → byte-identical files. */
export async function generateCorpus(root: string, seed: number, files: number): Promise<CorpusStats> {
  await fs.rm(root, { recursive: true, force: true });
  const g = new Gen(prng(seed));
  const stats: CorpusStats = { files: 0, bytes: 0, byLanguage: {}, symbols: [] };
  const plan: Array<{ lang: 'ts' | 'py' | 'go' | 'md'; module: string; name: string }> = [];
  for (let i = 0; i < files; i++) {
    const r = g.rand();
    const lang = r < 0.4 ? 'ts' : r < 0.6 ? 'py' : r < 0.75 ? 'go' : 'md';
    plan.push({ lang, module: g.pick(MODULES), name: `${g.noun()}-${g.noun()}-${i}` });
  }
  const dirOf = (p: (typeof plan)[number]) =>
    ({ ts: `packages/${p.module}/src`, py: `services/${p.module}`, go: `internal/${p.module}`, md: `docs/${p.module}` })[p.lang];
  const fileName = (p: (typeof plan)[number]) =>
    p.lang === 'py' ? `${p.name.replace(/-/g, '_')}.py` : p.lang === 'go' ? `${p.name.replace(/-/g, '_')}.go` : `${p.name}.${p.lang}`;
  const byModule = new Map<string, typeof plan>();
  for (const p of plan) byModule.set(p.module, [...(byModule.get(p.module) ?? []), p]);
  const made = new Set<string>();
  const writes: Array<[string, string]> = [];
  for (const p of plan) {
    const ctx: Ctx = { g, module: p.module, topic: [g.noun(), g.noun(), g.noun()], symbols: [] };
    const peers = byModule.get(p.module)!.filter((q) => q !== p);
    const same = (lang: string) => peers.filter((q) => q.lang === lang).map((q) => fileName(q).replace(/\.(ts|py|go|md)$/, ''));
    const text =
      p.lang === 'ts' ? tsFile(ctx, same('ts'))
      : p.lang === 'py' ? pyFile(ctx, same('py'))
      : p.lang === 'go' ? goFile(ctx)
      : mdFile(ctx, same('md'), peers.filter((q) => q.lang !== 'md').map((q) => `${dirOf(q)}/${fileName(q)}`));
    const rel = `${dirOf(p)}/${fileName(p)}`;
    writes.push([rel, text]);
    stats.files++;
    stats.bytes += Buffer.byteLength(text);
    stats.byLanguage[p.lang] = (stats.byLanguage[p.lang] ?? 0) + 1;
    if (stats.symbols.length < 2000 && g.chance(0.3)) stats.symbols.push(...ctx.symbols.slice(0, 2));
  }
  for (const [rel] of writes) {
    const dir = path.dirname(path.join(root, rel));
    if (!made.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      made.add(dir);
    }
  }
  // Bounded parallel writes: fast, without thousands of open files at once.
  for (let i = 0; i < writes.length; i += 64) {
    await Promise.all(writes.slice(i, i + 64).map(([rel, text]) => fs.writeFile(path.join(root, rel), text)));
  }
  await fs.writeFile(path.join(root, '.gitignore'), 'node_modules/\ndist/\n*.log\n');
  return stats;
}

/** About `n` varied questions: how/where/why forms over the corpus's own symbols, headings and vocabulary. */
export function questions(seed: number, n: number, symbols: string[]): string[] {
  const g = new Gen(prng(seed));
  const forms = [
    () => `How does the ${g.pick(MODULES)} service ${g.verb()} ${an(g.pick(ADJECTIVES))} ${g.noun()}?`,
    () => `Where is ${g.pick(symbols)} implemented?`,
    () => `What happens when ${g.noun()} ${g.verb()} fails for a ${g.noun()}?`,
    () => `Which setting limits how many ${g.noun()}s are ${past(g.verb())} per ${g.noun()}?`,
    () => `Explain ${g.pick(symbols)} and who calls it`,
    () => `why is the ${g.noun()} ${g.noun()} ${g.pick(ADJECTIVES)} after we ${g.verb()} it`,
    () => `${g.verb()} ${g.noun()} ${g.noun()} retry ${g.pick(MODULES)}`,
  ];
  return Array.from({ length: n }, () => g.pick(forms)());
}
