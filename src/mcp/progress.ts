// notifications/progress for one tool call, when the client sent a progressToken. MCP requires the value to grow with
// every notification of a token, and a client (and the model's context) gains nothing from hundreds of updates a
// second, so the reporter sends a step only when it has grown and a moment has passed, or when the message says
// something new that matters (a phase change, a 429 wait); such a message with no new step gets a value half-way to
// the next one, so it still grows.
import { paceNote, sharePercent, throttleNote, type IndexProgress } from '../core/indexer';
import type { AnswerProgress } from '../core/answer';

export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
}

/** Regular updates come at most this often; phase changes and waits are sent at once. */
const MIN_INTERVAL_MS = 250;

export class ProgressReporter {
  private last = -Infinity;
  private lastMessage: string | undefined;
  private lastSent = -Infinity;

  constructor(
    private readonly send: (update: ProgressUpdate) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `important`: send even within the interval, and even without a new step when the message changed. */
  update(step: number, total: number | undefined, message: string, important = false): void {
    let progress = step;
    if (step <= this.last) {
      if (!important || message === this.lastMessage) return;
      progress = this.last + (Math.floor(this.last) + 1 - this.last) / 2;
      if (progress <= this.last) return; // halved as far as doubles go
    } else if (!important && this.now() - this.lastSent < MIN_INTERVAL_MS) {
      return;
    }
    this.last = progress;
    this.lastMessage = message;
    this.lastSent = this.now();
    this.send(total === undefined ? { progress, message } : { progress, total, message });
  }
}

/**
 * An index run's progress in steps: 1 when discovery is done, then one per file read, one for the removals, one when
 * done; the total is known once the run knows which files changed. While the vectors of written files fill in (every
 * file is searchable by keywords by then), the step between the removals and the end grows with the share embedded.
 */
export function indexProgress(reporter: ProgressReporter): (p: IndexProgress) => void {
  let phase: IndexProgress['phase'] | undefined;
  let throttled: string | undefined;
  return (p) => {
    const note = throttleNote(p);
    const important = p.phase !== phase || note !== throttled;
    phase = p.phase;
    throttled = note;
    const total = p.phase === 'discovering' || p.phase === 'comparing' ? undefined : p.filesTotal + 3;
    switch (p.phase) {
      case 'discovering':
        return reporter.update(0, total, 'Looking for files to index…', important);
      case 'comparing':
        return reporter.update(1, total, 'Comparing the files with the index…', important);
      case 'indexing': {
        const counts = `${p.filesDone}/${p.filesTotal} changed files read, ${p.chunksDone} chunks written, ${p.tokens.toLocaleString('en-US')} tokens embedded`;
        return reporter.update(1 + p.filesDone, total, note ? `${counts} — ${note}` : `Indexing: ${counts}`, important);
      }
      case 'removing':
        return reporter.update(2 + p.filesTotal, total, 'Removing files that are gone…', important);
      case 'embedding': {
        const share = p.embedding?.share ?? 0;
        const pace = paceNote(p) ?? `embedding ${sharePercent(share)}%`;
        const message = `Every file is written and searchable by keywords; ${pace}`;
        // Below the next whole step, which is the end.
        return reporter.update(2 + p.filesTotal + Math.min(0.99, share), total, note ? `${message} — ${note}` : message, important);
      }
      case 'done':
        return reporter.update(3 + p.filesTotal, total, 'Done.', true);
    }
  };
}

/** An answer's progress: each event (BitNet reading the prompt, a 429 wait, a fallback) is one step; no total. */
export function answerProgress(reporter: ProgressReporter): (p: AnswerProgress) => void {
  let step = 0;
  return (p) => reporter.update(++step, undefined, answerProgressLine(p), true);
}

function answerProgressLine(p: AnswerProgress): string {
  if (p.kind === 'reading') {
    const cached = p.promptTokens - p.newTokens;
    return `BitNet is reading ${p.newTokens.toLocaleString('en-US')} prompt tokens${cached > 0 ? ` (${cached.toLocaleString('en-US')} more are cached)` : ''}, about ${Math.max(1, Math.round(p.estimatedMs / 1000))} s…`;
  }
  if (p.kind === 'waiting') return `BitNet is busy (HTTP 429): trying again in ${Math.ceil(p.ms / 1000)} s…`;
  return p.message;
}
