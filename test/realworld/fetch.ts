// Fetches the suite's npm packages with `npm pack NAME@VERSION` into a cache folder (.cache/npm-packages/, gitignored),
// re-uses a cached tarball when its sha512 matches the pinned integrity, and unpacks a tarball into a fresh temp folder.
//
// Run alone to fill the cache ahead of time:  npx tsx test/realworld/fetch.ts
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PACKAGES, specOf, type RealPackage } from './packages';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');
const CACHE_DIR = process.env.WRAG_NPM_PACKAGE_CACHE ?? path.join(REPO, '.cache', 'npm-packages');

/** `sha512-<base64>` of a file, the form of npm's dist.integrity. */
async function integrityOf(file: string): Promise<string> {
  return `sha512-${createHash('sha512').update(await fs.readFile(file)).digest('base64')}`;
}

const tarballName = (p: RealPackage) => `${p.name.replace(/^@/, '').replace(/\//g, '-')}-${p.version}.tgz`;

/**
 * The path of the package's tarball in the cache, fetched with `npm pack` when missing or when the cached file does not
 * hash to the pinned integrity. Throws when the registry's tarball does not either.
 */
export async function fetchPackage(p: RealPackage): Promise<{ tarball: string; fromCache: boolean }> {
  await fs.mkdir(CACHE_DIR, { recursive: true });
  const tarball = path.join(CACHE_DIR, tarballName(p));
  const cached = await integrityOf(tarball).catch(() => undefined);
  if (cached === p.integrity) return { tarball, fromCache: true };
  if (cached !== undefined) await fs.rm(tarball, { force: true });

  // npm writes into a folder of its own first, so a half-written tarball never sits in the cache under the real name.
  const staging = await fs.mkdtemp(path.join(CACHE_DIR, '.staging-'));
  try {
    const { stdout } = await run('npm', ['pack', specOf(p), '--json', '--ignore-scripts', '--pack-destination', staging], {
      cwd: staging,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; integrity: string }>;
    if (packed.integrity !== p.integrity)
      throw new Error(`${specOf(p)}: the registry's integrity ${packed.integrity} is not the pinned ${p.integrity}`);
    const fetched = path.join(staging, packed.filename);
    const actual = await integrityOf(fetched);
    if (actual !== p.integrity) throw new Error(`${specOf(p)}: the downloaded tarball hashes to ${actual}, not the pinned ${p.integrity}`);
    await fs.rename(fetched, tarball);
    return { tarball, fromCache: false };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Unpacks the tarball's single top folder (`package/`) into a new temp folder and returns that folder. */
export async function unpack(p: RealPackage, tarball: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `wrag-rw-${p.name.replace(/[^\w.-]/g, '_')}-`));
  await run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1', '--no-same-owner']);
  return dir;
}

/** Every regular file under `dir`, as sorted root-relative POSIX paths (tarballs hold no links). */
export async function filesOnDisk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (abs: string, rel: string) => {
    for (const e of await fs.readdir(abs, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(abs, e.name), childRel);
      else out.push(childRel);
    }
  };
  await walk(dir, '');
  return out.sort();
}

if (require.main === module) {
  (async () => {
    for (const p of PACKAGES) {
      const { tarball, fromCache } = await fetchPackage(p);
      process.stdout.write(`${specOf(p)}: ${fromCache ? 'cached' : 'fetched'} ${path.relative(REPO, tarball)}\n`);
    }
  })().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
