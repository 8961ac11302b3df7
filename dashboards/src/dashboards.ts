import { type Dashboard, MappingType, ThresholdsConfigBuilder, ThresholdsMode, type ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { bargauge, DEV, dashboard, finish, type Lang, NODE, q, row, SEL, stat, table, timeline, timeseries, withVariables } from './common.js';

/**
 * The five Xunjian dashboards. Metric names are the ones the agent sources and the collector emit
 * (see agent/sources/<name>/README.md, collector/README.md, collector/remotewrite/README.md):
 * snmp_exporter's `ifOperStatus`…, blackbox's `probe_*`, ours `xunjian_*`, Prometheus' `ALERTS`.
 */

const thresholds = (steps: [number | null, string][]) =>
  new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
/** MLPS scores: below 60 % red, below 80 % orange. */
const scoreThresholds = () =>
  thresholds([
    [null, 'red'],
    [0.6, 'orange'],
    [0.8, 'green'],
  ]);
/** Website IPv6 support rates: the target is 100 %. */
const rateThresholds = () =>
  thresholds([
    [null, 'red'],
    [0.85, 'orange'],
    [1, 'green'],
  ]);
/** Counts of something wrong: any is red. */
const anyIsRed = () =>
  thresholds([
    [null, 'green'],
    [1, 'red'],
  ]);

/** ifOperStatus (IF-MIB): 1 up, 2 down, 3 testing, 5 dormant, 7 lowerLayerDown. */
const operStatus = (lang: Lang): ValueMapping[] => [
  {
    type: MappingType.ValueToText,
    options: {
      '1': { text: lang === 'en' ? 'up' : '正常', color: 'green', index: 0 },
      '2': { text: lang === 'en' ? 'down' : '中断', color: 'red', index: 1 },
      '3': { text: lang === 'en' ? 'testing' : '测试', color: 'yellow', index: 2 },
      '5': { text: lang === 'en' ? 'dormant' : '休眠', color: 'blue', index: 3 },
      '7': { text: lang === 'en' ? 'lower layer down' : '下层中断', color: 'orange', index: 4 },
    },
  },
];

const tableFormat = { instant: true, table: true };

export function fleetOverview(lang: Lang): Dashboard {
  const d = withVariables(dashboard(lang, 'xunjian-fleet', { en: 'Xunjian · Fleet overview', zh: '巡检 · 全网概览' }, ['fleet']), lang);
  d.withRow(row(lang, { en: 'Nodes', zh: '节点' }))
    .withPanel(
      stat(lang, { en: 'Nodes up', zh: '在线节点' }, 'short')
        .withTarget(q(`sum(xunjian_node_up{${SEL}})`))
        .thresholds(thresholds([[null, 'green']])),
    )
    .withPanel(
      stat(lang, { en: 'Nodes down', zh: '离线节点' }, 'short')
        .withTarget(q(`count(xunjian_node_up{${SEL}} == 0) or vector(0)`))
        .thresholds(anyIsRed()),
    )
    .withPanel(
      stat(lang, { en: 'Firing alerts', zh: '告警中' }, 'short')
        .withTarget(q('count(ALERTS{alertstate="firing"}) or vector(0)'))
        .thresholds(
          thresholds([
            [null, 'green'],
            [1, 'orange'],
          ]),
        ),
    )
    .withPanel(
      stat(lang, { en: 'MLPS score (mean)', zh: '等保得分（平均）' }, 'percentunit')
        .withTarget(q(`avg(xunjian_mlps_score_ratio{${NODE}})`))
        .thresholds(scoreThresholds()),
    )
    .withPanel(
      bargauge(lang, { en: 'Nodes up by zone and site', zh: '各区域/站点在线节点' }, 'short').withTarget(
        q(`sum by (zone, site) (xunjian_node_up{${SEL}})`, '{{zone}} / {{site}}', { instant: true }),
      ),
    )
    .withPanel(
      bargauge(lang, { en: 'Nodes down by zone and site', zh: '各区域/站点离线节点' }, 'short').withTarget(
        q(`count by (zone, site) (xunjian_node_up{${SEL}} == 0)`, '{{zone}} / {{site}}', { instant: true }),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'Nodes down by zone', zh: '各区域离线节点趋势' }, 'short').withTarget(
        q(`count by (zone) (xunjian_node_up{${SEL}} == 0)`, '{{zone}}'),
      ),
    )
    .withPanel(table(lang, { en: 'Down nodes', zh: '离线节点列表' }).withTarget(q(`xunjian_node_up{${SEL}} == 0`, '', tableFormat)))
    .withRow(row(lang, { en: 'Alerts', zh: '告警' }))
    .withPanel(
      bargauge(lang, { en: 'Firing alerts by severity', zh: '按级别的告警' }, 'short').withTarget(
        q('count by (severity) (ALERTS{alertstate="firing"})', '{{severity}}', { instant: true }),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'Alerts by severity', zh: '告警趋势（按级别）' }, 'short').withTarget(
        q('count by (severity) (ALERTS{alertstate="firing"})', '{{severity}}'),
      ),
    )
    .withPanel(table(lang, { en: 'Firing alerts', zh: '当前告警' }, 24).withTarget(q('ALERTS{alertstate="firing"}', '', tableFormat)))
    .withRow(row(lang, { en: 'MLPS', zh: '等级保护' }))
    .withPanel(
      bargauge(lang, { en: 'MLPS score by zone', zh: '各区域等保得分' }, 'percentunit', 24).withTarget(
        q(`avg by (zone) (xunjian_mlps_score_ratio{${NODE}} * on (node) group_left (zone) max by (node, zone) (xunjian_node_up{${SEL}}))`, '{{zone}}', {
          instant: true,
        }),
      ),
    );
  return finish(d);
}

