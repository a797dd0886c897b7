/**
 * examples/kubernetes/deployment.yaml says what docs/operations.md says: probes on the
 * monitor's endpoints, a monitor the kubelet can reach, and more time to stop than the
 * daemon's grace period, so that Kubernetes never cuts a graceful stop short.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const manifest = readFileSync(new URL('../../../examples/kubernetes/deployment.yaml', import.meta.url), 'utf8');
const documents = parseAllDocuments(manifest).map((document) => document.toJS() as any);
const deployment = documents.find((document) => document.kind === 'Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const argv = container.command as string[];
/** The value of `--name=value` on the command line. */
const option = (name: string): string | undefined => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('the Kubernetes example', () => {
  it('runs a valid cobald command line with the monitor on every interface', () => {
    expect(argv.slice(0, 4)).toEqual(['node', 'node_modules/@cobald/daemon/dist/cli.js', 'run', 'config.mjs']);
    expect(option('monitor')).toBe('0.0.0.0:9464');
    expect(container.ports).toContainEqual({ name: 'monitor', containerPort: 9464 });
  });

  it('probes /healthz for liveness and start-up, /readyz for readiness', () => {
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'monitor' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'monitor' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'monitor' });
  });

  it('gives the pod more time to stop than the daemon gives its payloads, and liveness more still', () => {
    const grace = Number(option('grace-period')) / 1000;
    expect(grace).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(grace);
    const { periodSeconds, failureThreshold } = container.livenessProbe;
    expect(periodSeconds * failureThreshold).toBeGreaterThan(grace);
  });

  it('keeps the monitor inside the cluster', () => {
    expect(documents.map((document) => document.kind)).toEqual(['Deployment', 'Service', 'NetworkPolicy']);
    expect(documents.find((document) => document.kind === 'Service').spec.type ?? 'ClusterIP').toBe('ClusterIP');
  });
});
