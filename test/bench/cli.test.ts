/** `wgml bench` and `wgml profile` as a script meets them: help, usage errors, and a JSON line with the promised keys. */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { JSON_KEYS } from '../../src/bench/format';

function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['vite-node', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 90_000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out, err });
    });
  });
}

describe('bench and profile commands', () => {
  it('print help and exit 0', async () => {
    const commands = ['bench', 'profile'];
    const runs = await Promise.all(commands.map((c) => cli(c, '--help')));
    runs.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0);
      expect(r.out, commands[i]).toContain(`Usage: wgml ${commands[i]}`);
    });
  });

  it('answer bad usage with exit code 2 and a clear message', async () => {
    const cases: [string[], RegExp][] = [
      [['bench', '--compare', 'pytorch'], /--compare must be one of tfjs, got 'pytorch'/],
      [['profile', '--model', 'mlp', '--method', 'magic'], /--method must be one of auto, timestamp, submit/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(...args)));
    runs.forEach((r, i) => {
      expect(r.code).toBe(2);
      expect(r.err).toMatch(cases[i]![1]);
    });
  });

  it('bench --json prints one JSON object per model on stdout, with the required keys', async () => {
    const r = await cli('bench', '--model', 'one-hidden', '--no-ceiling', '--steps', '4', '--repeats', '1', '--json');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    for (const key of JSON_KEYS) expect(line, key).toHaveProperty(key);
    expect(line).toMatchObject({ runtime: 'wgml', model: 'one-hidden', batch: 32 });
  });
});