export function networkLinks(lang: Lang): Dashboard {
  const d = withVariables(dashboard(lang, 'xunjian-links', { en: 'Xunjian · Network links', zh: '巡检 · 网络链路' }, ['network', 'snmp']), lang, true);
  const dir = (m: string, fn: string) =>
    `label_replace(${fn}(xunjian_link_in_${m}{${DEV}}[$__range]), "direction", "in", "", "") or label_replace(${fn}(xunjian_link_out_${m}{${DEV}}[$__range]), "direction", "out", "", "")`;
  d.withRow(row(lang, { en: 'Status', zh: '状态' }))
    .withPanel(
      timeline(lang, { en: 'Interface status', zh: '接口状态' })
        .withTarget(q(`ifOperStatus{${DEV}}`, '{{target}} {{ifName}}'))
        .mappings(operStatus(lang)),
    )
    .withPanel(
      table(lang, { en: 'Interfaces down', zh: '中断接口' })
        .withTarget(q(`ifOperStatus{${DEV}} != 1`, '', tableFormat))
        .mappings(operStatus(lang)),
    )
    .withPanel(
      table(lang, { en: 'Flaps (status changes in range)', zh: '抖动（时间范围内状态变化次数）' }).withTarget(
        q(`topk(10, sum by (target, ifName) (increase(xunjian_link_oper_status_changes_total{${DEV}}[$__range]))) > 0`, '', tableFormat),
      ),
    )
    .withRow(row(lang, { en: 'Traffic', zh: '流量' }))
    .withPanel(timeseries(lang, { en: 'Inbound', zh: '入方向速率' }, 'bps').withTarget(q(`xunjian_link_in_bits_per_second{${DEV}}`, '{{target}} {{ifName}}')))
    .withPanel(timeseries(lang, { en: 'Outbound', zh: '出方向速率' }, 'bps').withTarget(q(`xunjian_link_out_bits_per_second{${DEV}}`, '{{target}} {{ifName}}')))
    .withPanel(
      timeseries(lang, { en: 'Utilization', zh: '带宽利用率' }, 'percentunit', 24)
        .min(0)
        .withTarget(q(`xunjian_link_in_utilization_ratio{${DEV}}`, '{{target}} {{ifName}} in'))
        .withTarget(q(`xunjian_link_out_utilization_ratio{${DEV}}`, '{{target}} {{ifName}} out')),
    )
    .withPanel(
      bargauge(lang, { en: 'Top 10 busiest links (peak utilization)', zh: '最繁忙链路 Top 10（峰值利用率）' }, 'percentunit').withTarget(
        q(`topk(10, max by (target, ifName, direction) (${dir('utilization_ratio', 'max_over_time')}))`, '{{target}} {{ifName}} {{direction}}', {
          instant: true,
        }),
      ),
    )
    .withPanel(
      bargauge(lang, { en: 'Top 10 erroring links (mean errors/s)', zh: '错包最多链路 Top 10（平均每秒）' }, 'short').withTarget(
        q(`topk(10, sum by (target, ifName, direction) (${dir('errors_per_second', 'avg_over_time')}))`, '{{target}} {{ifName}} {{direction}}', {
          instant: true,
        }),
      ),
    )
    .withRow(row(lang, { en: 'Errors and discards', zh: '错包与丢弃' }))
    .withPanel(
      timeseries(lang, { en: 'Errors', zh: '错包' }, 'pps')
        .withTarget(q(`xunjian_link_in_errors_per_second{${DEV}}`, '{{target}} {{ifName}} in'))
        .withTarget(q(`xunjian_link_out_errors_per_second{${DEV}}`, '{{target}} {{ifName}} out')),
    )
    .withPanel(
      timeseries(lang, { en: 'Discards', zh: '丢弃' }, 'pps')
        .withTarget(q(`xunjian_link_in_discards_per_second{${DEV}}`, '{{target}} {{ifName}} in'))
        .withTarget(q(`xunjian_link_out_discards_per_second{${DEV}}`, '{{target}} {{ifName}} out')),
    )
    .withRow(row(lang, { en: 'Polling', zh: '采集' }))
    .withPanel(
      timeseries(lang, { en: 'SNMP poll up', zh: 'SNMP 采集成功' }, 'short')
        .max(1)
        .withTarget(q(`xunjian_snmp_up{${DEV}}`, '{{target}}')),
    )
    .withPanel(timeseries(lang, { en: 'SNMP poll duration', zh: 'SNMP 采集耗时' }, 's').withTarget(q(`snmp_scrape_duration_seconds{${DEV}}`, '{{target}}')));
  return finish(d);
}

