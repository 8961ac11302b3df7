import { POSTURE_SCHEMA_VERSION, type Fact, type PostureFacts } from '../../../contract/facts/posture.js';
import { accountFacts, passwordFacts } from './accounts.js';
import { Host, unknown } from './host.js';
import { boundaryFacts, osFacts, timeFacts, trustFacts } from './platform.js';
import { sshFacts } from './ssh.js';
import { auditFacts, intrusionFacts, permissionFacts } from './system.js';

/** Every posture fact of the host under `root` ("/" = the live host). An area that throws becomes unknown. */
export async function collectPosture(root: string, commandTimeoutSeconds = 10, now = new Date()): Promise<PostureFacts> {
  const host = new Host(root || '/', commandTimeoutSeconds * 1000);
  const facts: Record<string, Fact> = {};
  const area = async (names: string[], fn: () => Promise<Record<string, Fact>> | Record<string, Fact>) => {
    try {
      Object.assign(facts, await fn());
    } catch (err) {
      for (const n of names) facts[n] = unknown(`collector error: ${(err as Error).message}`);
    }
  };
  await area(['ssh.permitRootLogin'], () => sshFacts(host));
  await area(['password.maxDays'], () => passwordFacts(host));
  await area(['accounts.uid0'], () => accountFacts(host));
  await area(['files.permissions'], () => permissionFacts(host));
  await area(['audit.auditd'], () => auditFacts(host));
  await area(['net.listening'], () => intrusionFacts(host));
  await area(['firewall.input'], async () => ({ 'firewall.input': await boundaryFacts(host) }));
  await area(['mac.selinux'], () => trustFacts(host));
  await area(['time.sync'], async () => ({ 'time.sync': await timeFacts(host) }));
  await area(['os.release'], () => ({ 'os.release': osFacts(host) }));
  const sorted = Object.fromEntries(Object.entries(facts).sort(([a], [b]) => a.localeCompare(b)));
  return { schemaVersion: POSTURE_SCHEMA_VERSION, collectedAt: now.toISOString(), root: host.live ? '/' : root, live: host.live, facts: sorted };
}
