import { alertsComponent } from './alerts/component.js';
import type { ComponentFactory } from './core/component.js';
import { createRemoteWriteComponent } from './remotewrite/component.js';
import { createMlpsComponent } from './mlps/component.js';
import { createRulesComponent } from './rules/component.js';

/**
 * The capabilities the collector hosts, one line each (Telegraf's `inputs.Add`, in spirit). Order is
 * start order; stop runs in reverse. Each factory takes the collector context (collector/core).
 */
export const COMPONENTS: ComponentFactory[] = [
  alertsComponent, // alerts/ + notify/: provides hub.alerts (before any component that sends alerts)
  createRulesComponent,
  createRemoteWriteComponent, // remotewrite/: durable queues to Prometheus-compatible stores
  createMlpsComponent, // mlps/: MLPS 2.0 evaluation, /api/v1/compliance, MlpsCheckFailed alerts
];
