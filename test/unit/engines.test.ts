// The Node version the README names for a fresh machine is one that every installed package accepts, so `npm ci` on
// it prints no EBADENGINE warning.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

type Version = [number, number, number];

const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** A version as far as it is written: `20`, `20.19`, `20.x`, `20.19.0`; undefined parts are wildcards. */
function partial(text: string): Array<number | undefined> {
  return text.replace(/^v/, '').split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : undefined));
}

/** Whether `v` satisfies one comparator of an npm engines range (the forms package-lock.json holds). */
function satisfiesOne(v: Version, comparator: string): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(comparator)!;
  const op = m[1] ?? '';
  const [major, minor, patch] = partial(m[2]);
  if (major === undefined) return true; // `*`, `x`
  const low: Version = [major, minor ?? 0, patch ?? 0];
  // The first version past a partial one (`20` → 21.0.0, `20.19` → 20.20.0), or past a caret or tilde range.
  const next: Version = minor === undefined || op === '^' ? [major + 1, 0, 0] : patch === undefined || op === '~' ? [major, minor + 1, 0] : [major, minor, patch + 1];
  switch (op) {
    case '>=':
      return compare(v, low) >= 0;
    case '>':
      return compare(v, next) >= 0;
    case '<':
      return compare(v, low) < 0;
    case '<=':
      return compare(v, next) < 0;
    default:
      return compare(v, low) >= 0 && compare(v, next) < 0;
  }
}

function satisfies(version: string, range: string): boolean {
  const [a, b, c] = partial(version);
  const v: Version = [a ?? 0, b ?? 0, c ?? 0];
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean)
      .every((comparator) => satisfiesOne(v, comparator)),
  );
}

describe('the documented Node version', () => {
  it('reads npm engines ranges as npm does', () => {
    assert.ok(satisfies('22.13.0', '^20.19.0 || ^22.13.0 || >=24'));
    assert.ok(!satisfies('22.12.0', '^20.19.0 || ^22.13.0 || >=24'));
    assert.ok(satisfies('20.19.0', '18 || 20 || >=22'));
    assert.ok(!satisfies('21.0.0', '18 || 20 || >=22'));
    assert.ok(satisfies('22.13.0', '6.* || 8.* || >= 10.*'));
    assert.ok(!satisfies('0.7.1', '>=0.6.11 <=0.7.0 || >=0.7.3'));
    assert.ok(satisfies('22.13.0', '>=16 || 14 >=14.17'));
    assert.ok(satisfies('22.13.0', '*'));
    assert.ok(!satisfies('20.20.2', '>=22'));
  });

  it('is accepted by every package npm ci installs, so it prints no engine warning', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const named = /^## Quick start \(fresh machine: Node (\d+\.\d+)/m.exec(readme)?.[1];
    assert.ok(named, 'the Quick start heading names the Node version, as major.minor');
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: unknown } | unknown[] }> };
    const refusing = Object.entries(lock.packages)
      .map(([name, p]) => [name.replace(/^node_modules\//, ''), !Array.isArray(p.engines) ? p.engines?.node : undefined] as const)
      .filter((entry): entry is readonly [string, string] => typeof entry[1] === 'string' && !satisfies(`${named}.0`, entry[1]));
    assert.deepEqual(refusing, [], `Node ${named} is refused by`);
  });
});
