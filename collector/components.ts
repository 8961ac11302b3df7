import type { ComponentFactory } from './core/component.js';
import { createRemoteWriteComponent } from './remotewrite/component.js';

/**
 * The capabilities the collector hosts, one line each (Telegraf's `inputs.Add`, in spirit). Order is
 * start order; stop runs in reverse. Each factory takes the collector context (collector/core).
 */
export const COMPONENTS: ComponentFactory[] = [(ctx) => createRemoteWriteComponent(ctx)];
