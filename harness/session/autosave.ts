/** How often a run's result files are saved while it goes, at most. */
const PERIOD_MS = 2000;

/**
 * Saves a run's result files as cells finish, so that a process killed outright leaves them
 * (marked incomplete) with little lost. A save of a large run takes long: the next one comes no
 * sooner than ten times that later, so saving costs at most a tenth of the run. A save that fails
 * (a full disk) is handed to `onError`, and saving stops.
 */
export class Autosave {
  readonly #save: () => void;
  readonly #onError: (e: unknown) => void;
  #changed = false;
  #next = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(save: () => void, onError: (e: unknown) => void) {
    this.#save = save;
    this.#onError = onError;
  }

  /** Something to save came. */
  changed(): void {
    this.#changed = true;
  }

  /** Save now; a failure is thrown. */
  now(): void {
    const start = Date.now();
    this.#save();
    this.#changed = false;
    this.#next = Date.now() + 10 * (Date.now() - start);
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (!this.#changed || Date.now() < this.#next) return;
      try {
        this.now();
      } catch (e) {
        this.stop();
        this.#onError(e);
      }
    }, PERIOD_MS);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
