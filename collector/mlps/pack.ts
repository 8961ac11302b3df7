/**
 * MLPS rule packs: load, validate, compile. A level pack (`level3.yaml`) extends the shared base
 * (`base.yaml`); the clause catalog (`clauses.yaml`) is the standard's list of items. Everything a
 * pack author can get wrong is refused here with file and line: YAML syntax, unknown keys, missing
 * texts, duplicate ids, a clause outside the catalog (or of the other level), an unknown fact or
 * parameter, a CEL syntax or type error, a condition that is not boolean.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, type Node, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import {
  type Compiled,
  FACT_SCHEMAS,
  TARGET_KINDS,
  type TargetKind,
  buildEnvironment,
  buildRuntimeEnvironment,
  factVariables,
  type ParamType,
  paramType,
  referencedNames,
} from './cel.js';

export type Grade = 2 | 3;
export interface Text {
  zh: string;
  en: string;
}
export type Lang = 'zh-CN' | 'en';
export const text = (t: Text | undefined, lang: Lang): string => (t ? (lang === 'en' ? t.en : t.zh) : '');

/** One item of the standard (`8.1.4.1 a`) with its family and section. */
export interface ClauseItem {
  clause: string;
  grade: Grade;
  /** `L3-CES1-01`: GB/T 28448-2019 indicator, numbered in the standard's order within the family. */
  indicator: string;
  family: { id: string; title: Text };
  section: { id: string; title: Text };
  title: Text;
  guidance: Text;
}

export interface ParamDef {
  default: unknown;
  type: ParamType;
  title: Text;
}

export interface Check {
  id: string;
  grade: Grade;
  clause: string;
  item: ClauseItem;
  appliesTo: TargetKind;
  title: Text;
  rationale: Text;
  remediation: Text;
  facts: string[];
  condition: string;
  when?: string;
  /** What a false condition means: `fail`, or `manual` for heuristics whose absence proves nothing. */
  onFalse: 'fail' | 'manual';
  source: { file: string; line: number };
  compiled: { condition: Compiled; when?: Compiled };
}

export interface Pack {
  name: string;
  version: string;
  grade: Grade;
  files: string[];
  params: Record<string, ParamDef>;
  checks: Check[];
  /** Every item of the catalog at this grade, in the standard's order. */
  clauses: ClauseItem[];
  /** Items no automated check covers: reported as manual with their guidance. */
  manual: ClauseItem[];
}

