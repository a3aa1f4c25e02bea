// A ChatApp in a happy-dom window, with the extension side replaced by recorders.
import type { ChatState, FromWebview, SourceView, ToWebview } from '../../../src/protocol/messages';
import { ChatApp } from '../../../src/webview/app';
import type { Clock } from '../../../src/webview/clock';

// happy-dom is an ES module; this CommonJS project loads it with a dynamic import.
const happyDom = import('happy-dom');
type Window = InstanceType<Awaited<typeof happyDom>['Window']>;

export interface Harness {
  window: Window;
  doc: Document;
  root: HTMLElement;
  app: ChatApp;
  posted: FromWebview[];
  copied: string[];
  logs: string[];
  saved: () => ChatState | undefined;
  /** Sends a message as the extension would (already structured-cloned, so any shape). */
  host: (message: ToWebview | unknown) => void;
  $: <T extends Element = HTMLElement>(selector: string) => T;
  $$: <T extends Element = HTMLElement>(selector: string) => T[];
  input: HTMLTextAreaElement;
  /** Types a question and presses Enter; returns the ask that was posted. */
  ask: (question: string) => Extract<FromWebview, { type: 'ask' }>;
  key: (target: Element, key: string, init?: { shiftKey?: boolean }) => KeyboardEvent;
  /** Moves the app's clock on, running the timers due on the way. */
  advance: (ms: number) => void;
  /** Timers scheduled on the app's clock and not yet run or cancelled. */
  pendingTimers: () => number;
  dispose: () => void;
}

/** A clock that moves only when told. */
function manualClock() {
  let now = 1_000_000;
  let timers: Array<{ at: number; fn: () => void }> = [];
  const clock: Clock = {
    now: () => now,
    after: (ms, fn) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers = timers.filter((t) => t !== due);
      now = due.at;
      due.fn();
    }
    now = end;
  };
  return { clock, advance, pending: () => timers.length };
}

export async function createHarness(initialState?: unknown): Promise<Harness> {
  const { Window } = await happyDom;
  const window = new Window({ settings: { disableJavaScriptEvaluation: true, disableJavaScriptFileLoading: true, disableCSSFileLoading: true } });
  const doc = window.document as unknown as Document;
  const root = doc.createElement('div');
  root.id = 'app';
  doc.body.append(root);
  const posted: FromWebview[] = [];
  const copied: string[] = [];
  const logs: string[] = [];
  let state: unknown = initialState;
  let ids = 0;
  let conversations = 0;
  const time = manualClock();
  const app = new ChatApp(root, {
    post: (message) => posted.push(structuredClone(message)),
    state: { get: () => state, set: (s) => (state = structuredClone(s)) },
    copy: async (text) => {
      copied.push(text);
    },
    log: (message) => logs.push(message),
    newId: () => `turn-${++ids}`,
    newConversationId: () => `conv-${++conversations}`,
    clock: time.clock,
  });
  const $ = <T extends Element = HTMLElement>(selector: string) => {
    const el = root.ownerDocument.querySelector<T>(selector);
    if (!el) throw new Error(`no element matches ${selector}`);
    return el;
  };
  const $$ = <T extends Element = HTMLElement>(selector: string) => Array.from(root.ownerDocument.querySelectorAll<T>(selector));
  const input = $<HTMLTextAreaElement>('textarea');
  const key = (target: Element, key: string, init: { shiftKey?: boolean } = {}) => {
    const event = new window.KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }) as unknown as KeyboardEvent;
    target.dispatchEvent(event);
    return event;
  };
  const ask = (question: string) => {
    input.value = question;
    input.dispatchEvent(new window.Event('input', { bubbles: true }) as unknown as Event);
    const before = posted.length;
    key(input, 'Enter');
    const sent = posted.slice(before).find((m) => m.type === 'ask');
    if (!sent || sent.type !== 'ask') throw new Error('no ask was posted');
    return sent;
  };
  return {
    window,
    doc,
    root,
    app,
    posted,
    copied,
    logs,
    saved: () => state as ChatState | undefined,
    host: (message) => app.receive(structuredClone(message)),
    $,
    $$,
    input,
    ask,
    key,
    advance: time.advance,
    pendingTimers: time.pending,
    dispose: () => {
      app.dispose();
      void window.happyDOM.close();
    },
  };
}

export function source(n: number, overrides: Partial<SourceView> = {}): SourceView {
  return {
    n,
    path: `src/file${n}.ts`,
    startLine: n * 10,
    endLine: n * 10 + 2,
    language: 'typescript',
    text: `const a${n} = ${n};\nconst b${n} = a${n} + 1;\nexport { b${n} };`,
    stale: false,
    ...overrides,
  };
}

export function done(id: string, overrides: Partial<Extract<ToWebview, { type: 'done' }>> = {}): Extract<ToWebview, { type: 'done' }> {
  return {
    type: 'done',
    id,
    cited: [],
    droppedCitations: 0,
    mode: 'generated',
    timings: { retrievalMs: 120, firstTokenMs: 850, totalMs: 2450 },
    usage: { promptTokens: 1850, completionTokens: 212 },
    stale: [],
    complete: true,
    notices: [],
    ...overrides,
  };
}

/** Mouse events as a pointer would send them. */
export function hover(h: Harness, el: Element): void {
  el.dispatchEvent(new h.window.MouseEvent('mouseover', { bubbles: true }) as unknown as Event);
}

/**
 * A layout for the transcript, which happy-dom does not compute: a viewport of `viewport` px, content as tall as its
 * text (2 px a character, 40 px an element), scrollTop clamped like a browser's, and a scroll event after each change
 * of it (a task later, as a browser sends it). `wheel` scrolls as the user does: the wheel event, then the move.
 */
export function layout(h: Harness, viewport = 300) {
  const t = h.$('.transcript');
  let top = 0;
  const height = () => Math.max(viewport, (t.textContent ?? '').length * 2 + t.querySelectorAll('*').length * 40);
  const clamp = (v: number) => Math.max(0, Math.min(v, height() - viewport));
  const scrolled = () => setTimeout(() => t.dispatchEvent(new h.window.Event('scroll') as unknown as Event), 0);
  Object.defineProperty(t, 'clientHeight', { configurable: true, get: () => viewport });
  Object.defineProperty(t, 'scrollHeight', { configurable: true, get: height });
  Object.defineProperty(t, 'scrollTop', {
    configurable: true,
    get: () => top,
    set: (v: number) => {
      const next = clamp(v);
      if (next === top) return;
      top = next;
      scrolled();
    },
  });
  return {
    /** The scroll events of the moves so far have arrived. */
    settle: () => new Promise((resolve) => setTimeout(resolve, 5)),
    atEnd: () => height() - top - viewport <= 1,
    top: () => top,
    wheel: (deltaY: number) => {
      t.dispatchEvent(new h.window.WheelEvent('wheel', { deltaY, bubbles: true }) as unknown as Event);
      t.scrollTop = top + deltaY;
    },
  };
}
