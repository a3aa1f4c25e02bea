// The agents module without VS Code: the MCP server's launch (the extension's settings as the CLI's variables, keys
// only when the server starts, inherited variables removed) and the Language Model tool over a scripted engine.
import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { configFromEnv, ConfigError, type EngineConfig } from '../../../src/core/config';
import { StoreUnavailableError, type Engine } from '../../../src/core/engine';
import type { Retrieval, Source } from '../../../src/core/retrieve';
import { McpLauncher, SearchTool } from '../../../src/extension/agents';
import { Log } from '../../../src/extension/log';
import { redactValues } from '../../../src/extension/secrets';

const PASSWORD = 'fake-neo4j-password-31c';
const AZURE_KEY = 'sk-FAKE-azure-unit-8d2e';
const config: EngineConfig = configFromEnv({
  NEO4J_URI: 'neo4j://db.example.com:7687',
  NEO4J_PASSWORD: PASSWORD,
  AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com',
  AZURE_OPENAI_API_KEY: AZURE_KEY,
});
// A glob with a comma, as a setting's list item can be.
config.indexing.exclude = ['src/**/*.{ts,js}'];
const folders = [
  { name: 'app', fsPath: '/work/app' },
  { name: 'lib', fsPath: '/work/lib' },
];

function logged() {
  const lines: string[] = [];
  const channel = Object.fromEntries(['trace', 'debug', 'info', 'warn', 'error'].map((level) => [level, (m: string) => lines.push(`${level}: ${m}`)]));
  return { lines, log: new Log(channel as unknown as vscode.LogOutputChannel, (t) => redactValues(t, [PASSWORD, AZURE_KEY])) };
}

describe('McpLauncher', () => {
  const launcher = (engineConfig: () => Promise<EngineConfig>, open = folders) =>
    new McpLauncher({ serverScript: '/ext/dist/workspace-rag.js', version: '0.1.0', folders: () => open, engineConfig });

  it("starts the bundled CLI's mcp command with the extension host's Node, on every folder", async () => {
    const launch = await launcher(async () => config).launch(true);
    assert.ok(launch);
    assert.equal(launch.command, process.execPath);
    assert.deepEqual(launch.args, ['--max-old-space-size=1024', '/ext/dist/workspace-rag.js', 'mcp', '--folder', '/work/app', '--folder', '/work/lib']);
    assert.equal(launch.cwd, '/work/app');
    assert.equal(launch.env.ELECTRON_RUN_AS_NODE, '1');
  });

  it('gives the settings as the CLI reads them, keys only for a start, and removes what is not configured', async () => {
    const listed = await launcher(async () => config).launch(false);
    const started = await launcher(async () => config).launch(true);
    assert.ok(listed && started);
    for (const env of [listed.env, started.env]) {
      assert.equal(env.NEO4J_URI, 'neo4j://db.example.com:7687');
      assert.equal(env.AZURE_OPENAI_ENDPOINT, 'https://r.openai.azure.com');
      assert.equal(env.RAG_EXCLUDE, '["src/**/*.{ts,js}"]');
      // No BitNet endpoint is configured: one in the editor's environment must not reach the server.
      assert.equal(env.BITNET_ENDPOINT, null);
      assert.equal(env.BITNET_API_KEY, null);
    }
    assert.deepEqual([listed.env.NEO4J_PASSWORD, listed.env.AZURE_OPENAI_API_KEY], [null, null]);
    assert.ok(!JSON.stringify(listed).includes(PASSWORD) && !JSON.stringify(listed).includes(AZURE_KEY));
    assert.deepEqual([started.env.NEO4J_PASSWORD, started.env.AZURE_OPENAI_API_KEY], [PASSWORD, AZURE_KEY]);
    // What the server reads back is the extension's configuration.
    const child = Object.fromEntries(Object.entries(started.env).filter((e): e is [string, string] => e[1] !== null));
    assert.deepEqual(configFromEnv(child), config);
  });

  it('still lists the server when the settings do not parse, and refuses to start it with their error', async () => {
    const bad = launcher(async () => {
      throw ConfigError.of('workspaceRag.neo4j.uri', 'a neo4j:// or bolt:// URI');
    });
    const listed = await bad.launch(false);
    assert.ok(listed);
    assert.equal(listed.env.NEO4J_PASSWORD, null);
    await assert.rejects(bad.launch(true), /workspaceRag\.neo4j\.uri/);
  });

  it('offers nothing without a folder', async () => {
    assert.equal(await launcher(async () => config, []).launch(false), undefined);
  });
});

