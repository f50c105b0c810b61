// Builds the CDK app as `cdk synth` would (cdk.json's context, including its feature flags) but without bundling:
// `aws:cdk:bundling-stacks: []` is CDK's own switch for skipping asset bundling, so NodejsFunction keeps its
// settings and the template its properties while esbuild never runs. Real bundling is `npm run bench:bundles`.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type BkvStacks, type BuildOptions } from '../../lib/app.js';
import { REPO_ROOT } from '../../lib/bundling.js';
import type { ApiStack } from '../../lib/stacks/api-stack.js';

/** A whole-app synth takes ~10 s alone and several times that on a loaded 2-core machine. */
export const SYNTH_TIMEOUT_MS = 240_000;

export const CDK_CONTEXT: Record<string, unknown> =
  (JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
}

export interface Synthesized extends BkvStacks {
  app: App;
  template(stack: Stack): Template;
  /** Every stack of the app, with its template. */
  all(): { stack: Stack; template: Template }[];
}

export function synthesize(context: Record<string, unknown> = {}, options: BuildOptions = {}): Synthesized {
  const app = testApp(context);
  const stacks = buildApp(app, options);
  app.synth(); // once, here (a hook with a long timeout); templates below reuse this assembly
  const cache = new Map<Stack, Template>();
  const template = (stack: Stack) => {
    let t = cache.get(stack);
    if (!t) cache.set(stack, (t = Template.fromStack(stack)));
    return t;
  };
  const list = [stacks.primaryKeys, stacks.replicaKeys, ...(stacks.auth ? [stacks.auth] : []), stacks.data, stacks.replicaApi, stacks.primaryApi];
  return { ...stacks, app, template, all: () => list.map((stack) => ({ stack, template: template(stack) })) };
}

type Json = Record<string, unknown>;

/** Resources of a type, as [logicalId, resource] pairs. */
export function resourcesOf(template: Template, type: string): [string, Json][] {
  return Object.entries(template.findResources(type)) as [string, Json][];
}

export const props = (resource: Json): Json => (resource.Properties ?? {}) as Json;

/** IAM policy statements of a template: AWS::IAM::Policy documents and roles' inline policies. */
export function iamStatements(template: Template): { owner: string; statement: Json }[] {
  const out: { owner: string; statement: Json }[] = [];
  for (const [id, r] of resourcesOf(template, 'AWS::IAM::Policy')) {
    for (const s of ((props(r).PolicyDocument as Json).Statement as Json[])) out.push({ owner: id, statement: s });
  }
  for (const [id, r] of resourcesOf(template, 'AWS::IAM::Role')) {
    for (const p of (props(r).Policies as Json[] | undefined) ?? []) {
      for (const s of ((p.PolicyDocument as Json).Statement as Json[])) out.push({ owner: id, statement: s });
    }
  }
  return out;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Resolves Fn::Join of literals and pseudo parameters into a readable string (`${AWS::AccountId}` etc.). */
export function flatten(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Json;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(sep);
    }
    if ('Ref' in o) return `\${${String(o.Ref)}}`;
    if ('Fn::GetAtt' in o) return `\${${(o['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::GetStackOutput' in o) return `\${output:${String((o['Fn::GetStackOutput'] as Json).OutputName)}}`;
    if ('Fn::ImportValue' in o) return `\${import:${flatten(o['Fn::ImportValue'])}}`;
  }
  return JSON.stringify(v);
}

/** An API stack's function resources by route id, with the statements of the function role's policy. */
export function functionsByRoute(stack: ApiStack, template: Template): Map<string, { logicalId: string; fn: Json; statements: Json[] }> {
  const out = new Map<string, { logicalId: string; fn: Json; statements: Json[] }>();
  const fns = template.findResources('AWS::Lambda::Function') as Record<string, Json>;
  const policies = resourcesOf(template, 'AWS::IAM::Policy');
  for (const [routeId, rf] of stack.api.functions) {
    const logicalId = stack.getLogicalId(rf.function.node.defaultChild as CfnElement);
    const roleId = stack.getLogicalId(rf.role.node.defaultChild as CfnElement);
    const fn = fns[logicalId];
    if (!fn) throw new Error(`no function resource for ${routeId}`);
    const statements = policies
      .filter(([, p]) => asArray(props(p).Roles as Json[]).some((r) => r.Ref === roleId))
      .flatMap(([, p]) => (props(p).PolicyDocument as Json).Statement as Json[]);
    out.set(routeId, { logicalId, fn, statements });
  }
  return out;
}
