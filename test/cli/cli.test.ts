/** The command line as a person meets it: help, and clear answers with exit code 2 to bad input, before any GPU work. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function cli(...args: string[]) {
  const r = spawnSync('npx', ['vite-node', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, WGML_DATA: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('wgml command line', { timeout: 600_000 }, () => {
  it('prints help for every command and exits 0', () => {
    for (const command of ['train', 'evaluate', 'summary', 'reproduce', 'sweep', 'selfcheck', 'bench', 'profile', 'download']) {
      const r = cli(command, '--help');
      expect(r.code, command).toBe(0);
      expect(r.out, command).toContain(`Usage: wgml ${command}`);
    }
  });

  it.each([
    [['train', '--model', 'resnet'], /Unknown model 'resnet': not one of one-hidden, mlp, cnn, and no such file/],
    [['train', '--model', 'cnn', '--lr', '-0.1'], /--lr must be a number greater than 0/],
    [['train', '--model', 'cnn', '--lr', 'fast'], /--lr must be a number greater than 0, got 'fast'/],
    [['train', '--model', 'cnn', '--batch-size', '0'], /--batch-size must be a whole number of at least 1/],
    [['train', '--model', 'cnn', '--epochs', '0'], /--epochs must be a whole number of at least 1/],
    [['train', '--model', 'cnn', '--optimizer', 'rmsprop'], /--optimizer must be one of sgd, adam/],
    [['train', '--model', 'cnn', '--precision', 'float16'], /--precision must be one of float32, mixed_float16, got 'float16'/],
    [['train', '--resume', '/nonexistent/run', '--precision', 'mixed_float16'], /--precision cannot change a resumed run/],
    [['train', '--model', 'cnn', '--frobnicate'], /unknown option '--frobnicate'/],
    [['train'], /required option '-m, --model <name>' not specified/],
    [['train', '--model', 'mlp', '--data', '/nonexistent/fashion'], /\/nonexistent\/fashion/],
    [['evaluate', '--weights', '/nonexistent/weights.safetensors'], /No weights at/],
    [['bogus'], /unknown command 'bogus'/],
    [['train', '--model', 'mlp', '--limit', '100', '--batch-size', '256'], /batch size \(256\) is larger than the training set \(100 examples\)/],
    [['train', '--model', 'one-hidden', '--out', 'package.json/run'], /Cannot use 'package.json\/run' as the results folder: ENOTDIR[^]*writable folder/],
    [['train', '--model', 'one-hidden', '--out', '/proc/wgml-x'], /Cannot use '\/proc\/wgml-x' as the results folder[^]*writable folder/],
    [['train', '--model', 'package.json'], /package.json: input: is required/],
    [['train', '--resume', '/nonexistent/run'], /No checkpoint at '\/nonexistent\/run\/checkpoint.safetensors'/],
    [['train', '--resume', '/nonexistent/run', '--lr', '5', '--batch-size', '64'], /--batch-size, --lr cannot change a resumed run/],
    [['sweep', '--model', 'mlp', '--lr', '0.1', '--batch-size', '32,70000', '--epochs', '1'], /batch size \(70000\) is larger than the training set/],
    [['profile', '--model', 'mlp', '--batch-size', '70000'], /batch size \(70000\) is larger than the training set/],
    [['download', '--dir', '/tmp/wgml-download-refused', '--url', 'http://127.0.0.1:9/'], /Could not download http:\/\/127.0.0.1:9\/train-images-idx3-ubyte.gz[^]*offline/],
  ])('%j exits 2 with a clear message, before any GPU work', (args, message) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).not.toMatch(/^adapter:/m);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });

  it('drops only Dawn\'s two known lavapipe warnings from stderr', () => {
    const r = cli('selfcheck', '--model', 'one-hidden');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^one-hidden +ok/m);
    expect(r.err).not.toMatch(/artificially reduced/);
  });

  it('trains a model file, then evaluates its results folder with no --model (the architecture is in the weights)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgml-model-file-'));
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify({
      name: 'tiny', input: [28, 28, 1],
      layers: [{ type: 'conv2d', filters: 4, kernelSize: 5, stride: 2, activation: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }],
      train: { optimizer: 'adam', lr: 0.003, batchSize: 64, epochs: 2, preprocessing: 'scale01' },
    }));
    const out = join(dir, 'run');
    const t = cli('train', '--model', file, '--limit', '3000', '--test-limit', '1000', '--out', out);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/^tiny: 5,874 parameters; adam lr 0.003, batch 64, 2 epochs, seed 1$/m);
    const trained = Number(/test: accuracy ([\d.]+)%/.exec(t.out)![1]);
    expect(trained).toBeGreaterThan(70);
    expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')).model).toBe('tiny');
    const e = cli('evaluate', '--weights', out);
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/^tiny from /m);
    // The whole test set now (10,000 images): close to the 1,000-image figure, not the same.
    expect(Math.abs(Number(/test: accuracy ([\d.]+)%/.exec(e.out)![1]) - trained)).toBeLessThan(5);
  });

  it('prints the CNN summary with its 423,338 parameters', () => {
    const r = cli('summary', '--model', 'cnn');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Total params: 423,338');
  });
});
