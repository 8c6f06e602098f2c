/**
 * The preload: exposes exactly one frozen object, `window.halab`, that
 * implements the HalabBridge contract over Electron IPC. No ipcRenderer,
 * no Node APIs reach the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNELS } from '../shared/ipc/channels';
import type { EventChannel, HalabBridge } from '../shared/ipc/contract';

const bridge: HalabBridge = {
  invoke: (channel, payload) => ipcRenderer.invoke('halab:invoke', channel, payload),
  on: (channel, listener) => {
    if (!EVENT_CHANNELS.includes(channel as EventChannel)) throw new Error(`Unknown event channel ${String(channel)}`);
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(`halab:event:${channel}`, wrapped);
    return () => ipcRenderer.off(`halab:event:${channel}`, wrapped);
  },
};

contextBridge.exposeInMainWorld('halab', Object.freeze(bridge));