/** A pack problem: file, line and what is wrong. */
export class PackError extends Error {
  constructor(readonly problems: { file: string; line: number; message: string }[]) {
    super(problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
    this.name = 'PackError';
  }
}

/** The folder of the shipped packs (rules/mlps), from this file in the source tree or dist/. */
export function defaultPackDir(): string {
  const here = dirname(new URL(import.meta.url).pathname);
  // collector/mlps → ../../rules/mlps; dist/collector/mlps → ../../../rules/mlps
  for (const up of ['../../rules/mlps', '../../../rules/mlps']) {
    const p = resolve(here, up);
    try {
      readFileSync(join(p, 'clauses.yaml'));
      return p;
    } catch {
      // try the next
    }
  }
  return resolve(here, '../../rules/mlps');
}

interface Src {
  file: string;
  lc: LineCounter;
  problems: { file: string; line: number; message: string }[];
}
const lineOf = (src: Src, n: Node | null | undefined): number => (n?.range ? src.lc.linePos(n.range[0]).line : 1);
const fail = (src: Src, n: Node | null | undefined, message: string) => src.problems.push({ file: src.file, line: lineOf(src, n), message });

function parseYaml(file: string, problems: Src['problems']): { src: Src; root: Node | null } {
  const lc = new LineCounter();
  const src: Src = { file, lc, problems };
  let t: string;
  try {
    t = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file, line: 1, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return { src, root: null };
  }
  const doc = parseDocument(t, { lineCounter: lc, prettyErrors: false });
  // the first error is the one to fix; the rest usually follow from it
  for (const e of doc.errors.slice(0, 3)) problems.push({ file, line: lc.linePos(e.pos[0]).line, message: `YAML: ${e.message.split('\n')[0]}` });
  return { src, root: doc.errors.length ? null : (doc.contents as Node | null) };
}

/** The value node of key in a map node. */
function get(n: Node | null | undefined, key: string): Node | undefined {
  if (!isMap(n)) return undefined;
  for (const p of n.items) if (isScalar(p.key) && String(p.key.value) === key) return (p.value as Node | null) ?? undefined;
  return undefined;
}
const keysOf = (n: Node | null | undefined): { key: string; node: Node }[] =>
  isMap(n) ? n.items.map((p) => ({ key: String((p.key as { value?: unknown })?.value), node: p.key as Node })) : [];
const scalar = (n: Node | undefined): unknown => (isScalar(n) ? n.value : undefined);
const str = (n: Node | undefined): string | undefined => {
  const v = scalar(n);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
};

function textOf(src: Src, parent: Node, key: string, required = true): Text | undefined {
  const n = get(parent, key);
  if (!n) {
    if (required) fail(src, parent, `${key}: missing (a map with zh and en texts)`);
    return undefined;
  }
  const zh = str(get(n, 'zh'));
  const en = str(get(n, 'en'));
  if (!zh || !en) {
    fail(src, n, `${key}: needs non-empty zh and en texts`);
    return undefined;
  }
  return { zh, en };
}

// ------------------------------------------------------------------------------------ catalog

/** The clause catalog: grade → items in order (with `same:` references resolved). */
export function loadCatalog(file: string): Map<Grade, ClauseItem[]> {
  const problems: Src['problems'] = [];
  const { src, root } = parseYaml(file, problems);
  const out = new Map<Grade, ClauseItem[]>();
  if (root) {
    const levels = get(root, 'levels');
    const sections = new Map<string, { title: Text; guidance?: Text; node: Node }>();
    const items = new Map<string, Text>();
    const pending: {
      item: Omit<ClauseItem, 'title' | 'guidance'> & { title?: Text; guidance?: Text };
      itemSame?: string;
      guidanceSame?: string;
      node: Node;
    }[] = [];
    for (const { key: g, node: gk } of keysOf(levels)) {
      const grade = Number(g) as Grade;
      if (grade !== 2 && grade !== 3) {
        fail(src, gk, `levels: ${g} is not a level (2 or 3)`);
        continue;
      }
      const fams = get(levels, g);
      for (const fam of isSeq(fams) ? (fams.items as Node[]) : []) {
        const famId = str(get(fam, 'id'));
        const code = str(get(fam, 'code'));
        const famTitle = { zh: str(get(fam, 'zh')) ?? '', en: str(get(fam, 'en')) ?? '' };
        if (!famId || !code || !famTitle.zh || !famTitle.en) fail(src, fam, 'a family needs id, code, zh and en');
        let seq = 0;
        const secs = get(fam, 'sections');
        for (const sec of isSeq(secs) ? (secs.items as Node[]) : []) {
          const secId = str(get(sec, 'id'));
          const secTitle = { zh: str(get(sec, 'zh')) ?? '', en: str(get(sec, 'en')) ?? '' };
          if (!secId || !secTitle.zh || !secTitle.en) fail(src, sec, 'a section needs id, zh and en');
          const gn = get(sec, 'guidance');
          const guidanceSame = str(get(gn, 'same'));
          const guidance = guidanceSame ? undefined : textOf(src, sec, 'guidance');
          sections.set(secId ?? '', { title: secTitle, guidance, node: sec });
          const its = get(sec, 'items');
          for (const { key: letter } of keysOf(its)) {
            const n = get(its, letter)!;
            const clause = `${secId} ${letter}`;
            const same = str(get(n, 'same'));
            const t = same ? undefined : { zh: str(get(n, 'zh')) ?? '', en: str(get(n, 'en')) ?? '' };
            if (t && (!t.zh || !t.en)) fail(src, n, `${clause}: needs zh and en, or same: <item>`);
            if (t) items.set(clause, t);
            seq++;
            pending.push({
              item: {
                clause,
                grade,
                indicator: `L${grade}-${code}-${String(seq).padStart(2, '0')}`,
                family: { id: famId ?? '', title: famTitle },
                section: { id: secId ?? '', title: secTitle },
                title: t,
                guidance,
              },
              itemSame: same,
              guidanceSame,
              node: n,
            });
          }
        }
      }
    }
    for (const p of pending) {
      const title = p.item.title ?? (p.itemSame ? items.get(p.itemSame) : undefined);
      if (!title) fail(src, p.node, `${p.item.clause}: same: ${p.itemSame} is not an item with its own text`);
      const guidance = p.item.guidance ?? (p.guidanceSame ? sections.get(p.guidanceSame)?.guidance : undefined);
      if (!guidance) fail(src, p.node, `${p.item.section.id}: guidance same: ${p.guidanceSame} is not a section with its own guidance`);
      const list = out.get(p.item.grade) ?? [];
      list.push({ ...p.item, title: title ?? { zh: '', en: '' }, guidance: guidance ?? { zh: '', en: '' } });
      out.set(p.item.grade, list);
    }
  }
  if (problems.length) throw new PackError(problems);
  return out;
}

// ------------------------------------------------------------------------------------ packs

const CHECK_KEYS = new Set(['id', 'clause', 'applies_to', 'title', 'rationale', 'remediation', 'facts', 'condition', 'when', 'on_false']);
const PACK_KEYS = new Set(['pack', 'version', 'grade', 'extends', 'params', 'checks']);
const ID = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;

interface RawCheck {
  src: Src;
  node: Node;
  id: string;
  clauseNode: Node;
  clauses: Partial<Record<Grade, string>>;
}

/**
 * Loads the pack of a grade: `<dir>/level<grade>.yaml` and what it extends, with the catalog
 * `<dir>/clauses.yaml`. Throws PackError listing every problem with file and line.
 */
export function loadPack(grade: Grade, dir = defaultPackDir()): Pack {
  return loadPackFile(join(dir, `level${grade}.yaml`), join(dir, 'clauses.yaml'));
}

export function loadPackFile(file: string, catalogFile = join(dirname(file), 'clauses.yaml')): Pack {
  const catalog = loadCatalog(catalogFile);
  const problems: Src['problems'] = [];
  const top = parseYaml(file, problems);
  if (!top.root) throw new PackError(problems);
  const gradeN = scalar(get(top.root, 'grade'));
  if (gradeN !== 2 && gradeN !== 3) {
    fail(top.src, get(top.root, 'grade') ?? top.root, 'grade: must be 2 or 3');
    throw new PackError(problems);
  }
  const grade = gradeN as Grade;
  const files: { src: Src; root: Node }[] = [];
  const ext = str(get(top.root, 'extends'));
  if (ext) {
    const base = parseYaml(resolve(dirname(file), ext), problems);
    if (base.root) {
      if (get(base.root, 'extends')) fail(base.src, get(base.root, 'extends'), 'extends: a base pack cannot extend another');
      files.push({ src: base.src, root: base.root });
    }
  }
  files.push({ src: top.src, root: top.root });
  const items = new Map((catalog.get(grade) ?? []).map((i) => [i.clause, i]));
  const otherItems = new Map((catalog.get(grade === 3 ? 2 : 3) ?? []).map((i) => [i.clause, i]));

  // parameters: declared once (the level pack may change a base default, same type)
  const params: Record<string, ParamDef> = {};
  for (const { src, root } of files) {
    for (const { key } of keysOf(root))
      if (!PACK_KEYS.has(key)) fail(src, get(root, key), `${key}: unknown key (expected one of ${[...PACK_KEYS].join(', ')})`);
    if (!str(get(root, 'pack'))) fail(src, root, 'pack: missing name');
    if (!str(get(root, 'version'))) fail(src, root, 'version: missing');
    const ps = get(root, 'params');
    for (const { key } of keysOf(ps)) {
      const n = get(ps, key)!;
      const dn = get(n, 'default');
      const def = dn === undefined ? undefined : (dn as { toJSON(): unknown }).toJSON();
      const t = paramType(def);
      if (typeof t !== 'string') {
        fail(src, n, `params.${key}.default: must be ${t.error}`);
        continue;
      }
      const title = { zh: str(get(n, 'zh')) ?? '', en: str(get(n, 'en')) ?? '' };
      if (!title.zh || !title.en) fail(src, n, `params.${key}: needs zh and en descriptions`);
      if (params[key] && params[key]!.type !== t) fail(src, n, `params.${key}: redeclared as ${t}, the base declares ${params[key]!.type}`);
      params[key] = { default: def, type: t, title };
    }
  }
  const paramTypes = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.type]));
  const envs = Object.fromEntries(TARGET_KINDS.map((k) => [k, buildEnvironment(k, paramTypes)])) as Record<TargetKind, ReturnType<typeof buildEnvironment>>;
  const runtime = Object.fromEntries(TARGET_KINDS.map((k) => [k, buildRuntimeEnvironment(k)])) as Record<TargetKind, ReturnType<typeof buildEnvironment>>;

  const checks: Check[] = [];
  const ids = new Map<string, string>();
  for (const { src, root } of files) {
    const isBase = src !== top.src;
    const cs = get(root, 'checks');
    if (cs !== undefined && !isSeq(cs)) fail(src, cs, 'checks: must be a list');
    for (const node of isSeq(cs) ? (cs.items as Node[]) : []) {
      for (const { key, node: kn } of keysOf(node))
        if (!CHECK_KEYS.has(key)) fail(src, kn, `${key}: unknown key of a check (expected one of ${[...CHECK_KEYS].join(', ')})`);
      const id = str(get(node, 'id'));
      if (!id || !ID.test(id)) {
        fail(src, get(node, 'id') ?? node, `id: ${id ?? 'missing'}: must be dotted lower-case words (host.ident.uid0)`);
        continue;
      }
      const where = `${src.file}:${lineOf(src, node)}`;
      if (ids.has(id)) fail(src, get(node, 'id'), `id: ${id} is already defined at ${ids.get(id)}`);
      ids.set(id, where);
      const raw = readClause(src, node, id, isBase, grade);
      if (!raw) continue;
      const clause = raw.clauses[grade];
      // a base check of the other level only, or a level pack's check, must still name real items
      for (const [g, c] of Object.entries(raw.clauses)) {
        const list = Number(g) === grade ? items : otherItems;
        if (!list.has(c!))
          fail(src, raw.clauseNode, `clause: ${c} is not an item of level ${g} in the catalog (GB/T 22239-2019 ${Number(g) === 3 ? '8.1' : '7.1'})`);
      }
      if (!clause || !items.has(clause)) continue;
      const kindN = get(node, 'applies_to');
      const kind = str(kindN) as TargetKind | undefined;
      if (!kind || !TARGET_KINDS.includes(kind)) {
        fail(src, kindN ?? node, `applies_to: ${kind ?? 'missing'}: expected one of ${TARGET_KINDS.join(', ')}`);
        continue;
      }
      const title = textOf(src, node, 'title');
      const rationale = textOf(src, node, 'rationale');
      const remediation = textOf(src, node, 'remediation');
      const factsN = get(node, 'facts');
      const facts = isSeq(factsN) ? (factsN.items as Node[]).map((n) => ({ id: str(n) ?? '', node: n })) : [];
      if (!facts.length) fail(src, factsN ?? node, 'facts: a non-empty list of the fact ids that are evidence');
      const known = FACT_SCHEMAS[kind];
      for (const f of facts) if (!(f.id in known)) fail(src, f.node, `facts: unknown fact ${f.id} for ${kind} (${suggest(f.id, Object.keys(known))})`);
      const onFalseN = get(node, 'on_false');
      const onFalse = (str(onFalseN) ?? 'fail') as 'fail' | 'manual';
      if (onFalse !== 'fail' && onFalse !== 'manual') fail(src, onFalseN, 'on_false: fail or manual');
      const compile = (key: 'condition' | 'when'): Compiled | undefined => {
        const n = get(node, key);
        const expr = str(n);
        if (!expr) {
          if (key === 'condition') fail(src, n ?? node, 'condition: missing CEL expression');
          return undefined;
        }
        const at = (offset: number) =>
          ({
            ...n!,
            range: [(n!.range?.[0] ?? 0) + (isScalar(n) && (n.type === 'PLAIN' || n.type?.startsWith('QUOTE')) ? offset : 0), 0, 0],
          }) as unknown as Node;
        let c: Compiled;
        try {
          c = envs[kind].parse(expr);
        } catch (err) {
          fail(src, n, `${key}: CEL syntax error: ${firstLine(err)}`);
          return undefined;
        }
        const refs = referencedNames(c.ast, factVariables(kind));
        const before = src.problems.length;
        for (const r of refs.facts) {
          if (!(r.id in known)) fail(src, at(r.start), `${key}: unknown fact ${r.id} for ${kind} (${suggest(r.id, Object.keys(known))})`);
          else if (!facts.some((f) => f.id === r.id))
            fail(src, at(r.start), `${key}: fact ${r.id} is used but not listed in facts (its evidence and status decide the result)`);
        }
        for (const r of refs.params)
          if (!(r.name in params)) fail(src, at(r.start), `${key}: unknown parameter params.${r.name} (${suggest(r.name, Object.keys(params))})`);
        // a misspelt name also fails the type check: report it once
        if (src.problems.length > before) return undefined;
        const tc = c.check();
        if (!tc.valid) {
          fail(src, n, `${key}: CEL type error: ${firstLine(tc.error)}`);
          return undefined;
        }
        if (tc.type !== 'bool') {
          fail(src, n, `${key}: must be a boolean expression, is ${tc.type}`);
          return undefined;
        }
        // checked against the schema; run over plain maps (see buildRuntimeEnvironment)
        return runtime[kind].parse(expr);
      };
      const condition = compile('condition');
      const when = get(node, 'when') ? compile('when') : undefined;
      if (!condition || !title || !rationale || !remediation || (get(node, 'when') && !when)) continue;
      checks.push({
        id,
        grade,
        clause,
        item: items.get(clause)!,
        appliesTo: kind,
        title,
        rationale,
        remediation,
        facts: facts.map((f) => f.id),
        condition: str(get(node, 'condition'))!,
        when: str(get(node, 'when')),
        onFalse,
        source: { file: src.file, line: lineOf(src, node) },
        compiled: { condition, when },
      });
    }
  }
  if (problems.length) throw new PackError(problems);
  const clauses = catalog.get(grade) ?? [];
  const order = new Map(clauses.map((c, i) => [c.clause, i]));
  checks.sort((a, b) => order.get(a.clause)! - order.get(b.clause)! || a.id.localeCompare(b.id));
  const covered = new Set(checks.map((c) => c.clause));
  return {
    name: str(get(top.root, 'pack'))!,
    version: str(get(top.root, 'version'))!,
    grade,
    files: files.map((f) => f.src.file),
    params,
    checks,
    clauses,
    manual: clauses.filter((c) => !covered.has(c.clause)),
  };
}

