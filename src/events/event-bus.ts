import type { TaggedEvent, TpEventName, TpEvents } from './types.js';

type Listener<K extends TpEventName> = (payload: TpEvents[K]) => void;
type AnyListener = <K extends TpEventName>(name: K, payload: TpEvents[K]) => void;

/**
 * A typed, synchronous event bus. Not Node's EventEmitter: a listener that throws must not
 * break the pipeline that emitted the event, so errors are caught and reported instead.
 */
export class EventBus {
  private readonly listeners = new Map<TpEventName, Set<Listener<TpEventName>>>();
  private readonly anyListeners = new Set<AnyListener>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  on<K extends TpEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<TpEventName>);
    return () => set.delete(listener as Listener<TpEventName>);
  }

  /** Listen to every event (logger, audit log, dashboard stream). */
  onAny(listener: AnyListener): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  /** Resolves with the first payload of `name` that satisfies `predicate`. */
  waitFor<K extends TpEventName>(
    name: K,
    predicate: (p: TpEvents[K]) => boolean = () => true,
  ): Promise<TpEvents[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (p) => {
        if (predicate(p)) {
          off();
          resolve(p);
        }
      });
    });
  }

  emit<K extends TpEventName>(name: K, payload: TpEvents[K]): void {
    for (const l of this.listeners.get(name) ?? []) {
      try {
        (l as Listener<K>)(payload);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    for (const l of this.anyListeners) {
      try {
        l(name, payload);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Emits an event given as one object with its name in `type` (the models domain's form). */
  emitTagged(event: TaggedEvent): void {
    const { type, ...payload } = event;
    this.emit(type, payload as TpEvents[typeof type]);
  }
}
