// The agent's sources, one line each: `sources.<name>` of the agent config is the name a plugin is
// exported under here. A plugin (its folder's plugin.ts) owns its schema, checks, factory and commands;
// adding a source touches no other file (agent/README.md, "Adding a source").
export { default as host } from './host/plugin.js';
export { default as ipv6check } from './ipv6check/plugin.js';
export { default as posture } from './posture/plugin.js';
export { default as probes } from './probes/plugin.js';
export { default as snmp } from './snmp/plugin.js';
