// Control characters made visible. What the CLI prints from file text, file names or model output passes through
// here first, and so do the paths and quotes of retrieval-only answers, so an indexed file or an answer cannot drive
// the terminal: no escape sequences (clear screen, window title, OSC 8 hidden links), no carriage
// returns that overwrite a line, no newlines inside a name that forge a line of the Sources list, no bidi overrides
// that reorder what is shown. Each such character is shown as a visible escape instead of being dropped, so the
// user sees that something was there. `--json` output is exact and never passes through here.

// C0 controls except tab and newline, DEL, C1 controls (0x9b is an 8-bit CSI), and the bidi embeddings, overrides and
// isolates of "Trojan Source" (CVE-2021-42574).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const visible = (c: string): string => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** Text of several lines (an answer, a quoted source): newlines and tabs stay, every other control becomes visible. */
export const terminalText = (text: string): string => text.replace(CONTROL, visible);

/** One line (a path, a name, a message): newlines and tabs become visible too. */
export const terminalLine = (text: string): string => text.replace(CONTROL_OR_NEWLINE, visible);
