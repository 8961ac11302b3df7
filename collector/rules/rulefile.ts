import YAML, { isMap, isScalar, isSeq, LineCounter, type Node as YNode, type Pair, type YAMLMap } from 'yaml';
import { checkTemplate } from './template.js';

/**
 * Prometheus rule files (`groups[{name, interval, limit, rules[…]}]`), parsed and validated as
 * Prometheus 2.42's `model/rulefmt` does (what `promtool check rules` refuses, with the same wording
 * and `line:column` positions), plus what our engine lacks: an expression outside our PromQL subset or
 * a template outside our template subset is refused here, at load, naming the construct.
 */

export interface RuleDef<E = unknown> {
  kind: 'alert' | 'record';
  /** Alert name or recorded metric name. */
  name: string;
  expr: string;
  /** The engine's parsed expression. */
  parsed: E;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** 1-based line of the rule in its file. */
  line: number;
}

export interface GroupDef<E = unknown> {
  file: string;
  name: string;
  /** ms; undefined: the configured evaluation interval. */
  intervalMs?: number;
  limit: number;
  rules: RuleDef<E>[];
}

/** The engine's parser: returns the parsed expression, or throws with the reason. */
export type ExprParser<E> = (text: string) => E;

export class RuleFileError extends Error {
  constructor(
    readonly file: string,
    readonly errors: string[],
  ) {
    super(errors.map((e) => `${file}: ${e}`).join('\n'));
    this.name = 'RuleFileError';
  }
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Prometheus's model.ParseDuration (`1h30m`, `5m`, `0`), in ms. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const m = s === '' ? null : DURATION_RE.exec(s);
  if (!m) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
  const mult = [365 * 86400e3, 7 * 86400e3, 86400e3, 3600e3, 60e3, 1e3, 1];
  let ms = 0;
  m.slice(1).forEach((g, i) => {
    if (g !== undefined) ms += Number(g) * mult[i]!;
  });
  return ms;
}

/** Prometheus's model.Duration String(): `1h30m`, `5m`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let r = ms;
  let out = '';
  const units: [string, number][] = [
    ['y', 365 * 86400e3],
    ['w', 7 * 86400e3],
    ['d', 86400e3],
    ['h', 3600e3],
    ['m', 60e3],
    ['s', 1e3],
    ['ms', 1],
  ];
  for (const [u, n] of units) {
    const q = Math.floor(r / n);
    if (q > 0) {
      out += `${q}${u}`;
      r -= q * n;
    }
  }
  return out;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const GROUP_FIELDS = ['name', 'interval', 'limit', 'rules'];
const RULE_FIELDS = ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'];

interface Pos {
  line: number;
  col: number;
}

/**
 * Parse and validate one rule file's content. Returns the groups, or throws RuleFileError with
 * every problem found (`line:col: group "g", rule 1, "name": reason`, as promtool prints).
 */
