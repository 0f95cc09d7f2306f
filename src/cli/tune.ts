import { Option } from 'commander';
import { configureTuning, tuneModeFromEnv, tuningChoices, tuningMs, textTable, type Gpu, type TuneSettings } from '../index';
import { nodeTuneStore } from '../node';

/** The flags tuneOption and noTuneOption add: undefined unless --tune (true) or --no-tune (false) was given. */
export interface TuneFlags {
  tune?: boolean;
}

/** --tune: re-tune, for the commands that build kernels (train, bench, profile); with noTuneOption. */
export const tuneOption = () => new Option('--tune', 'time the kernel variants on this adapter again, ignoring the tuning cache (also: WGML_TUNE=force)');
/** --no-tune: the kernels' default variants. */
export const noTuneOption = () =>
  new Option('--no-tune', "run the kernels' default variants, no tuning (also: WGML_TUNE=off; default: on, cached in $WGML_CACHE_DIR, $XDG_CACHE_HOME/wgml or ~/.cache/wgml)");

/**
 * Sets the kernel tuner up for this command: --tune (force) or --no-tune (off), else $WGML_TUNE, else
 * on; decisions kept in wgml's cache directory. Returns the settings, to report them.
 */
export function setUpTuning(flags: TuneFlags): TuneSettings {
  const mode = flags.tune === true ? 'force' : flags.tune === false ? 'off' : tuneModeFromEnv() ?? 'on';
  return configureTuning({ mode, store: nodeTuneStore() });
}

/** One line on what the tuner did for `gpu`: mode, decisions by source, time spent, where they are kept. */
export function tuningSummary(gpu: Gpu, settings: TuneSettings): string {
  const choices = tuningChoices(gpu);
  const count = (source: string) => choices.filter((c) => c.source === source).length;
  const parts = [['tuned', count('tuned')], ['from cache', count('cache')], ['default', count('default') + count('small')], ['over budget', count('over budget')]]
    .filter(([, n]) => n)
    .map(([what, n]) => `${n} ${what}`);
  return `tuning ${settings.mode}: ${choices.length} kernel shapes (${parts.join(', ') || 'none'}), ${(tuningMs(gpu) / 1000).toFixed(1)} s tuning${settings.store ? `; cache ${settings.store.where}` : ''}`;
}

/** The tuner's decisions as a table: family, shape, variant, how it was chosen, each candidate's ms. */
export function tuningTable(gpu: Gpu): string {
  const rows = tuningChoices(gpu).map((c) => [
    c.family, c.shape, c.variant, c.source,
    Object.entries(c.ms).sort((a, b) => a[1] - b[1]).map(([v, ms]) => `${v} ${ms.toFixed(3)}`).join(', ') || '-',
  ]);
  return textTable(['kernel', 'shape', 'variant', 'chosen by', 'candidates (ms per dispatch)'], rows);
}
