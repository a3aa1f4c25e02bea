// Makes `import * as vscode from 'vscode'` load the small shim in ./vscode.ts, for unit tests of host code outside
// VS Code. Import this first in a test file: CommonJS runs the requires in order.
import Module from 'node:module';
import * as path from 'node:path';

const shim = path.join(__dirname, 'vscode.ts');
const resolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = resolver._resolveFilename;
resolver._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? shim : original.call(this, request, ...rest);
};
