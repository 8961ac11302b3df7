import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The collector's own metrics (prom-client); fleet series are rendered by series/series.ts. */
export function createCollectorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'xunjian_collector_process_' });
  // prom-client names three gauges `_total`, which Prometheus reserves for counters (promtool refuses them).
  for (const n of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
    registry.removeSingleMetric(`xunjian_collector_process_nodejs_${n}`);
  return {
    registry,
    reports: new Counter({
      name: 'xunjian_collector_reports_total',
      help: 'Reports answered with 2xx, by result (accepted or duplicate).',
      labelNames: ['result'],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'xunjian_collector_reports_rejected_total',
      help: 'Reports refused, by reason (the error code of the answer).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    samples: new Counter({ name: 'xunjian_collector_ingested_samples_total', help: 'Samples accepted.', registers: [registry] }),
    ingestSeconds: new Histogram({
      name: 'xunjian_collector_ingest_duration_seconds',
      help: 'Time to verify, decode, validate and store one report.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    lagSeconds: new Histogram({
      name: 'xunjian_collector_report_lag_seconds',
      help: 'Arrival time minus the oldest sample timestamp of a report (includes spooling delay).',
      buckets: [1, 5, 15, 60, 300, 900, 3600, 21600, 86400],
      registers: [registry],
    }),
    batches: new Counter({
      name: 'xunjian_collector_batch_requests_total',
      help: 'Authenticated batch requests (POST /api/v1/reports/batch).',
      registers: [registry],
    }),
    batchReports: new Counter({
      name: 'xunjian_collector_batch_reports_total',
      help: 'Reports received in batch requests (whatever their result).',
      registers: [registry],
    }),
    nodeLagSeconds: new Gauge({
      name: 'xunjian_collector_node_report_lag_seconds',
      help: 'For the last report accepted from a node: arrival time minus its oldest sample timestamp.',
      labelNames: ['node'],
      registers: [registry],
    }),
    samplesRefused: new Counter({
      name: 'xunjian_collector_samples_refused_total',
      help: "Samples left out of accepted reports, by reason (reserved_name: a node may not send the collector's own families).",
      labelNames: ['reason'],
      registers: [registry],
    }),
    consumerErrors: new Counter({
      name: 'xunjian_collector_consumer_errors_total',
      help: 'Fan-out consumers that threw on an accepted report, by consumer.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    consumerSeconds: new Histogram({
      name: 'xunjian_collector_consumer_duration_seconds',
      help: 'Time a fan-out consumer took to take one accepted report.',
      labelNames: ['consumer'],
      buckets: [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    newStreams: new Counter({
      name: 'xunjian_collector_node_new_streams_total',
      help: 'Reports that opened a new sequence stream for a node that had one (agent state reset, or two agents with one node id).',
      labelNames: ['node'],
      registers: [registry],
    }),
    overloaded: new Counter({
      name: 'xunjian_collector_requests_shed_total',
      help: 'Ingest requests answered 503 before their body was read, by reason (bodies: too many bodies in flight; bytes: too many bytes in flight).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    inflightBytes: new Gauge({ name: 'xunjian_collector_inflight_body_bytes', help: 'Bytes of ingest bodies being read or processed.', registers: [registry] }),
    reloads: new Counter({
      name: 'xunjian_collector_config_reloads_total',
      help: 'Config reloads, by result (success or failure).',
      labelNames: ['result'],
      registers: [registry],
    }),
    fleetSeries: new Gauge({ name: 'xunjian_collector_fleet_series', help: 'Series currently exposed for the fleet.', registers: [registry] }),
    typeConflicts: new Gauge({
      name: 'xunjian_collector_type_conflicts',
      help: 'Samples ignored because their metric type differed from the family type already seen.',
      registers: [registry],
    }),
  };
}

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;