export function ipv6(lang: Lang): Dashboard {
  const d = withVariables(dashboard(lang, 'xunjian-ipv6', { en: 'Xunjian · IPv6', zh: '巡检 · IPv6' }, ['ipv6', 'probes']), lang);
  const fam = 'IPv{{ip}}';
  d.withRow(row(lang, { en: 'IPv6 against IPv4', zh: 'IPv6 与 IPv4 对比' }))
    .withPanel(
      stat(lang, { en: 'IPv6 probe success (range)', zh: 'IPv6 探测成功率（时间范围）' }, 'percentunit').withTarget(
        q(`avg(avg_over_time(probe_success{${SEL}, ip="6"}[$__range]))`),
      ),
    )
    .withPanel(
      stat(lang, { en: 'IPv4 probe success (range)', zh: 'IPv4 探测成功率（时间范围）' }, 'percentunit').withTarget(
        q(`avg(avg_over_time(probe_success{${SEL}, ip="4"}[$__range]))`),
      ),
    )
    .withPanel(
      stat(lang, { en: 'Dual-stack probes with both up', zh: '双栈均可达的探测' }, 'percentunit', 12).withTarget(
        q(`avg(xunjian_probe_dualstack_both_success{${SEL}})`),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'Probe success by family', zh: '探测成功率（按协议）' }, 'percentunit')
        .min(0)
        .max(1)
        .withTarget(q(`avg by (ip) (probe_success{${SEL}})`, fam)),
    )
    .withPanel(
      timeseries(lang, { en: 'ICMP loss by family', zh: 'ICMP 丢包率（按协议）' }, 'percentunit')
        .min(0)
        .withTarget(q(`avg by (ip) (xunjian_probe_icmp_loss_ratio{${SEL}})`, fam)),
    )
    .withPanel(
      timeseries(lang, { en: 'ICMP RTT by family', zh: 'ICMP 时延（按协议）' }, 's').withTarget(
        q(`avg by (ip) (xunjian_probe_icmp_rtt_seconds{${SEL}, stat="avg"})`, fam),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'ICMP jitter by family', zh: 'ICMP 抖动（按协议）' }, 's').withTarget(
        q(`avg by (ip) (xunjian_probe_icmp_jitter_seconds{${SEL}})`, fam),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'IPv6 ÷ IPv4 latency', zh: 'IPv6 与 IPv4 时延比' }, 'short').withTarget(
        q(`xunjian_probe_dualstack_latency_ratio{${SEL}}`, '{{node}} {{probe}}'),
      ),
    )
    .withPanel(
      table(lang, { en: 'Probes side by side (success in range)', zh: '各探测对比（时间范围内成功率）' }).withTarget(
        q(`avg by (node, probe, target, ip) (avg_over_time(probe_success{${SEL}}[$__range]))`, '', tableFormat),
      ),
    )
    .withRow(row(lang, { en: 'Government websites (二级/三级链接 IPv6 支持率)', zh: '政府网站 IPv6 支持度' }))
    .withPanel(
      bargauge(lang, { en: 'IPv6 support rate, level-2 links', zh: '二级链接 IPv6 支持率' }, 'percentunit')
        .min(0)
        .max(1)
        .thresholds(rateThresholds())
        .withTarget(q(`max by (site) (xunjian_website_ipv6_support_ratio{${SEL}, level="2"})`, '{{site}}', { instant: true })),
    )
    .withPanel(
      bargauge(lang, { en: 'IPv6 support rate, level-3 links', zh: '三级链接 IPv6 支持率' }, 'percentunit')
        .min(0)
        .max(1)
        .thresholds(rateThresholds())
        .withTarget(q(`max by (site) (xunjian_website_ipv6_support_ratio{${SEL}, level="3"})`, '{{site}}', { instant: true })),
    )
    .withPanel(
      table(lang, { en: 'Failing links per site and level', zh: '各网站各级不支持 IPv6 的链接数' }).withTarget(
        q(`max by (site, level) (xunjian_website_ipv6_links{${SEL}} - xunjian_website_ipv6_links_capable{${SEL}})`, '', tableFormat),
      ),
    )
    .withPanel(
      table(lang, { en: 'AAAA record and IPv6 homepage', zh: 'AAAA 记录与 IPv6 首页可达' })
        .withTarget(q(`max by (site) (xunjian_website_ipv6_aaaa{${SEL}})`, '', tableFormat))
        .withTarget(q(`max by (site) (xunjian_website_ipv6_homepage_reachable{${SEL}})`, '', tableFormat)),
    )
    .withRow(row(lang, { en: 'Nodes', zh: '节点' }))
    .withPanel(
      table(lang, { en: 'Nodes without working IPv6 (no IPv6 probe succeeding)', zh: '无可用 IPv6 的节点（无成功的 IPv6 探测）' }, 24).withTarget(
        q(`max by (node, zone, site) (xunjian_node_up{${SEL}}) unless on (node) (max by (node) (probe_success{${SEL}, ip="6"}) == 1)`, '', tableFormat),
      ),
    );
  return finish(d);
}

