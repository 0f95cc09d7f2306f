/**
 * Writing a model in the page: a JSON model definition (the README's "Model files" format) typed
 * or pasted into an editor that starts from the chosen model's definition, validated as it is
 * typed by the library's own checks (the message names the field: `layers[2].filters`), with the
 * model's summary table kept up to date beside it. "Use this model" offers it in the model picker,
 * its `train` block as the settings, like a model file.
 */
import { byId, classCount, describeError } from './dom';
import { definitionModel, type DemoModel } from './models';

/** Validation waits this long after the last keystroke, so typing stays smooth. */
const TYPING_PAUSE_MS = 150;

export class ModelEditor {
  private readonly text = byId('model-json', HTMLTextAreaElement);
  private readonly status = byId('model-json-status');
  private readonly summary = byId('model-json-summary');
  private readonly use = byId('use-model-json', HTMLButtonElement);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private valid: DemoModel | null = null;
  /** Whether the text is the chosen model's own (then a new choice replaces it). */
  private pristine = true;

  constructor(onUse: (model: DemoModel) => void) {
    this.text.addEventListener('input', () => {
      this.pristine = false;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.validate(), TYPING_PAUSE_MS);
    });
    this.use.addEventListener('click', () => {
      this.validate();
      if (this.valid) {
        onUse(this.valid);
        this.pristine = true;
      }
    });
  }

  /** Shows `model`'s definition to edit, unless the person has edited the text since the last one. */
  show(model: DemoModel): void {
    if (!this.pristine) return;
    this.text.value = JSON.stringify(model.definition, null, 2);
    this.validate();
  }

  /** While a run goes, a model cannot be switched to (the button says why). */
  setBusy(busy: boolean): void {
    this.use.title = busy ? 'A run (or a profile) is going: use the model when it ends.' : '';
    this.update();
  }

  private busy(): boolean {
    return this.use.title !== '';
  }

  private validate(): void {
    clearTimeout(this.timer);
    try {
      this.valid = definitionModel(this.text.value, 'the editor', 'file');
      const m = this.valid.model;
      this.status.dataset.state = 'loaded';
      this.status.textContent = `Valid: ${m.name}, input [${m.inputShape.join(', ')}], ${classCount(m.classes)}, ${m.paramCount.toLocaleString('en-US')} parameters.`;
      this.summary.textContent = m.summary();
      delete this.summary.dataset.stale;
    } catch (e) {
      this.valid = null;
      // The summary below is the last valid model's: say so, until the text is valid again.
      this.summary.dataset.stale = 'true';
      const { message, hint } = describeError(e);
      this.status.dataset.state = 'error';
      this.status.textContent = hint ? `${message} ${hint}` : message;
    }
    this.update();
  }

  private update(): void {
    this.use.disabled = this.valid === null || this.busy();
  }
}