describe('SearchTool', () => {
  const ws = { id: 'ws', name: 'app', roots: [{ name: 'app', path: '/work/app' }] };
  const source = (n: number, path: string, text: string): Source => ({ n, path, startLine: 3, endLine: 3 + text.split('\n').length - 1, language: 'markdown', text, score: 0.5, via: ['fulltext'] });
  const retrieval = (sources: Source[]): Retrieval => ({ mode: 'hybrid', sources, candidates: sources.length, budgetTokens: 8000, usedTokens: 100, timings: { embedMs: 1, searchMs: 1 } });
  const none = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) } as unknown as vscode.CancellationToken;

  function tool(engine: Partial<Engine>, files = 3) {
    const { lines, log } = logged();
    const searched: Array<{ query: string; budgetTokens?: number }> = [];
    const full = {
      status: async () => ({ files }),
      search: async (_ws: unknown, query: string, o: { budgetTokens?: number } = {}) => {
        searched.push({ query, budgetTokens: o.budgetTokens });
        return retrieval([source(1, 'docs/install.md', '# Install\nRun `make`.'), source(2, 'README.md', 'Pebble'), source(3, 'b.md', 'B')]);
      },
      ...engine,
    } as unknown as Engine;
    const t = new SearchTool({ useEngine: (work) => work({ engine: full, config }), workspace: () => ws, redact: (s) => redactValues(s, [PASSWORD]), log });
    const invoke = (input: unknown) => t.invoke({ input } as vscode.LanguageModelToolInvocationOptions<{ query: string }>, none);
    return { invoke, searched, lines, prepare: (input: unknown) => t.prepareInvocation({ input } as vscode.LanguageModelToolInvocationPrepareOptions<{ query: string }>) };
  }
  const texts = (r: vscode.LanguageModelToolResult) => r.content.map((p) => (p as vscode.LanguageModelTextPart).value);

  it("returns what it found, then one text part per source, with the MCP tool's budget and k", async () => {
    const t = tool({});
    const result = await t.invoke({ query: 'how to install', k: 2 });
    assert.ok(result.content.every((p) => p instanceof vscode.LanguageModelTextPart));
    const parts = texts(result);
    assert.equal(parts.length, 3);
    assert.match(parts[0], /^2 sources for "how to install" \(hybrid search/);
    assert.equal(parts[1], '[1] docs/install.md:3-4 score 0.5000\n```markdown\n# Install\nRun `make`.\n```');
    assert.match(parts[2], /^\[2\] README\.md:3-3/);
    assert.deepEqual(t.searched, [{ query: 'how to install', budgetTokens: 8000 }]);
    assert.deepEqual(t.prepare({ query: 'how to install' }), { invocationMessage: 'Searching the Workspace RAG index for "how to install"' });
  });

  it('says when nothing matches, with the command that updates the index', async () => {
    const parts = texts(await tool({ search: async () => retrieval([]) }).invoke({ query: 'quasar' }));
    assert.deepEqual(parts, ['Nothing in the indexed files matches "quasar" (hybrid search (vector, full-text and graph)). Try other words, or run "Workspace RAG: Index Workspace" if files changed.']);
  });

  it('throws what the model should read: a bad input, a workspace not indexed, a failure with its remedy and no key', async () => {
    await assert.rejects(tool({}).invoke({ query: ' ' }), /Workspace RAG search: query: The query is empty/);
    await assert.rejects(tool({}).invoke({ query: 'x', k: 0 }), /Workspace RAG search: k:/);
    await assert.rejects(tool({}, 0).invoke({ query: 'install' }), /not indexed yet: the user can run "Workspace RAG: Index Workspace"/);
    const t = tool({
      search: async () => {
        throw new StoreUnavailableError('auth', `Neo4j rejected the credentials (password ${PASSWORD})`);
      },
    });
    await assert.rejects(t.invoke({ query: 'install' }), (e: Error) => {
      assert.match(e.message, /^Workspace RAG search failed: Neo4j rejected the credentials/);
      assert.ok(!e.message.includes(PASSWORD));
      return true;
    });
    assert.ok(t.lines.some((l) => l.startsWith('warn: Language Model tool: the search failed')));
    assert.ok(!t.lines.join('\n').includes(PASSWORD));
  });

  it('turns a cancelled search into a cancellation', async () => {
    const cancelled = { isCancellationRequested: true, onCancellationRequested: () => ({ dispose: () => undefined }) } as unknown as vscode.CancellationToken;
    const t = new SearchTool({
      useEngine: () => Promise.reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
      workspace: () => ws,
      redact: (s) => s,
      log: logged().log,
    });
    await assert.rejects(t.invoke({ input: { query: 'x' } } as vscode.LanguageModelToolInvocationOptions<{ query: string }>, cancelled), (e: unknown) => e instanceof vscode.CancellationError);
  });
});