export function mlps(lang: Lang): Dashboard {
  const d = withVariables(
    dashboard(lang, 'xunjian-mlps', { en: 'Xunjian · Security posture and MLPS', zh: '巡检 · 安全基线与等级保护' }, ['mlps', 'security']),
    lang,
  );
  d.withRow(row(lang, { en: 'Score', zh: '得分' }))
    .withPanel(
      stat(lang, { en: 'Mean score', zh: '平均得分' }, 'percentunit')
        .withTarget(q(`avg(xunjian_mlps_score_ratio{${NODE}})`))
        .thresholds(scoreThresholds()),
    )
    .withPanel(
      stat(lang, { en: 'Failing checks', zh: '不符合项' }, 'short')
        .withTarget(q(`count(xunjian_mlps_check_status{${NODE}} == 0) or vector(0)`))
        .thresholds(anyIsRed()),
    )
    .withPanel(
      stat(lang, { en: 'Firing security alerts', zh: '安全告警' }, 'short', 12)
        .withTarget(q('count(ALERTS{alertstate="firing", category="security"}) or vector(0)'))
        .thresholds(anyIsRed()),
    )
    .withPanel(
      bargauge(lang, { en: 'Score per node', zh: '各节点得分' }, 'percentunit')
        .min(0)
        .max(1)
        .withTarget(q(`avg by (node, grade) (xunjian_mlps_score_ratio{${NODE}})`, '{{node}} ({{grade}})', { instant: true })),
    )
    .withPanel(table(lang, { en: 'Score per node and clause', zh: '各节点各条款得分' }).withTarget(q(`xunjian_mlps_score_ratio{${NODE}}`, '', tableFormat)))
    .withPanel(table(lang, { en: 'Failing checks', zh: '不符合检查项' }, 24).withTarget(q(`xunjian_mlps_check_status{${NODE}} == 0`, '', tableFormat)))
    .withRow(row(lang, { en: 'Trend', zh: '趋势' }))
    .withPanel(
      timeseries(lang, { en: 'Score by clause', zh: '各条款得分趋势' }, 'percentunit')
        .min(0)
        .max(1)
        .withTarget(q(`avg by (clause) (xunjian_mlps_score_ratio{${NODE}})`, '{{clause}}')),
    )
    .withPanel(
      timeseries(lang, { en: 'Failing checks by grade', zh: '不符合项趋势（按等级）' }, 'short').withTarget(
        q(`count by (grade) (xunjian_mlps_check_status{${NODE}} == 0)`, '{{grade}}'),
      ),
    );
  return finish(d);
}

