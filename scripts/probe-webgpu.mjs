#!/usr/bin/env node
// Probe whether a usable WebGPU adapter exists in Node (Dawn's `webgpu` package).
//
// Prints one line and exits:
//   0  "webgpu: ok: vendor=... architecture=... description=..."
//   1  "webgpu: unusable: <reason>"
//
// Run it under an external timeout (scripts/setup.sh uses `timeout 60`): a
// broken driver can hang inside native code, where no JS timer can fire.
//
// Dawn's Node binding crashes (SIGSEGV/SIGABRT/hang) if its instance or adapter
// is garbage-collected while a device is alive, so both stay referenced from
// module scope until the device has been destroyed and the process exits.

const TIMEOUT_MS = 45_000;

let gpu; // the object returned by create([]): must outlive the device
let adapter; // must outlive the device too
let device;

function fail(reason) {
  const line = String(reason).split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
  process.stdout.write(`webgpu: unusable: ${line.trim()}\n`);
  process.exit(1);
}

const timer = setTimeout(() => fail(`no answer from the WebGPU runtime within ${TIMEOUT_MS / 1000}s`), TIMEOUT_MS);

let webgpu;
try {
  webgpu = await import('webgpu');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && /'webgpu'/.test(String(err.message))) {
    fail("the 'webgpu' npm package is not installed (run `npm ci` first)");
  }
  fail(`cannot load the 'webgpu' package: ${err?.message ?? err}`);
}

try {
  const { create, globals } = webgpu;
  Object.assign(globalThis, globals);
  gpu = create([]);
  adapter = await gpu.requestAdapter();
  if (!adapter) {
    fail('requestAdapter() returned null: no Vulkan driver that Dawn accepts (without a GPU: lavapipe from Mesa >= 24)');
  }
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
  // GPUAdapterInfo fields are getters on the prototype: read them explicitly.
  const vendor = info.vendor || '?';
  const architecture = info.architecture || '?';
  const description = info.description || info.device || '?';
  device = await adapter.requestDevice();
  if (!device) fail('requestDevice() returned null');
  let lost = false;
  device.lost.then(() => {
    lost = true;
  });
  // Make sure the device can actually run something: an empty submit.
  device.queue.submit([device.createCommandEncoder().finish()]);
  await device.queue.onSubmittedWorkDone();
  if (lost) fail('the device was lost right after creation');
  device.destroy();
  clearTimeout(timer);
  process.stdout.write(
    `webgpu: ok: vendor=${vendor} architecture=${architecture} description=${description}\n`,
  );
  // Exit explicitly: the live `gpu` instance would otherwise keep Node running.
  process.exit(0);
} catch (err) {
  fail(err?.message ?? err);
}
