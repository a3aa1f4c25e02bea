// Proves the harness: the real extension host of VS Code 1.100, a contributed command, SecretStorage, and that a
// failing test turns into a failed run (set VSCODE_TEST_FORCE_FAILURE=1 in the environment of the extension host).
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';

const SMOKE_EXTENSION_ID = 'workspace-rag-test.smoke-extension';

describe('code-server harness smoke', () => {
  before(async () => {
    const extension = vscode.extensions.getExtension(SMOKE_EXTENSION_ID);
    assert.ok(extension, `${SMOKE_EXTENSION_ID} is not loaded: run with the smoke extension as extensionDevelopmentPath`);
    await extension.activate();
  });

  it('runs inside VS Code 1.100', () => {
    assert.match(vscode.version, /^1\.100\./);
  });

  it('executes a contributed command and returns its value', async () => {
    assert.equal(await vscode.commands.executeCommand('smoke.hello', 'harness'), 'Hello, harness!');
    assert.equal(await vscode.commands.executeCommand('smoke.hello'), 'Hello, world!');
  });

  it('stores, reads and deletes a secret through context.secrets', async () => {
    const value = `secret-${randomUUID()}`;
    const result = await vscode.commands.executeCommand('smoke.secretRoundTrip', value);
    assert.deepEqual(result, { stored: value, afterDelete: undefined });
  });

  it('opens the folder the launcher asked for', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, `expected one workspace folder, got ${folders.map((f) => f.uri.toString()).join(', ')}`);
    const expected = process.env.VSCODE_TEST_WORKSPACE;
    if (expected) assert.equal(folders[0].uri.fsPath, expected);
  });

  if (process.env.VSCODE_TEST_FORCE_FAILURE === '1') {
    it('fails on purpose (VSCODE_TEST_FORCE_FAILURE=1) to prove failures are reported', () => {
      assert.fail('this failure was requested by VSCODE_TEST_FORCE_FAILURE=1');
    });
  }
});
