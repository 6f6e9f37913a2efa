import { useEffect, useState } from 'preact/hooks';
import type { ChatStore } from './chat-store';

/** Re-renders the calling component on every change of the store. */
export function useStore(store: ChatStore): number {
  const [version, setVersion] = useState(store.snapshot);
  useEffect(() => store.subscribe(() => setVersion(store.snapshot)), [store]);
  return version;
}
