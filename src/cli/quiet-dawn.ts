import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * Dawn prints two warnings on every adapter request on Mesa's lavapipe (and other drivers that
 * report huge dynamic-buffer limits): "maxDynamic{Uniform,Storage}BuffersPerPipelineLayout
 * artificially reduced from N to 16 …". Its Vulkan backend writes them to fd 2 from native code
 * while it normalises the adapter's limits, unconditionally (no toggle or limit avoids it), so no
 * hook inside this process can catch them. The command line therefore runs itself as a child whose
 * stderr passes through here, line by line, with exactly those two lines dropped.
 */
const KNOWN_DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

const CHILD_ENV = 'WGML_STDERR_FILTERED';

/** True in the child (or when filtering is off): the command should run here. */
export function isFilteredChild(): boolean {
  return process.env[CHILD_ENV] === '1';
}

/**
 * Runs this same command line (`entry` is the main module's URL) as a child with Dawn's known
 * warnings filtered from its stderr, and resolves with its exit code. Ctrl-C reaches the child
 * directly (same process group); this process only waits for it, so the child's
 * checkpoint-and-exit handling is what the user gets.
 */
export function runFilteredChild(entry: string): Promise<number> {
  const file = fileURLToPath(entry);
  // From source, vite-node runs the module and leaves only its own path and the arguments in argv.
  const args = file.endsWith('.ts') ? [process.argv[1]!, file, '--', ...process.argv.slice(2)] : [file, ...process.argv.slice(2)];
  const child = spawn(process.execPath, [...process.execArgv, ...args], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [CHILD_ENV]: '1' },
  });
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!KNOWN_DAWN_NOISE.test(line)) process.stderr.write(`${line}\n`);
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}
