import { describe, expect, it } from 'vitest';
import { xunjian } from '../../test/helpers/proc.js';

/** The built `xunjian rules` commands (npm test builds dist/ before vitest runs). */
describe('xunjian rules', () => {
  it('check passes on the shipped rules', () => {
    const r = xunjian(['rules', 'check', 'rules/alerts/node.yaml', 'rules/alerts/snmp.yaml']);
    expect(r.stdout).toBe('Checking rules/alerts/node.yaml\n  SUCCESS: 4 rules found\n\nChecking rules/alerts/snmp.yaml\n  SUCCESS: 5 rules found\n\n');
    expect(r.code).toBe(0);
  });
  it('check exits 1 on a file that is not a rule file', () => {
    const r = xunjian(['rules', 'check', 'rules/alerts/tests/node.test.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '  FAILED:\nrules/alerts/tests/node.test.yaml: yaml: unmarshal errors:\n  line 2: field rule_files not found in type rulefmt.RuleGroups',
    );
  });
  it('test runs promtool-format tests: 0 when they pass, 1 when one fails', () => {
    const ok = xunjian(['rules', 'test', 'rules/alerts/tests/ipv6.test.yaml']);
    expect([ok.code, ok.stdout]).toEqual([0, 'Unit Testing:  rules/alerts/tests/ipv6.test.yaml\n  SUCCESS\n\n']);
    const bad = xunjian(['rules', 'test', 'collector/rules/testdata/lifecycle.failing.test.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ {2}FAILED:\n {4}alertname: Absent, time: 4m, /);
  });
});