export function parseRuleFile<E>(file: string, content: string, parseExpr: ExprParser<E>): GroupDef<E>[] {
  const lc = new LineCounter();
  const doc = YAML.parseDocument(content, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, strict: true });
  const pos = (n: YNode | null | undefined): Pos => {
    if (!n?.range) return { line: 0, col: 0 };
    const p = lc.linePos(n.range[0]);
    return { line: p.line, col: p.col };
  };
  const lineOf = (off: number) => lc.linePos(off).line;
  if (doc.errors.length) {
    throw new RuleFileError(
      file,
      doc.errors.map((e) => `yaml: line ${e.linePos?.[0]?.line ?? lineOf(e.pos[0])}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`),
    );
  }
  // ---- structural decoding (go-yaml's KnownFields(true) decode) ----
  const structural: string[] = [];
  const root = doc.contents;
  const groupsOut: GroupDef<E>[] = [];
  if (root === null || root === undefined || (isScalar(root) && (root.value === null || root.value === ''))) return [];
  if (!isMap(root))
    throw new RuleFileError(file, [`yaml: unmarshal errors:\n  line ${pos(root).line}: cannot unmarshal ${yamlTag(root)} into rulefmt.RuleGroups`]);
  const pairs = (m: YAMLMap) => m.items as Pair<YNode, YNode | null>[];
  let groupsNode: YNode | null = null;
  for (const p of pairs(root)) {
    const k = keyOf(p);
    if (k === 'groups') groupsNode = p.value;
    else structural.push(`line ${pos(p.key).line}: field ${k} not found in type rulefmt.RuleGroups`);
  }
  interface RawRule {
    node: YAMLMap;
    fields: Map<string, { key: YNode; value: YNode | null }>;
  }
  interface RawGroup {
    node: YAMLMap;
    fields: Map<string, { key: YNode; value: YNode | null }>;
    rules: RawRule[];
  }
  const raws: RawGroup[] = [];
  if (groupsNode && !(isScalar(groupsNode) && groupsNode.value === null)) {
    if (!isSeq(groupsNode)) structural.push(`line ${pos(groupsNode).line}: cannot unmarshal ${yamlTag(groupsNode)} into []rulefmt.RuleGroup`);
    else
      for (const g of groupsNode.items as YNode[]) {
        if (!isMap(g)) {
          structural.push(`line ${pos(g).line}: cannot unmarshal ${yamlTag(g)} into rulefmt.RuleGroup`);
          continue;
        }
        const fields = new Map<string, { key: YNode; value: YNode | null }>();
        for (const p of pairs(g)) {
          const k = keyOf(p);
          if (!GROUP_FIELDS.includes(k)) structural.push(`line ${pos(p.key).line}: field ${k} not found in type rulefmt.RuleGroup`);
          else fields.set(k, { key: p.key, value: p.value });
        }
        const rg: RawGroup = { node: g, fields, rules: [] };
        const rn = fields.get('rules')?.value;
        if (rn && !(isScalar(rn) && rn.value === null)) {
          if (!isSeq(rn)) structural.push(`line ${pos(rn).line}: cannot unmarshal ${yamlTag(rn)} into []rulefmt.RuleNode`);
          else
            for (const r of rn.items as YNode[]) {
              if (!isMap(r)) {
                structural.push(`line ${pos(r).line}: cannot unmarshal ${yamlTag(r)} into rulefmt.RuleNode`);
                continue;
              }
              const rf = new Map<string, { key: YNode; value: YNode | null }>();
              for (const p of pairs(r)) {
                const k = keyOf(p);
                if (!RULE_FIELDS.includes(k)) structural.push(`line ${pos(p.key).line}: field ${k} not found in type rulefmt.RuleNode`);
                else rf.set(k, { key: p.key, value: p.value });
              }
              rg.rules.push({ node: r, fields: rf });
            }
        }
        raws.push(rg);
      }
  }
  // scalar and map typing (go-yaml type errors)
  const scalarStr = (n: YNode | null | undefined, into: string): string => {
    if (!n || (isScalar(n) && n.value === null)) return '';
    if (!isScalar(n) || typeof n.value === 'object') {
      structural.push(`line ${pos(n).line}: cannot unmarshal ${yamlTag(n)} into ${into}`);
      return '';
    }
    return String(n.source ?? n.value);
  };
  const durationOf = (n: YNode | null | undefined, errs: string[]): number => {
    const s = scalarStr(n, 'model.Duration');
    if (s === '') return 0;
    try {
      return parseDuration(s);
    } catch (e) {
      errs.push((e as Error).message);
      return 0;
    }
  };
  const mapOf = (n: YNode | null | undefined, into: string): Record<string, string> => {
    const out: Record<string, string> = {};
    if (!n || (isScalar(n) && n.value === null)) return out;
    if (!isMap(n)) {
      structural.push(`line ${pos(n).line}: cannot unmarshal ${yamlTag(n)} into ${into}`);
      return out;
    }
    for (const p of pairs(n)) out[keyOf(p)] = scalarStr(p.value, 'string');
    return out;
  };
  const durationErrors: string[] = [];
  const typed = raws.map((g) => {
    const limitNode = g.fields.get('limit')?.value;
    const limitStr = scalarStr(limitNode, 'int');
    if (limitStr !== '' && !/^[+-]?\d+$/.test(limitStr)) structural.push(`line ${pos(limitNode).line}: cannot unmarshal !!str \`${limitStr}\` into int`);
    const intervalNode = g.fields.get('interval')?.value;
    return {
      raw: g,
      name: scalarStr(g.fields.get('name')?.value, 'string'),
      intervalMs: durationOf(intervalNode, durationErrors),
      intervalSet: intervalNode !== undefined && intervalNode !== null,
      limit: limitStr === '' ? 0 : Number(limitStr),
      rules: g.rules.map((r) => ({
        raw: r,
        record: { value: scalarStr(r.fields.get('record')?.value, 'string'), node: r.fields.get('record')?.value },
        alert: { value: scalarStr(r.fields.get('alert')?.value, 'string'), node: r.fields.get('alert')?.value },
        expr: { value: scalarStr(r.fields.get('expr')?.value, 'string'), node: r.fields.get('expr')?.value },
        forMs: durationOf(r.fields.get('for')?.value, durationErrors),
        keepMs: durationOf(r.fields.get('keep_firing_for')?.value, durationErrors),
        labels: mapOf(r.fields.get('labels')?.value, 'map[string]string'),
        annotations: mapOf(r.fields.get('annotations')?.value, 'map[string]string'),
      })),
    };
  });
  if (structural.length) throw new RuleFileError(file, [`yaml: unmarshal errors:\n${structural.map((s) => `  ${s}`).join('\n')}`]);
  if (durationErrors.length) throw new RuleFileError(file, durationErrors);

  // ---- semantic validation (RuleGroups.Validate) ----
  const errs: string[] = [];
  const at = (n: YNode | null | undefined) => {
    const p = pos(n);
    return `${p.line}:${p.col}`;
  };
  const seen = new Set<string>();
  for (const g of typed) {
    if (g.name === '') errs.push(`${at(g.raw.node)}: Groupname must not be empty`);
    if (seen.has(g.name)) errs.push(`${at(g.raw.node)}: groupname: "${g.name}" is repeated in the same file`);
    seen.add(g.name);
    const rulesOut: RuleDef<E>[] = [];
    g.rules.forEach((r, i) => {
      const ruleName = r.alert.value !== '' ? r.alert.value : r.record.value;
      const prefix = (node: string | undefined) => `${node ? `${node}: ` : ''}group "${g.name}", rule ${i + 1}, ${JSON.stringify(ruleName)}: `;
      const e = (reason: string, node?: string) => errs.push(prefix(node) + reason);
      if (r.record.value !== '' && r.alert.value !== '') e("only one of 'record' and 'alert' must be set", `${at(r.record.node)}: ${at(r.alert.node)}`);
      if (r.record.value === '' && r.alert.value === '') e("one of 'record' or 'alert' must be set", at(r.record.node));
      let parsed: E | undefined;
      if (r.expr.value === '') e("field 'expr' must be set in rule", at(r.expr.node));
      else {
        try {
          parsed = parseExpr(r.expr.value);
        } catch (err) {
          e(`could not parse expression: ${(err as Error).message}`, at(r.expr.node));
        }
      }
      if (r.record.value !== '') {
        if (Object.keys(r.annotations).length > 0) e("invalid field 'annotations' in recording rule", at(r.record.node));
        if (r.forMs !== 0) e("invalid field 'for' in recording rule", at(r.record.node));
        if (r.keepMs !== 0) e("invalid field 'keep_firing_for' in recording rule", at(r.record.node));
        if (!METRIC_NAME.test(r.record.value)) e(`invalid recording rule name: ${r.record.value}`, at(r.record.node));
      }
      for (const k of Object.keys(r.labels)) if (!LABEL_NAME.test(k) || k === '__name__') e(`invalid label name: ${k}`);
      for (const k of Object.keys(r.annotations)) if (!LABEL_NAME.test(k)) e(`invalid annotation name: ${k}`);
      if (r.alert.value !== '') {
        for (const [k, v] of Object.entries(r.labels)) {
          const te = checkTemplate(v, r.alert.value);
          if (te) e(`label ${JSON.stringify(k)}: ${te}`);
        }
        for (const [k, v] of Object.entries(r.annotations)) {
          const te = checkTemplate(v, r.alert.value);
          if (te) e(`annotation ${JSON.stringify(k)}: ${te}`);
        }
      }
      if (parsed !== undefined)
        rulesOut.push({
          kind: r.alert.value !== '' ? 'alert' : 'record',
          name: ruleName,
          expr: r.expr.value,
          parsed,
          forMs: r.forMs,
          keepFiringForMs: r.keepMs,
          labels: r.labels,
          annotations: r.annotations,
          line: pos(r.raw.node).line,
        });
    });
    groupsOut.push({ file, name: g.name, intervalMs: g.intervalSet && g.intervalMs > 0 ? g.intervalMs : undefined, limit: g.limit, rules: rulesOut });
  }
  if (errs.length) throw new RuleFileError(file, errs);
  return groupsOut;
}

function keyOf(p: Pair<YNode, YNode | null>): string {
  const k = p.key as unknown;
  if (isScalar(k)) return String(k.value);
  return String(k);
}

function yamlTag(n: YNode): string {
  if (isMap(n)) return '!!map';
  if (isSeq(n)) return '!!seq';
  if (isScalar(n)) {
    const v = n.value;
    const t = typeof v === 'number' ? (Number.isInteger(v) ? '!!int' : '!!float') : typeof v === 'boolean' ? '!!bool' : '!!str';
    return `${t} \`${String(n.source ?? v)}\``;
  }
  return '!!node';
}
