/**
 * The long poll of a fetch (Fetch on the client listener, Fetch of the metadata log on the
 * controller listener): a first read that is not enough yet waits in the delayed-fetch purgatory
 * under the partitions' keys, re-reads whenever one of them changes, and answers as soon as a
 * read is ready, or with what there is at the deadline. A full purgatory answers the first read
 * at once; a closed connection answers nothing. A read not answered with gives back what it took
 * (`giveBack`: the connection's response-byte budget).
 */
import type { Purgatory } from '../replica/purgatory.js';
import type { RequestContext } from './registry.js';

export interface PollRead<R> {
  response: R;
  ready: boolean;
  giveBack(): void;
}

export function longPoll<R>(ctx: RequestContext, purgatory: Purgatory, keys: readonly string[], waitMs: number, first: PollRead<R>, read: () => PollRead<R>): Promise<R | null> {
  return new Promise((resolve) => {
    let stopListening = (): void => {};
    const watch = purgatory.watch(keys, waitMs, {
      tryComplete: () => {
        const again = read();
        if (!again.ready) {
          again.giveBack();
          return false;
        }
        stopListening();
        resolve(again.response);
        return true;
      },
      onExpiration: () => {
        stopListening();
        resolve(read().response);
      },
    });
    if (watch === null) return resolve(first.response);
    first.giveBack();
    stopListening = ctx.onClose(() => {
      watch.cancel();
      resolve(null);
    });
  });
}