/** The clause of a check for each level: a string in a level pack, `{2: …, 3: …}` in the base. */
function readClause(src: Src, node: Node, id: string, isBase: boolean, grade: Grade): RawCheck | undefined {
  const n = get(node, 'clause');
  if (!n) {
    fail(src, node, `${id}: clause: missing`);
    return undefined;
  }
  const clauses: Partial<Record<Grade, string>> = {};
  if (isScalar(n)) {
    if (isBase) {
      fail(src, n, `clause: a base check names its clause per level: {2: 7.1.x.y a, 3: 8.1.x.y a}`);
      return undefined;
    }
    clauses[grade] = str(n);
  } else if (isMap(n)) {
    for (const { key, node: kn } of keysOf(n)) {
      if (key !== '2' && key !== '3') fail(src, kn, `clause: ${key} is not a level (2 or 3)`);
      else clauses[Number(key) as Grade] = str(get(n, key));
    }
  } else {
    fail(src, n, 'clause: a string or a map of level to clause');
    return undefined;
  }
  for (const c of Object.values(clauses)) if (!c || !/^\d\.1\.\d+\.\d+ [a-z]$/.test(c)) fail(src, n, `clause: ${c ?? 'empty'}: expected e.g. 8.1.4.1 a`);
  return { src, node, id, clauseNode: n, clauses };
}

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0];

/** "did you mean …" for a misspelt name. */
function suggest(name: string, known: string[]): string {
  const d = (a: string, b: string) => {
    const m = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
    for (let j = 1; j <= b.length; j++) m[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) m[i]![j] = Math.min(m[i - 1]![j]! + 1, m[i]![j - 1]! + 1, m[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return m[a.length]![b.length]!;
  };
  const best = known.map((k) => [k, d(name, k)] as const).sort((a, b) => a[1] - b[1])[0];
  const prefix = known.find((k) => k.startsWith(name) || name.startsWith(k));
  if (best && best[1] <= Math.max(2, name.length / 4)) return `did you mean ${best[0]}?`;
  return prefix ? `did you mean ${prefix}?` : 'no such name in the schema';
}