export function health(lang: Lang): Dashboard {
  const d = withVariables(
    dashboard(lang, 'xunjian-health', { en: 'Xunjian · Agent and collector health', zh: '巡检 · 代理与采集器运行状态' }, ['health']),
    lang,
  );
  d.withRow(row(lang, { en: 'Agents', zh: '代理' }))
    .withPanel(
      timeseries(lang, { en: 'Report lag per node', zh: '各节点上报延迟' }, 's').withTarget(
        q(`xunjian_collector_node_report_lag_seconds{${NODE}}`, '{{node}}'),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'Report lag (p50, p95)', zh: '上报延迟（p50、p95）' }, 's')
        .withTarget(q('histogram_quantile(0.5, sum by (le) (rate(xunjian_collector_report_lag_seconds_bucket[$__rate_interval])))', 'p50'))
        .withTarget(q('histogram_quantile(0.95, sum by (le) (rate(xunjian_collector_report_lag_seconds_bucket[$__rate_interval])))', 'p95')),
    )
    .withPanel(
      timeseries(lang, { en: 'Spool depth (reports)', zh: '缓存积压（报告数）' }, 'short').withTarget(q(`xunjian_agent_spool_reports{${SEL}}`, '{{node}}')),
    )
    .withPanel(timeseries(lang, { en: 'Spool size', zh: '缓存大小' }, 'bytes').withTarget(q(`xunjian_agent_spool_bytes{${SEL}}`, '{{node}}')))
    .withPanel(
      timeseries(lang, { en: 'Dropped reports and samples', zh: '丢弃的报告与样本' }, 'short')
        .withTarget(q(`sum by (node) (increase(xunjian_agent_spool_dropped_reports_total{${SEL}}[$__rate_interval]))`, '{{node}} reports'))
        .withTarget(q(`sum by (node) (increase(xunjian_agent_buffer_dropped_samples_total{${SEL}}[$__rate_interval]))`, '{{node}} samples')),
    )
    .withPanel(table(lang, { en: 'Failing agent sources', zh: '失败的采集源' }).withTarget(q(`xunjian_agent_source_up{${SEL}} == 0`, '', tableFormat)))
    .withRow(row(lang, { en: 'Collector', zh: '采集器' }))
    .withPanel(
      timeseries(lang, { en: 'Ingest rate', zh: '接收速率' }, 'short')
        .withTarget(q('sum(rate(xunjian_collector_ingested_samples_total[$__rate_interval]))', 'samples/s'))
        .withTarget(q('sum by (result) (rate(xunjian_collector_reports_total[$__rate_interval]))', 'reports/s {{result}}')),
    )
    .withPanel(
      timeseries(lang, { en: 'Rejected reports by reason', zh: '被拒报告（按原因）' }, 'reqps').withTarget(
        q('sum by (reason) (rate(xunjian_collector_reports_rejected_total[$__rate_interval]))', '{{reason}}'),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'Samples refused by the series limit', zh: '超出序列上限被拒的样本' }, 'short').withTarget(
        q(`sum by (node) (rate(xunjian_collector_series_limit_refused_total{${NODE}}[$__rate_interval]))`, '{{node}}'),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'Rule group evaluation time', zh: '规则组评估耗时' }, 's').withTarget(
        q('max by (rule_group) (xunjian_rule_group_last_duration_seconds)', '{{rule_group}}'),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'Notification failures', zh: '通知失败' }, 'short').withTarget(
        q('sum by (receiver) (increase(xunjian_notifications_total{result!="ok"}[$__rate_interval]))', '{{receiver}}'),
      ),
    )
    .withRow(row(lang, { en: 'Remote write', zh: '远程写入' }))
    .withPanel(
      timeseries(lang, { en: 'Pending samples', zh: '待发送样本' }, 'short').withTarget(q('xunjian_remote_storage_samples_pending', '{{remote_name}}')),
    )
    .withPanel(
      timeseries(lang, { en: 'Remote-write lag', zh: '远程写入延迟' }, 's').withTarget(
        q(
          'max(xunjian_remote_storage_highest_timestamp_in_seconds) - ignoring (remote_name, url) group_right max by (remote_name, url) (xunjian_remote_storage_queue_highest_sent_timestamp_seconds)',
          '{{remote_name}}',
        ),
      ),
    )
    .withPanel(
      timeseries(lang, { en: 'Samples sent, retried, failed', zh: '已发送、重试、失败的样本' }, 'short', 24)
        .withTarget(q('sum by (remote_name) (rate(xunjian_remote_storage_samples_total[$__rate_interval]))', '{{remote_name}} sent/s'))
        .withTarget(q('sum by (remote_name) (rate(xunjian_remote_storage_samples_retried_total[$__rate_interval]))', '{{remote_name}} retried/s'))
        .withTarget(q('sum by (remote_name) (rate(xunjian_remote_storage_samples_failed_total[$__rate_interval]))', '{{remote_name}} failed/s')),
    );
  return finish(d);
}

export const DASHBOARDS: { file: string; build: (lang: Lang) => Dashboard }[] = [
  { file: 'fleet-overview', build: fleetOverview },
  { file: 'network-links', build: networkLinks },
  { file: 'ipv6', build: ipv6 },
  { file: 'mlps', build: mlps },
  { file: 'health', build: health },
];
