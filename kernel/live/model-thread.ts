import { Worker } from 'node:worker_threads';
import type { FromModel, ModelSetup, ToModel } from './model-protocol.ts';

/** The model thread's code: from source, an entry that registers tsx first; compiled, the worker itself. */
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./model-worker-entry.mjs', import.meta.url)
  : new URL('./model-worker.js', import.meta.url);

export type Replayed = Extract<FromModel, { type: 'replayed' }>;

interface Waiting {
  resolve(r: Replayed): void;
  reject(e: Error): void;
}

/**
 * The check's models on a thread of their own (model-worker.ts). Batches are answered in the order
 * they were sent, so the caller may send the next before it reads an answer. `stop` terminates the
 * thread whatever it is doing (a model in an endless loop included) and fails every answer awaited.
 */
export class ModelThread {
  readonly #worker: Worker;
  readonly #waiting: Waiting[] = [];
  #failure: Error | null = null;

  private constructor(
    worker: Worker,
    /** The variants' names, in the order of their counters. */
    readonly variants: readonly string[],
  ) {
    this.#worker = worker;
    worker.on('message', (m: FromModel) => {
      if (m.type === 'replayed') this.#waiting.shift()?.resolve(m);
    });
    worker.on('error', (e) => this.stop(new Error(`the model thread failed: ${e.message}`)));
    worker.on('exit', (code) => this.stop(new Error(`the model thread exited (code ${code})`)));
  }

  /** Start the thread; resolves once its models are loaded. */
  static start(setup: ModelSetup): Promise<ModelThread> {
    const worker = new Worker(ENTRY, { workerData: setup });
    return new Promise((resolve, reject) => {
      const failed = (e: Error) => {
        void worker.terminate();
        reject(e);
      };
      worker.once('message', (m: FromModel) => {
        worker.removeListener('error', failed);
        if (m.type === 'ready') resolve(new ModelThread(worker, m.variants));
        else failed(new Error('the model thread did not start'));
      });
      worker.once('error', failed);
      worker.once('exit', (code) => reject(new Error(`the model thread exited while starting (code ${code})`)));
    });
  }

  /** Fresh models for the next workload (with `viewAt`, the model alone, showing its view at that checkpoint). */
  workload(viewAt: number | null): void {
    this.#post({ type: 'workload', viewAt });
  }

  /** Replay a batch of events; the answer comes once the models have. */
  replay(m: Omit<Extract<ToModel, { type: 'events' }>, 'type'>): Promise<Replayed> {
    const answer = new Promise<Replayed>((resolve, reject) => {
      if (this.#failure) reject(this.#failure);
      else this.#waiting.push({ resolve, reject });
    });
    // An answer sent ahead may fail before it is awaited (the thread stopped): not an unhandled rejection.
    answer.catch(() => {});
    if (!this.#failure)
      this.#post({ type: 'events', ...m }, [m.kind.buffer, m.id.buffer, m.cpu.buffer] as ArrayBuffer[]);
    return answer;
  }

  #post(m: ToModel, transfer: ArrayBuffer[] = []): void {
    if (!this.#failure) this.#worker.postMessage(m, transfer);
  }

  /** Terminate the thread (synchronously asked; safe to call twice); every awaited answer fails with `why`. */
  stop(why: Error = new Error('the model thread was stopped')): void {
    if (this.#failure) return;
    this.#failure = why;
    void this.#worker.terminate();
    for (const w of this.#waiting.splice(0)) w.reject(why);
  }
}
