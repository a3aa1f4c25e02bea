// Name rules (compared lower-cased): what is not indexed because its name means key material or credentials, and what
// is left out by default (dependency and build folders, lock files, binary formats), each with its category. A path
// that an include glob or a .ragignore negation names literally overrides both (walk.ts); the content checks
// (content.ts: a private key, binary, minified) apply whatever the name.

/** Folders of keys and cloud credentials. */
const SECRET_DIRS = new Set(['.ssh', '.gnupg', '.aws']);
/** Files that hold tokens or passwords by their conventional names. */
const SECRET_NAMES = new Set([
  '.envrc', '.npmrc', '.yarnrc.yml', '.pypirc', '.netrc', '_netrc', '.git-credentials', '.pgpass', '.my.cnf',
  '.htpasswd', '.dockercfg', '.boto', '.s3cfg', '.vault-token',
]);
/** Keys, key stores, password databases, VPN profiles and Terraform state or variables, by extension. */
const SECRET_SUFFIXES = [
  '.pem', '.key', '.p8', '.p12', '.pfx', '.ppk', '.keystore', '.jks', '.kdbx', '.secret', '.secrets', '.ovpn',
  '.tfstate', '.tfstate.backup', '.tfvars',
];
/** dotenv files (`.env`, `.env.local`, `production.env`), unless a part of the name marks a template meant to be shared. */
const DOTENV = /^\.env(?:\.|$)|\.env$/;
const TEMPLATE_PARTS = new Set(['example', 'sample', 'template', 'dist']);
/** SSH private keys and their renamed copies (`id_ed25519_sk`, `id_rsa_github`, `id_rsa.old`); the `.pub` halves are public. */
const SSH_KEY = /^id_(?:rsa|dsa|ecdsa|ed25519)(?:[-_.]|$)/;
/** Credentials by name in a data format (`credentials`, `secrets.yaml`, `aws-credentials.json`, `credentials.yml.enc`), not code (`credentials.ts`). */
const CREDENTIALS_STEM = /(?:^|[-_])(?:credentials|secrets?)$/;
const DATA_EXTENSIONS = new Set(['json', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'xml', 'properties', 'csv', 'txt', 'env', 'enc']);
/** Google's downloaded OAuth client secrets and service-account keys. */
const CLOUD_KEY_JSON = /^(?:client_secret|service[-_]account).*\.json$/;

const EXCLUDED_DIRS = categories({
  'version-control folder': ['.git', '.hg', '.svn', '.bzr', '_darcs', 'cvs', '.jj'],
  'dependency folder': [
    'node_modules', 'bower_components', 'jspm_packages', 'web_modules', '.yarn', '.pnpm-store', 'vendor', 'pods',
    'carthage', '.bundle', 'site-packages', '.eggs', '.pub-cache', 'elm-stuff',
  ],
  'build output': [
    'dist', 'build', 'out', 'target', '_build', '.next', '.nuxt', '.svelte-kit', '.angular', '.turbo', '.vercel',
    '.netlify', '.parcel-cache', '.cache', '.docusaurus', '.expo', '.gradle', '.dart_tool', '.stack-work',
    'dist-newstyle', '.zig-cache', 'zig-cache', 'zig-out', 'cmakefiles', '.terraform', '.serverless',
  ],
  'coverage or test output': ['coverage', '.nyc_output', '.vscode-test', '.tox', '.nox', '.pytest_cache'],
  'Python cache or environment': ['__pycache__', '.venv', 'venv', '.mypy_cache', '.ruff_cache', '.ipynb_checkpoints'],
  'IDE folder': ['.idea', '.vs'],
});
/** .NET and Visual C++ put binaries in bin/ and obj/; elsewhere bin/ often holds scripts worth indexing. */
export const DOTNET_PROJECT = /\.(?:csproj|fsproj|vbproj|vcxproj|sln|slnx)$/i;

