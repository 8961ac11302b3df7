import type { Dashboard, DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';
import { DashboardBuilder, QueryVariableBuilder, RowBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  BarGaugeDisplayMode,
  BarGaugeNamePlacement,
  BarGaugeSizing,
  BarGaugeValueMode,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  FieldTextAlignment,
  LegendDisplayMode,
  LegendPlacement,
  PercentChangeColorMode,
  ReduceDataOptionsBuilder,
  SortOrder,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizOrientation,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/** Languages of the generated dashboards: one JSON file per dashboard and language. */
export type Lang = 'en' | 'zh-CN';
export const LANGS: readonly Lang[] = ['en', 'zh-CN'];

/** A text in both languages. */
export interface Text {
  en: string;
  zh: string;
}
export const t = (lang: Lang, x: Text): string => (lang === 'en' ? x.en : x.zh);

/**
 * The Prometheus datasource by fixed uid (provisioning/datasources/xunjian.yaml sets it): file
 * provisioning never resolves `${DS_PROMETHEUS}` inputs.
 */
export const DATASOURCE_UID = 'xunjian-prometheus';
export const DS: DataSourceRef = { type: 'prometheus', uid: DATASOURCE_UID };

/** schemaVersion 39 = Grafana 10.4; Grafana 11.x migrates it on load (41 = 11.6). */
export const SCHEMA_VERSION = 39;

/** Label filters of the template variables (fleet series carry node, site, zone). */
export const SEL = 'zone=~"$zone", site=~"$site", node=~"$node"';
export const NODE = 'node=~"$node"';
export const DEV = 'node=~"$node", target=~"$device"';

export function q(expr: string, legend = '', opts: { instant?: boolean; table?: boolean } = {}) {
  const b = new DataqueryBuilder()
    .datasource(DS)
    .expr(expr)
    .legendFormat(legend || '__auto');
  if (opts.instant) b.instant();
  if (opts.table) b.format(PromQueryFormat.Table);
  return b;
}

function variable(name: string, label: string, query: string) {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DS)
    .query(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all', selected: true });
}

/** zone → site → node → device, each narrowing the next (devices: SNMP targets polled by the nodes). */
export function withVariables(d: DashboardBuilder, lang: Lang, device = false): DashboardBuilder {
  d.withVariable(variable('zone', t(lang, { en: 'Zone', zh: '区域' }), 'label_values(xunjian_node_up, zone)'))
    .withVariable(variable('site', t(lang, { en: 'Site', zh: '站点' }), 'label_values(xunjian_node_up{zone=~"$zone"}, site)'))
    .withVariable(variable('node', t(lang, { en: 'Node', zh: '节点' }), 'label_values(xunjian_node_up{zone=~"$zone", site=~"$site"}, node)'));
  if (device) d.withVariable(variable('device', t(lang, { en: 'Device', zh: '设备' }), 'label_values(ifOperStatus{node=~"$node"}, target)'));
  return d;
}

export function dashboard(lang: Lang, uid: string, title: Text, tags: string[]): DashboardBuilder {
  return new DashboardBuilder(t(lang, title))
    .uid(lang === 'en' ? uid : `${uid}-zh`)
    .tags(['xunjian', ...tags, lang])
    .editable()
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser');
}

export const row = (lang: Lang, title: Text) => new RowBuilder(t(lang, title));

// Panel options are set in full (the panel schemas require them; Grafana would fill the same defaults).
const legend = (mode = LegendDisplayMode.List) => new VizLegendOptionsBuilder().displayMode(mode).placement(LegendPlacement.Bottom).showLegend(true).calcs([]);
const tooltip = () => new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending);
const lastValue = () => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

export function timeseries(lang: Lang, title: Text, unit: string, w = 12, h = 8) {
  return new TimeseriesPanel().title(t(lang, title)).datasource(DS).unit(unit).gridPos({ x: 0, y: 0, w, h }).legend(legend()).tooltip(tooltip());
}

export function stat(lang: Lang, title: Text, unit: string, w = 6, h = 5) {
  return new StatPanel()
    .title(t(lang, title))
    .datasource(DS)
    .unit(unit)
    .gridPos({ x: 0, y: 0, w, h })
    .graphMode(BigValueGraphMode.Area)
    .colorMode(BigValueColorMode.Value)
    .justifyMode(BigValueJustifyMode.Auto)
    .textMode(BigValueTextMode.Auto)
    .wideLayout(true)
    .showPercentChange(false)
    .percentChangeColorMode(PercentChangeColorMode.Standard)
    .orientation(VizOrientation.Auto)
    .reduceOptions(lastValue());
}

export function table(lang: Lang, title: Text, w = 12, h = 8) {
  return new TablePanel()
    .title(t(lang, title))
    .datasource(DS)
    .gridPos({ x: 0, y: 0, w, h })
    .frameIndex(0)
    .showHeader(true)
    .align(FieldTextAlignment.Auto)
    .inspect(false);
}

export function bargauge(lang: Lang, title: Text, unit: string, w = 12, h = 8) {
  return new BarGaugePanel()
    .title(t(lang, title))
    .datasource(DS)
    .unit(unit)
    .gridPos({ x: 0, y: 0, w, h })
    .displayMode(BarGaugeDisplayMode.Gradient)
    .valueMode(BarGaugeValueMode.Color)
    .namePlacement(BarGaugeNamePlacement.Auto)
    .showUnfilled(true)
    .sizing(BarGaugeSizing.Auto)
    .minVizWidth(8)
    .minVizHeight(16)
    .maxVizHeight(300)
    .orientation(VizOrientation.Horizontal)
    .legend(legend())
    .reduceOptions(lastValue());
}

export function timeline(lang: Lang, title: Text, w = 24, h = 8) {
  return new StateTimelinePanel()
    .title(t(lang, title))
    .datasource(DS)
    .gridPos({ x: 0, y: 0, w, h })
    .showValue(VisibilityMode.Auto)
    .rowHeight(0.9)
    .legend(legend())
    .tooltip(tooltip());
}

/** Build, pin the schema version and give every panel a stable id. */
export function finish(d: DashboardBuilder): Dashboard {
  const out = d.build();
  out.schemaVersion = SCHEMA_VERSION;
  let id = 1;
  const setIds = (p: unknown) => {
    const x = p as { id?: number; targets?: { refId?: string }[] };
    x.id = id++;
    for (const [i, tg] of (x.targets ?? []).entries()) tg.refId = String.fromCharCode(65 + i);
  };
  for (const p of out.panels ?? []) {
    setIds(p);
    for (const sub of (p as { panels?: { id?: number }[] }).panels ?? []) setIds(sub);
  }
  return out;
}

/** Every PromQL expression of a dashboard: panel targets and query variables, with where they are. */
export function queriesOf(d: Dashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const panels = (d.panels ?? []).flatMap((p) => [p, ...((p as { panels?: unknown[] }).panels ?? [])]) as { title?: string; targets?: { expr?: string }[] }[];
  for (const p of panels) for (const [i, tg] of (p.targets ?? []).entries()) if (tg.expr) out.push({ where: `panel "${p.title}" target ${i}`, expr: tg.expr });
  for (const v of d.templating?.list ?? []) {
    const query = (v.query as { query?: string } | undefined)?.query;
    if (query) out.push({ where: `variable ${v.name}`, expr: query });
  }
  return out;
}
