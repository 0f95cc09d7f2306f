/**
 * The panel shown when the GPU device is lost (the GPU process crashed or restarted, the driver
 * reset, the browser took the GPU back): what happened, and what can be done on a new device.
 * Resuming a run is offered only when one of its epochs has finished, since that is where its
 * checkpoint is; the weights already trained live in the page and need no device to survive.
 */
import { byId } from './dom';
import type { RunCheckpoint } from './training';
import type { DemoSettings } from './controls';

/** What a new device is for. */
export type LostOffer =
  /** Continue an interrupted run after its last finished epoch. */
  | { kind: 'resume'; checkpoint: RunCheckpoint }
  /** Start an interrupted run again: no epoch of it had finished. */
  | { kind: 'restart'; settings: DemoSettings }
  /** No run was going: the drawing pad and evaluation need a device again. */
  | { kind: 'reconnect' };

export class DeviceLostPanel {
  private readonly panel = byId('device-lost');
  private readonly message = byId('device-lost-message');
  private readonly offerText = byId('device-lost-offer');
  private readonly action = byId('device-lost-action', HTMLButtonElement);
  private readonly reconnectOnly = byId('device-lost-reconnect', HTMLButtonElement);
  private readonly status = byId('device-lost-status');
  private offer: LostOffer = { kind: 'reconnect' };

  /** `onAccept` gets the offer taken: the main button's, or a plain reconnect (the second button). */
  constructor(onAccept: (offer: LostOffer) => void) {
    this.action.addEventListener('click', () => onAccept(this.offer));
    this.reconnectOnly.addEventListener('click', () => onAccept({ kind: 'reconnect' }));
  }

  show(description: string, offer: LostOffer): void {
    this.offer = offer;
    this.message.textContent = `The GPU device was lost (${description.replace(/\.$/, '')}). This happens when the browser's GPU process crashes or restarts, the driver resets, or the system takes the GPU back.`;
    const { text, button } = describeOffer(offer);
    this.offerText.textContent = text;
    this.action.textContent = button;
    this.reconnectOnly.hidden = offer.kind === 'reconnect';
    this.panel.dataset.offer = offer.kind;
    if (offer.kind === 'resume') this.panel.dataset.savedEpoch = String(offer.checkpoint.history.length);
    else delete this.panel.dataset.savedEpoch;
    this.setStatus('', '');
    this.panel.hidden = false;
  }

  /** Buttons off while a new device is being acquired. */
  reconnecting(): void {
    this.action.disabled = this.reconnectOnly.disabled = true;
    this.setStatus('starting', 'Acquiring a new device…');
  }

  /** The new device could not be had: say why, and let the person try again. */
  failed(message: string): void {
    this.action.disabled = this.reconnectOnly.disabled = false;
    this.setStatus('error', `No new device: ${message} Try again, or reload the page.`);
  }

  hide(): void {
    this.action.disabled = this.reconnectOnly.disabled = false;
    this.panel.hidden = true;
  }

  private setStatus(state: string, text: string): void {
    this.status.dataset.state = state;
    this.status.textContent = text;
    this.status.hidden = !text;
  }
}

function describeOffer(offer: LostOffer): { text: string; button: string } {
  switch (offer.kind) {
    case 'resume': {
      const done = offer.checkpoint.history.length;
      const epochs = offer.checkpoint.settings.fit.epochs;
      return {
        text: `The run was saved at the end of epoch ${done} of ${epochs}. Resume continues it on a new device from epoch ${done + 1}, with the same numbers as if it had never stopped.`,
        button: 'Resume',
      };
    }
    case 'restart':
      return { text: 'The run had not finished its first epoch, so there is nothing to resume: it can start again on a new device.', button: 'Reconnect and start again' };
    case 'reconnect':
      return { text: 'Training, evaluation and the drawing pad need a device again; the trained weights are kept in this page.', button: 'Reconnect' };
  }
}
