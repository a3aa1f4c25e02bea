// Show Index Status as a readable, read-only Markdown document: the index's counts, what changed since, the files
// skipped by reason with their paths, the modes and endpoints, and this session's last run. A virtual document (its
// own URI scheme), so closing it never asks to save.
import * as vscode from 'vscode';
import type { IndexSummary } from './indexing';
import { plural } from './statusBar';
import { embeddedPercent } from '../core/indexer';

const SCHEME = 'workspace-rag-status';
/** Per reason, the paths listed in the view; the counts cover all. */
const LISTED_PER_REASON = 50;

export class StatusView implements vscode.Disposable {
  private text = '';
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
    onDidChange: this.changed.event,
    provideTextDocumentContent: () => this.text,
  });

  async show(summary: IndexSummary): Promise<void> {
    this.text = renderStatus(summary);
    const uri = vscode.Uri.from({ scheme: SCHEME, path: '/Workspace RAG index status.md' });
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    await vscode.window.showTextDocument(document, { preview: true });
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}

/** The status as Markdown; plain text in code spans, so a file name cannot format the view. */
export function renderStatus(s: IndexSummary): string {
  const embedded = s.keywordOnly ? undefined : embeddedPercent(s);
  const state =
    s.files === 0
      ? 'not indexed'
      : s.changedFiles
        ? `${plural(s.changedFiles, 'file')} changed since indexing`
        : embedded !== undefined
          ? `embedded ${embedded}%`
          : 'up to date';
  const skippedTotal = Object.values(s.skippedByReason).reduce((a, b) => a + b, 0);
  const lines = [
    `# Workspace RAG: ${state}`,
    '',
    `Workspace: ${code(s.workspace)}`,
    '',
    '| | |',
    '|---|---|',
    `| files | ${s.files} |`,
    `| chunks | ${s.chunks} (${s.embedded} with embeddings${embedded !== undefined ? `: embedding ${embedded}%, full-text and graph search find the rest meanwhile` : ''}) |`,
    `| symbols | ${s.symbols} |`,
    `| links between files | ${s.links} |`,
    `| skipped | ${skippedTotal} |`,
    `| last indexed | ${s.lastIndexedAt ? new Date(s.lastIndexedAt).toLocaleString() : 'never'} |`,
    `| retrieval | ${s.keywordOnly ? 'keyword-only (no Azure OpenAI endpoint)' : 'hybrid: vector, full-text and graph'} |`,
    `| answers | ${s.retrievalOnly ? 'retrieval-only (no BitNet endpoint)' : 'BitNet'} |`,
    `| Neo4j | ${code(s.endpoints.neo4j)} |`,
    `| embeddings | ${s.endpoints.embeddings ? code(s.endpoints.embeddings) : 'none'} |`,
    `| BitNet | ${s.endpoints.chat ? code(s.endpoints.chat) : 'none'} |`,
    ...(s.signIn?.embeddings ? [`| embeddings sign-in | ${s.signIn.embeddings} |`] : []),
    ...(s.signIn?.chat ? [`| BitNet sign-in | ${s.signIn.chat} |`] : []),
  ];
  if (s.lastRun) {
    lines.push('', '## Last run in this window', '', `${s.lastRun.at ? `${s.lastRun.at.toLocaleString()}, ` : ''}${(s.lastRun.durationMs / 1000).toFixed(1)} s: ${s.lastRun.summary}.`);
    if (s.lastRun.error) lines.push('', `Stopped: ${s.lastRun.error}`);
  }
  if (s.failedFiles.length) {
    lines.push('', '## Not indexed (they keep their previous version)', '', ...s.skipped.filter((f) => s.failedFiles.includes(f.path)).map(entry));
  }
  if (skippedTotal) {
    lines.push('', '## Skipped files by reason');
    for (const [reason, total] of Object.entries(s.skippedByReason)) {
      const files = s.skipped.filter((f) => f.reason === reason);
      lines.push('', `### ${reason} (${total})`, '', ...files.slice(0, LISTED_PER_REASON).map(entry));
      if (total > LISTED_PER_REASON) lines.push(`- … and ${total - Math.min(files.length, LISTED_PER_REASON)} more`);
    }
  }
  return lines.join('\n') + '\n';
}

const entry = (f: { path: string; detail?: string }) => `- ${code(f.path)}${f.detail ? ` — ${code(f.detail)}` : ''}`;

/** A code span that holds any text: a fence longer than its longest backtick run, on one line. */
function code(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  const fence = '`'.repeat(Math.max(1, ...(flat.match(/`+/g) ?? []).map((r) => r.length + 1)));
  return `${fence} ${flat} ${fence}`;
}
