/**
 * `wgml bench` and `wgml profile` as a script meets them (in-process, so no second vite-node start):
 * help, usage errors, and bench --json lines with the promised keys.
 */
import { Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JSON_KEYS } from '../../src/bench/format';
import { UsageError } from '../../src/errors';
import { registerBench } from '../../src/cli/bench';
import { registerProfile } from '../../src/cli/profile';

function wgml() {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('wgml').exitOverride().configureOutput({ writeOut: (s) => void out.push(s), writeErr: (s) => void err.push(s) });
  registerBench(program);
  registerProfile(program);
  const run = async (...args: string[]) => {
    try {
      await program.parseAsync(['node', 'wgml', ...args]);
      return 0;
    } catch (e) {
      if (e instanceof CommanderError) return e.exitCode;
      // As the command line's entry does: a usage error is exit 2 with its message on stderr.
      if (e instanceof UsageError) {
        err.push(e.message);
        return 2;
      }
      throw e;
    }
  };
  return { run, out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('bench and profile commands', () => {
  it.each(['bench', 'profile'])('%s --help prints usage', async (command) => {
    const { run, out } = wgml();
    expect(await run(command, '--help')).toBe(0);
    expect(out.join('')).toContain(`Usage: wgml ${command}`);
  });

  it.each([
    [['bench', '--model', 'resnet'], /Unknown model 'resnet': not one of one-hidden, mlp, cnn, and no such file/],
    [['bench', '--compare', 'tfjs,pytorch'], /--compare must be one of tfjs, jaxjs, all, got 'pytorch'/],
    [['bench', '--jaxjs-devices', 'webgl'], /--jaxjs-devices must be one of webgpu, wasm, got 'webgl'/],
    [['bench', '--tfjs-backends', 'webgl'], /--tfjs-backends must be one of webgpu, wasm, cpu, got 'webgl'/],
    [['profile'], /required option '-m, --model <name\|file>' not specified/],
    [['profile', '--model', 'mlp', '--method', 'magic'], /--method must be one of auto, timestamp, submit/],
  ])('%j is a usage error with a clear message', async (args, message) => {
    const { run, err } = wgml();
    expect(await run(...args)).not.toBe(0);
    expect(err.join('')).toMatch(message);
  });

  it('bench --json prints one JSON object per model on stdout, with the required keys', async () => {
    const stdout: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (stdout.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { run } = wgml();
    expect(await run('bench', '--model', 'one-hidden', '--no-ceiling', '--steps', '4', '--repeats', '1', '--json')).toBe(0);
    vi.restoreAllMocks();
    const lines = stdout.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    for (const key of JSON_KEYS) expect(line, key).toHaveProperty(key);
    expect(line).toMatchObject({ runtime: 'wgml', model: 'one-hidden', batch: 32 });
  });
});
