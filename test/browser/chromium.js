// @ts-check
/**
 * How the browser tests start Chromium: Debian's /usr/bin/chromium (scripts/setup.sh installs it;
 * a browser is never downloaded), headless, with WebGPU on. Without a GPU, Chromium runs WebGPU on
 * its bundled SwiftShader (a CPU Vulkan). Playwright adds --headless and --no-sandbox itself and
 * starts every launch with a fresh temporary profile (it refuses a --user-data-dir argument: the
 * profile is its to manage); the rest keeps a test run quiet and off the network.
 *
 * Plain JavaScript (with chromium.d.ts) so that vitest.config.ts can import it with its extension.
 */

/** $WGML_CHROMIUM overrides the path, e.g. for a Chromium installed elsewhere. */
export const CHROMIUM_PATH = process.env.WGML_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
