/**
 * "Profile a step": the GPU time of every kernel of one training step of the chosen model with the
 * page's settings, measured as `wgml profile` measures it (profileTrainingStep), and shown as the
 * same tables (profileTable): every dispatch slowest first with its share of the step, GFLOP/s and
 * GB/s, then the same grouped by shader and by layer.
 */
import {
  byLayer, byShader, byTime, groupProfile, profileTable,
  type DatasetArrays, type KernelTiming, type StepProfile,
} from '../../src/index';
import type { DemoSettings } from './controls';
import { byId, count, duration, h } from './dom';
import { unlessLost, type Gpu } from './gpu';

export interface DemoStepProfile extends StepProfile {
  model: string;
  batch: number;
}

/** profileTrainingStep for the chosen model with the page's settings; rejects with a DeviceLostError if the device is lost meanwhile. */
export async function profileDemoStep(gpu: Gpu, data: DatasetArrays, settings: DemoSettings, stage: (text: string) => void): Promise<DemoStepProfile> {
  const { batchSize, optimizer, lr, seed } = settings.fit;
  const model = settings.model.build();
  const step = await unlessLost(gpu, gpu.profileTrainingStep(model, data, { batchSize, optimizer, lr, seed, preprocessing: settings.data.preprocessing }, stage));
  return { ...step, model: model.name, batch: batchSize };
}

export class ProfilePanel {
  private readonly panel = byId('profile-panel');
  private readonly status = byId('profile-status');
  private readonly summary = byId('profile-summary');
  private readonly note = byId('profile-note');
  private readonly kernels = byId('profile-kernels', HTMLTableElement);
  private readonly shaders = byId('profile-shaders', HTMLTableElement);
  private readonly layers = byId('profile-layers', HTMLTableElement);

  /** Shows the panel, emptied, for a profile about to start. */
  start(): void {
    for (const el of [this.summary, this.note, this.kernels, this.shaders, this.layers]) el.replaceChildren();
    delete this.summary.dataset.method;
    delete this.summary.dataset.dispatches;
    this.setStatus('running', 'Starting…');
    const first = this.panel.hidden;
    this.panel.hidden = false;
    if (first) this.panel.scrollIntoView({ block: 'nearest' });
  }

  stage(text: string): void {
    this.setStatus('running', text);
  }

  failed(message: string): void {
    this.setStatus('error', message);
  }

  /** The tables and the lines about them; `seconds`: how long profiling took. */
  show({ model, batch, profile, trainStepMs }: DemoStepProfile, seconds: number): void {
    const method = profile.method === 'timestamp' ? 'timestamp queries' : 'one submit per dispatch (this adapter offers no timestamp queries)';
    this.summary.textContent =
      `${model}, batch ${batch}: ${profile.rows.length} dispatches per step, timed with ${method}, mean of ${profile.repeats} steps after ${profile.warmup} warm-up. ` +
      `Sum of kernels ${profile.kernelMs.toFixed(3)} ms; a real training step ${trainStepMs.toFixed(3)} ms of wall-clock time (${count((batch * 1000) / trainStepMs)} images/s).`;
    this.summary.dataset.method = profile.method;
    this.summary.dataset.dispatches = String(profile.rows.length);
    this.note.textContent =
      "Each kernel runs in a pass of its own here, which costs more than inside a training step's single pass: " +
      `the same dispatches in one pass took ${profile.stepMs.toFixed(3)} ms measured the same way, and a pass with one no-op dispatch ${profile.emptyPassMs.toFixed(3)} ms, the floor under every row.` +
      (profile.quantumNs > 0 ? ` Timestamps are quantised to ${(profile.quantumNs / 1000).toFixed(1)} µs by the browser, so short kernels are averages of coarse samples.` : '');

    const slowest = byTime(profile);
    const table = profileTable(profile, slowest);
    fillTable(this.kernels, table.headers, table.rows, 1, (i) => {
      const r = slowest[i]!;
      return { ...timing(r), 'data-shader': r.shader, title: r.shader || undefined };
    });
    for (const [el, title, key] of [[this.shaders, 'shader', byShader], [this.layers, 'layer', byLayer]] as const) {
      const groups = groupProfile(profile, key);
      const g = profileTable(profile, groups);
      // As the CLI prints them: the group's name instead of a dispatch's index and label.
      fillTable(el, [`by ${title}`, ...g.headers.slice(2)], g.rows.map((r) => r.slice(1)), 0, (i) => timing(groups[i]!));
    }
    this.setStatus('done', `Profiled in ${duration(seconds)}.`);
  }

  private setStatus(state: string, text: string): void {
    this.status.dataset.state = state;
    this.status.textContent = text;
  }
}

type Attrs = Record<string, string | number | undefined>;

/** A row's exact time and share, for whoever reads the table (the text is rounded). */
const timing = (r: KernelTiming): Attrs => ({ 'data-ms': r.ms, 'data-share': r.share });

/** profileTable's strings as an HTML table, its last row (the total) in the footer; `attrs(i)` for body row i. */
function fillTable(table: HTMLTableElement, headers: readonly string[], cells: readonly string[][], nameColumn: number, attrs: (i: number) => Attrs): void {
  const align = (i: number) => (i === nameColumn ? 'name' : 'num');
  const row = (values: readonly string[], a: Attrs = {}) => h('tr', a, ...values.map((v, i) => h('td', { class: align(i) }, v)));
  table.replaceChildren(
    h('thead', {}, h('tr', {}, ...headers.map((v, i) => h('th', { class: align(i), scope: 'col' }, v)))),
    h('tbody', {}, ...cells.slice(0, -1).map((values, i) => row(values, attrs(i)))),
    h('tfoot', {}, row(cells.at(-1)!)),
  );
}
