/**
 * Crash safety, as a user meets it through the command line: a run killed mid-epoch, or killed
 * while writing its checkpoint, resumes from the last complete checkpoint and ends with exactly the
 * weights of a run that was never interrupted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, loadModel } from '../../src/models/load';

const RUN = ['train', '--model', 'mlp', '--limit', '6144', '--test-limit', '1000', '--epochs', '3', '--seed', '5'];

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync('npx', ['vite-node', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
}

const weightsOf = (dir: string) => loadModel(new Uint8Array(readFileSync(join(dir, 'weights.safetensors'))), dir).getWeights();
const checkpointOf = (dir: string) => loadCheckpoint(new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))), dir);

// Each test runs the CLI (a few runs of a small MLP): seconds on a quiet machine, minutes on a busy one.
describe('checkpoints and resume', { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'wgml-resume-'));
  const reference = join(root, 'uninterrupted');

  it('an uninterrupted run writes weights and a checkpoint after its last epoch', () => {
    const r = cli([...RUN, '--out', reference]);
    expect(r.status, r.stderr).toBe(0);
    expect(checkpointOf(reference).epoch).toBe(3);
  });

  it('killed while writing a checkpoint: the previous one is intact, and resuming matches bit for bit', async () => {
    const dir = join(root, 'killed-in-write');
    const r = cli([...RUN, '--out', dir], { WGML_CRASH_IN_CHECKPOINT: '2' });
    expect(r.status, 'the run was killed, through npx, so it cannot have exited 0').not.toBe(0);
    expect(existsSync(join(dir, 'weights.safetensors'))).toBe(false);
    expect(checkpointOf(dir).epoch).toBe(1); // epoch 2's checkpoint never replaced it
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toHaveLength(1); // the half-finished one, never read

    const resumed = cli(['train', '--resume', dir]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resuming after epoch 1');
    expect(Buffer.from((await weightsOf(dir)).buffer).equals(Buffer.from((await weightsOf(reference)).buffer))).toBe(true);
  });

  it('killed with SIGKILL mid-epoch: resuming from the last checkpoint matches bit for bit', async () => {
    const dir = join(root, 'killed-mid-epoch');
    const child = spawn('npx', ['vite-node', 'src/cli/main.ts', ...RUN, '--out', dir], { stdio: 'ignore', detached: true });
    // Wait for epoch 1's checkpoint, then kill the whole process group during epoch 2.
    const deadline = Date.now() + 240_000;
    while (!existsSync(join(dir, 'checkpoint.safetensors')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const killedAt = checkpointOf(dir).epoch;
    expect(killedAt).toBeLessThan(3);

    const resumed = cli(['train', '--resume', dir]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(Buffer.from((await weightsOf(dir)).buffer).equals(Buffer.from((await weightsOf(reference)).buffer))).toBe(true);
  });

  it('Ctrl-C mid-epoch saves a checkpoint at that step, and resuming from it matches bit for bit', async () => {
    const dir = join(root, 'interrupted');
    // vite-node itself, not through npx: npx dies of the signal and would hide wgml's exit code.
    const child = spawn('node_modules/.bin/vite-node', ['src/cli/main.ts', ...RUN, '--out', dir], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Epoch 1's checkpoint marks the start of epoch 2 (24 steps, a progress point every 8); a
    // terminal's Ctrl-C signals the whole process group.
    const deadline = Date.now() + 240_000;
    while (!existsSync(join(dir, 'checkpoint.safetensors')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited, output).toBe(130);
    expect(output).toMatch(/Interrupted at step (\d+) of 24 in epoch 2 of 3/);
    expect(output).toContain(`--resume ${dir}`);
    const saved = checkpointOf(dir);
    expect(saved.epoch).toBe(1);
    const step = saved.state.epochProgress?.step ?? 0;
    expect(step % 8 === 0 && step > 0 && step < 24, `stopped at step ${step}`).toBe(true);
    expect(existsSync(join(dir, 'weights.safetensors'))).toBe(false);

    const resumed = cli(['train', '--resume', dir]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resuming after epoch 1 and step ${step} of epoch 2`);
    expect(Buffer.from((await weightsOf(dir)).buffer).equals(Buffer.from((await weightsOf(reference)).buffer))).toBe(true);
    // The interrupted epoch's numbers are those of the uninterrupted run, too.
    const history = checkpointOf(dir).history;
    const want = checkpointOf(reference).history;
    expect(history.map((r) => [r.loss, r.accuracy, r.valLoss, r.valAccuracy])).toEqual(want.map((r) => [r.loss, r.accuracy, r.valLoss, r.valAccuracy]));
  });

  it('refuses to resume a finished run, and explains how to extend it', () => {
    const r = cli(['train', '--resume', reference]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/already finished 3 of 3 epochs[\s\S]*--epochs/);
  });

  it('refuses to start a new run over an existing one, which stays as it was', () => {
    const before = readFileSync(join(reference, 'checkpoint.safetensors'));
    const r = cli([...RUN, '--out', reference]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/already holds a run[\s\S]*--resume/);
    expect(readFileSync(join(reference, 'checkpoint.safetensors')).equals(before)).toBe(true);
  });
});
