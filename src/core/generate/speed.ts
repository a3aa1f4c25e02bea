// How fast an endpoint reads a prompt, learned from its answers, so the sources sent fit a first-token target. BitNet
// on CPUs reads about 78 tokens/s on a laptop (microsoft/BitNet's i7-13800H figures) and less on a 2-vCPU VM, while a
// GPU deployment reads thousands: one fixed budget would either keep a CPU user waiting half a minute or starve a GPU
// of context. The estimate is smoothed per endpoint and kept in the host's cache folder, so the next start of the
// extension or the CLI begins from it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/**
 * Before any measurement: microsoft/BitNet's published prompt speed on an i7-13800H laptop (GUIDE §6), the figure the
 * first-token target is set against; a slower CPU or a GPU shows its own speed with the first answer.
 */
export const DEFAULT_PROMPT_TOKENS_PER_SECOND = 78;
/** Weight of a new observation: a few answers move the estimate, one odd answer does not swing it. */
const SMOOTHING = 0.3;
/** Observations of fewer tokens say more about latency than about speed. */
const MIN_OBSERVED_TOKENS = 64;

const saved = z.record(z.string(), z.object({ tokensPerSecond: z.number().positive(), samples: z.number().int().nonnegative() }));

export class PromptSpeed {
  private readonly speeds = new Map<string, { tokensPerSecond: number; samples: number }>();
  private loading: Promise<void> | undefined;

  constructor(private readonly file?: string) {}

  /** Tokens per second the endpoint reads a prompt at: learned, else the conservative default. */
  async estimate(endpoint: string): Promise<number> {
    await this.load();
    return this.speeds.get(endpoint)?.tokensPerSecond ?? DEFAULT_PROMPT_TOKENS_PER_SECOND;
  }

  /**
   * One measurement: the prompt tokens the server processed and how long that took (llama.cpp's `timings`), or, without
   * them, the prompt tokens and the time to the first token.
   */
  async observe(endpoint: string, tokens: number, ms: number): Promise<void> {
    if (tokens < MIN_OBSERVED_TOKENS || ms <= 0) return;
    await this.load();
    const measured = (tokens * 1000) / ms;
    const old = this.speeds.get(endpoint);
    const tokensPerSecond = old ? old.tokensPerSecond * (1 - SMOOTHING) + measured * SMOOTHING : measured;
    this.speeds.set(endpoint, { tokensPerSecond, samples: (old?.samples ?? 0) + 1 });
    await this.save();
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      if (!this.file) return;
      try {
        for (const [k, v] of Object.entries(saved.parse(JSON.parse(await fs.readFile(this.file, 'utf8'))))) this.speeds.set(k, v);
      } catch {
        // no file yet, or a damaged one: start from the default
      }
    })();
    return this.loading;
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      await fs.writeFile(temp, JSON.stringify(Object.fromEntries(this.speeds)));
      await fs.rename(temp, this.file);
    } catch {
      // a cache that cannot be written only means starting from the default next time
    }
  }
}
