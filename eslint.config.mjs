// The layering of docs/ARCHITECTURE.md as lint errors, plus the type-aware rules that need the whole program.
//
//   src/core      the engine, plain Node: no `vscode`, nothing from the editor side, the CLI, the MCP server or the protocol
//   src/cli       the command line over the engine: no `vscode`, nothing from the editor side; the only one that
//                 signs in with @azure/identity (the extension does through VS Code, the engine takes a token provider)
//   src/mcp       the MCP server over the engine, which the CLI starts: no `vscode`, nothing from the editor side or the CLI
//   src/protocol  the messages between the webview and the extension, loaded by both: zod and its own files only
//   src/webview   browser code: no Node builtins, nothing from the engine, the CLI, the MCP server or the extension
//   src/extension the VS Code adapter: everything but the webview's browser code, the CLI and the MCP server (of which
//                 only the search tool's schemas and text, for its Language Model tool)
//   src/**        never anything from test/ or bench/
//
// Folder boundaries are checked on resolved paths (import-x/no-restricted-paths), so `../core/x` and
// `../../core/chunk/y` are the same zone whatever the depth; module names (`vscode`, `node:*`, builtins, anything
// but zod) with no-restricted-imports. import-x/no-unresolved makes sure every relative import resolves, since an
// import the resolver cannot follow would pass the zones unchecked. Unused exports are knip's job (`npm run lint`
// runs both; knip.json names the entry points the bundles and the test runners start from, and counts an exported
// type used in its own file as used, since it is part of an exported signature): import-x's no-unused-modules needs
// an API that ESLint 10 removed.
import { builtinModules } from 'node:module';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

/** A no-restricted-imports path entry for `vscode`. */
const noVscode = { name: 'vscode', message: 'Only src/extension talks to VS Code; the engine, the CLI, the MCP server and the webview are reused without it.' };

/** Entra ID sign-in through @azure/identity is the CLI's own (src/cli/entra.ts). */
const noIdentity = {
  name: '@azure/identity',
  message: 'Only the CLI (and the MCP server it starts) signs in with @azure/identity: the engine takes a token provider, and the extension signs in through VS Code, so its bundle carries none of it.',
};

/** A zone: files under `target` may not import files under `from` (paths relative to the repository root). */
const zone = (target, from, message) => ({ target: `./${target}`, from: from.map((f) => `./${f}`), message });

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'media/dist/**',
      'node_modules/**',
      '.tools/**',
      '.neo4j*/**',
      '.bench/**',
      '.cache/**',
      'test-results/**',
      'test/vscode/out/**',
      'test/vscode/smoke-extension/**',
      // Inputs of the chunker and the demo, not this project's code.
      'samples/**',
      'test/fixtures/**',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      // One program for every file (tsconfig.json holds them all), twice as fast as one per layer; the layers' own
      // environments (no DOM in the engine, no Node in the webview) are tsc's job: `npm run typecheck`.
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: root },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.node'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      // A promise nobody awaits loses its rejection; `void` says the fire-and-forget is deliberate. Thenables too: the
      // VS Code API returns them.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true, checkThenables: true }],
      'import-x/no-unresolved': ['error', { ignore: ['^vscode$'] }],
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            zone('src', ['test', 'bench'], 'Product code never imports the tests or the benchmarks.'),
            zone('src/core', ['src/extension', 'src/webview', 'src/protocol', 'src/cli', 'src/mcp'], 'The engine is plain Node and knows no host: it imports nothing from the extension, the webview, the protocol, the CLI or the MCP server.'),
            zone('src/cli', ['src/extension', 'src/webview', 'src/protocol'], 'The CLI runs the engine alone: nothing from the editor side.'),
            zone('src/mcp', ['src/extension', 'src/webview', 'src/protocol', 'src/cli'], 'The MCP server runs the engine alone: nothing from the editor side, and the CLI that starts it passes its configuration in.'),
            zone('src/protocol', ['src/core', 'src/extension', 'src/webview', 'src/cli', 'src/mcp'], 'The protocol is shared by the webview and the extension: zod and its own files only.'),
            zone('src/webview', ['src/core', 'src/extension', 'src/cli', 'src/mcp'], 'The webview runs in the browser: it talks to the extension through src/protocol messages only.'),
            zone('src/extension', ['src/webview', 'src/cli'], 'The extension loads the webview as a bundle, never as a module, and starts the CLI and the MCP server as processes.'),
            // Its Language Model tool searches with the MCP tool's input schema, budget and text (pure modules without
            // the SDK); the server itself runs as a process (dist/workspace-rag.js mcp).
            {
              target: './src/extension',
              from: './src/mcp',
              except: ['./schemas.ts', './format.ts'],
              message: "The extension starts the MCP server as a process; of src/mcp it shares only the search tool's schemas and text (schemas.ts, format.ts).",
            },
            ...['src/cli', 'src/mcp', 'src/extension'].map((host) =>
              zone(host, ['src/core/store', 'src/core/indexer/plan.ts', 'src/core/indexer/prepare.ts', 'src/core/indexer/leases.ts'], "Hosts call the engine API (src/core/engine.ts), never its store or the indexer's parts."),
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/mcp/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, noIdentity] }] },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noIdentity] }] },
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode, ...nodeBuiltins.map((name) => ({ name, message: 'The webview runs in the browser: no Node builtins.' }))],
          patterns: [{ regex: '^node:', message: 'The webview runs in the browser: no Node builtins.' }],
        },
      ],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!zod(/|$)|\\./)', message: 'src/protocol imports only zod (and its own files), so both the webview and the extension can load it.' }] },
      ],
    },
  },
);
