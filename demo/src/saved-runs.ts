/**
 * The "Saved runs" list: unfinished runs kept in the browser's storage (run-store.ts), each with
 * Resume and Delete; records this page cannot read are listed with Delete only. Resuming is the
 * page's business (main.ts): the panel only says which run was chosen.
 */
import { byId, count, h } from './dom';
import { deleteRun, listRuns, runsInUse, StorageProblem, type StoredRun } from './run-store';

export class SavedRunsPanel {
  private readonly panel = byId('saved-runs');
  private readonly list = byId('saved-runs-list');
  private readonly status = byId('saved-runs-status');
  /** The run in progress (its record is not offered for resuming or deletion while it trains). */
  private active: string | null = null;
  private blocked = false;

  constructor(private readonly onResume: (run: StoredRun) => void) {}

  /** Reads the store and redraws the list. */
  async refresh(): Promise<void> {
    let found: Awaited<ReturnType<typeof listRuns>>;
    let inUse: Set<string>;
    try {
      [found, inUse] = await Promise.all([listRuns(), runsInUse()]);
    } catch (e) {
      // A storage problem already shown (e.g. a failed save) says more than a failed re-read would.
      if (this.status.dataset.state !== 'error') this.problem(e);
      return;
    }
    const rows = [
      ...found.runs.filter((r) => r.id !== this.active).map((r) => this.row(r, inUse.has(r.id))),
      ...found.unreadable.map((u) => h('li', { 'data-run': u.id, 'data-state': 'unreadable' },
        h('span', {}, `A saved run this page cannot resume: ${u.problem}.`),
        this.deleteButton(u.id))),
    ];
    this.list.replaceChildren(...rows);
    this.panel.hidden = rows.length === 0;
  }

  /** While a run (or a profile) is going, nothing can be resumed; `active`: the going run's record. */
  setBusy(busy: boolean, active: string | null = this.active): void {
    this.blocked = busy;
    this.active = active;
    for (const b of this.list.querySelectorAll<HTMLButtonElement>('li:not([data-state="elsewhere"]) button.resume')) b.disabled = busy;
  }

  /** Shows a storage problem (quota, private window) or another message about saving. */
  problem(e: unknown): void {
    const text = e instanceof StorageProblem ? `${e.message} ${e.hint}` : `Saving runs failed: ${(e as Error)?.message ?? String(e)}`;
    this.status.textContent = text;
    this.status.dataset.state = 'error';
    this.panel.hidden = false;
  }

  message(text: string, state = ''): void {
    this.status.textContent = text;
    this.status.dataset.state = state;
    this.panel.hidden = false;
  }

  /** A saved run; `elsewhere`: another tab is training it (it cannot be resumed or deleted here meanwhile). */
  private row(r: StoredRun, elsewhere: boolean): HTMLLIElement {
    const done = r.history.length;
    const where = r.state === 'paused' ? `paused inside epoch ${done + 1}` : `after epoch ${done}`;
    const last = r.history.at(-1);
    const accuracy = last ? `, validation accuracy ${(100 * last.valAccuracy).toFixed(1)}%` : '';
    const data = r.dataSource.kind === 'fashion-mnist' ? 'Fashion-MNIST' : r.dataSource.description;
    const resume = h('button', { type: 'button', class: 'resume' }, 'Resume');
    resume.disabled = this.blocked || elsewhere;
    resume.addEventListener('click', () => this.onResume(r));
    const remove = this.deleteButton(r.id);
    remove.disabled = elsewhere;
    return h('li', { 'data-run': r.id, 'data-state': elsewhere ? 'elsewhere' : r.state },
      h('span', {},
        `${r.definition.name ?? r.modelId} on ${data} (${count(r.data.trainLimit)} training images), ${where} of ${r.fit.epochs}${accuracy}; ` +
        `saved ${new Date(r.savedAt).toLocaleString()}${elsewhere ? '. Training in another tab now' : ''}.`),
      resume,
      remove);
  }

  private deleteButton(id: string): HTMLButtonElement {
    const button = h('button', { type: 'button', class: 'secondary danger delete' }, 'Delete');
    button.addEventListener('click', () => {
      void deleteRun(id).then(() => {
        this.message('Deleted the saved run.');
        return this.refresh();
      }, (e: unknown) => this.problem(e));
    });
    return button;
  }
}