const EXCLUDED_NAMES = categories({
  'lock file': ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'go.sum', 'packages.lock.json', 'gradle.lockfile', 'package.resolved'],
  'OS metadata': ['.ds_store', 'thumbs.db', 'desktop.ini'],
});
const EXCLUDED_SUFFIXES: Array<[string, string]> = [
  ...['.lock', '.lockb'].map((s): [string, string] => [s, 'lock file']),
  ...['.min.js', '.min.mjs', '.min.cjs', '.min.css', '.map'].map((s): [string, string] => [s, 'minified or source map']),
  ...['.tsbuildinfo', '.log', '.swp', '.swo'].map((s): [string, string] => [s, 'generated file']),
];
const EXCLUDED_EXTENSIONS = categories({
  image: ['png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'icns', 'tif', 'tiff', 'webp', 'avif', 'heic', 'heif', 'psd', 'xcf', 'ai', 'eps', 'svg', 'raw', 'cr2', 'nef'],
  font: ['ttf', 'otf', 'woff', 'woff2', 'eot'],
  'audio or video': ['mp3', 'wav', 'ogg', 'oga', 'flac', 'aac', 'm4a', 'opus', 'wma', 'mid', 'midi', 'mp4', 'm4v', 'mov', 'avi', 'mkv', 'webm', 'wmv', 'flv', 'mpg', 'mpeg', '3gp'],
  archive: [
    'zip', 'tar', 'gz', 'tgz', 'bz2', 'xz', 'txz', '7z', 'rar', 'zst', 'lz', 'lz4', 'lzma', 'cab', 'jar', 'war', 'ear',
    'apk', 'aab', 'ipa', 'dmg', 'iso', 'img', 'deb', 'rpm', 'msi', 'msix', 'whl', 'egg', 'nupkg', 'gem', 'vsix', 'crx', 'xpi',
  ],
  'binary or object file': ['exe', 'dll', 'so', 'dylib', 'o', 'obj', 'a', 'lib', 'ko', 'class', 'pyc', 'pyo', 'pyd', 'wasm', 'node', 'pdb', 'ilk', 'exp', 'idb', 'bin', 'dat', 'elf', 'sys'],
  document: ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'odp', 'rtf', 'epub'],
  'database or model data': [
    'sqlite', 'sqlite3', 'db', 'mdb', 'accdb', 'parquet', 'avro', 'orc', 'arrow', 'feather', 'npy', 'npz', 'h5', 'hdf5',
    'pkl', 'pickle', 'joblib', 'pt', 'pth', 'onnx', 'safetensors', 'ckpt', 'tflite', 'pb', 'gguf', 'ggml', 'mat', 'sav',
  ],
});
/** Versioned shared libraries such as libfoo.so.1.2. */
const VERSIONED_SO = /\.so(?:\.\d+)+$/;

function categories(table: Record<string, string[]>): Map<string, string> {
  return new Map(Object.entries(table).flatMap(([category, names]) => names.map((n): [string, string] => [n, category])));
}

export function secretName(lower: string, isDir: boolean): boolean {
  if (isDir) return SECRET_DIRS.has(lower);
  const parts = lower.split('.');
  const [stem, ...extensions] = parts;
  return (
    SECRET_NAMES.has(lower) ||
    SECRET_SUFFIXES.some((s) => lower.endsWith(s)) ||
    (DOTENV.test(lower) && !parts.some((part) => TEMPLATE_PARTS.has(part))) ||
    (SSH_KEY.test(lower) && !lower.endsWith('.pub')) ||
    (CREDENTIALS_STEM.test(stem) && extensions.every((e) => DATA_EXTENSIONS.has(e))) ||
    CLOUD_KEY_JSON.test(lower)
  );
}

/** The category of a default exclusion, or undefined. */
export function defaultExcluded(lower: string, isDir: boolean, inDotnetProject: boolean): string | undefined {
  if (isDir) {
    if (inDotnetProject && (lower === 'bin' || lower === 'obj')) return '.NET build output';
    if (lower.endsWith('.egg-info') || lower.startsWith('cmake-build-')) return 'build output';
    return EXCLUDED_DIRS.get(lower);
  }
  const named = EXCLUDED_NAMES.get(lower) ?? EXCLUDED_SUFFIXES.find(([s]) => lower.endsWith(s))?.[1];
  if (named) return named;
  if (VERSIONED_SO.test(lower)) return 'binary or object file';
  const dot = lower.lastIndexOf('.');
  return dot > 0 ? EXCLUDED_EXTENSIONS.get(lower.slice(dot + 1)) : undefined;
}
