import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WALKTHROUGH_CONTEXT } from '../../../src/extension/walkthrough';

const ROOT = path.resolve(__dirname, '..', '..', '..');
interface Step {
  id: string;
  media: { markdown: string };
  completionEvents: string[];
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: { walkthroughs: Array<{ id: string; steps: Step[] }> };
};
const [walkthrough] = manifest.contributes.walkthroughs;

describe('the walkthrough', () => {
  it('opens on the first run: the extension activates once the window has started, not at the first command', () => {
    assert.ok(manifest.activationEvents.includes('onStartupFinished'));
    assert.equal(walkthrough.id, 'gettingStarted');
  });

  it('checks each step when it is done (the extension sets these context keys), not when its command merely ran', () => {
    assert.deepEqual(
      walkthrough.steps.map((s) => [s.id, s.completionEvents]),
      [
        ['credentials', [`onContext:${WALKTHROUGH_CONTEXT.credentials}`]],
        ['index', [`onContext:${WALKTHROUGH_CONTEXT.indexed}`]],
        ['ask', [`onContext:${WALKTHROUGH_CONTEXT.asked}`]],
      ],
    );
  });

  it('has pages that fit its narrow media column: no tables, no long unbreakable lines', () => {
    for (const step of walkthrough.steps) {
      const text = fs.readFileSync(path.join(ROOT, step.media.markdown), 'utf8');
      assert.ok(!/^\s*\|.*\|\s*$/m.test(text), `${step.media.markdown} has a table, which scrolls sideways there`);
      for (const word of text.split(/\s+/)) assert.ok(word.length <= 40, `${step.media.markdown}: "${word}" cannot wrap`);
    }
  });
});
