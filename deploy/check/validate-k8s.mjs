// Validates rendered Kubernetes manifests (kubectl kustomize of an overlay) the way an API server and KEDA would
// check their shape, plus the fleet's own rules for a production-worthy deployment. Usage:
//   node deploy/check/validate-k8s.mjs NAME=FILE.yaml [NAME=FILE.yaml ...]
// Exits 1 with every problem listed, 0 with one line per file. Run by ./arfleet deploy-check.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { parseAllDocuments } from "yaml";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

// apiVersion -> the module whose classes validate its kinds (the Kubernetes and KEDA schemas).
const modules = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "keda.sh/v1alpha1": "@kubernetes-models/keda/keda.sh/v1alpha1",
};

/** Dapr's kinds (the Dapr overlay): no registry serves their schemas, so the fields Dapr requires of each. */
function daprProblems(object) {
  const required = { Component: ["spec.type", "spec.version", "spec.metadata"], Configuration: ["spec"], Resiliency: ["spec.policies", "spec.targets"] }[object.kind];
  if (!required) return [`no schema for ${object.apiVersion} ${object.kind}`];
  const missing = required.filter((field) => field.split(".").reduce((o, key) => o?.[key], object) === undefined);
  return [...(object.metadata?.name ? [] : ["no metadata.name"]), ...missing.map((field) => `no ${field}`)];
}

/** The schema's own check, and a check for fields the schema does not know (the generated validators accept any
 * extra property, so a misspelt `readinesProbe` would pass): the object is validated through a proxy that records
 * which property names the validator looks up on each object. A key it never looked up, on an object whose properties
 * it did look up and did not enumerate (a map such as labels is enumerated), is unknown to the schema. */
async function schemaProblems(object) {
  if (object.apiVersion === "dapr.io/v1alpha1") return daprProblems(object);
  const module = modules[object.apiVersion];
  if (!module) return [`no schema for apiVersion ${object.apiVersion}`];
  const model = (await import(module))[object.kind];
  if (!model?.prototype?.validate) return [`no schema for ${object.apiVersion} ${object.kind}`];

  const seen = new Map(); // target -> { path, looked: Set, enumerated }
  const wrap = (value, at) => {
    if (value === null || typeof value !== "object") return value;
    const record = { path: at, looked: new Set(), enumerated: false };
    seen.set(value, record);
    return new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === "string") record.looked.add(key);
        const child = Reflect.get(target, key, receiver);
        return typeof key === "string" && Object.hasOwn(target, key) ? wrap(child, `${at}/${key}`) : child;
      },
      ownKeys(target) {
        record.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
  };
  const problems = [];
  try {
    model.prototype.validate.call(wrap(structuredClone(object), ""));
  } catch (e) {
    problems.push(String(e.message ?? e));
  }
  for (const [target, record] of seen) {
    if (Array.isArray(target) || record.enumerated || record.looked.size === 0) continue;
    for (const key of Object.keys(target))
      if (!record.looked.has(key)) problems.push(`${record.path}/${key}: not a field of the schema`);
  }
  return problems;
}

function podSpec(object) {
  return ["Deployment", "StatefulSet"].includes(object.kind) ? object.spec?.template?.spec : undefined;
}

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

/** The fleet's rules over the whole rendered overlay. */
function fleetProblems(objects, secretKeys) {
  const problems = [];
  const named = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!objects.some((o) => o.kind === "Namespace")) problems.push("no Namespace");
  for (const o of objects)
    if (o.kind !== "Namespace" && o.metadata?.namespace !== "arfleet") problems.push(`${o.kind} ${o.metadata?.name}: not in the namespace arfleet`);

  const scaled = new Set(objects.filter((o) => o.kind === "ScaledObject").map((o) => o.spec.scaleTargetRef.name));
  for (const o of objects) {
    const spec = podSpec(o);
    if (!spec) continue;
    const where = `${o.kind} ${o.metadata.name}`;
    if (spec.securityContext?.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if (spec.securityContext?.seccompProfile?.type !== "RuntimeDefault") problems.push(`${where}: no RuntimeDefault seccomp profile`);
    if (spec.automountServiceAccountToken !== false) problems.push(`${where}: mounts a service account token it does not use`);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const at = `${where} container ${c.name}`;
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: the root file system is writable`);
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) problems.push(`${at}: does not drop ALL capabilities`);
      for (const r of ["cpu", "memory"]) {
        if (!c.resources?.limits?.[r]) problems.push(`${at}: no ${r} limit`);
        if (!c.resources?.requests?.[r]) problems.push(`${at}: no ${r} request`);
      }
      if (!/^[^:@]+(:[^:@/]+|@sha256:[0-9a-f]{64})$|^[^@]+\/[^:@]+(:[^:@/]+|@sha256:[0-9a-f]{64})$/.test(c.image ?? ""))
        problems.push(`${at}: image ${c.image} has no tag or digest`);
      if (/\$\{|:latest$/.test(c.image ?? "")) problems.push(`${at}: image ${c.image} is a placeholder or latest`);
      if (!c.livenessProbe || !c.readinessProbe) problems.push(`${at}: no liveness or readiness probe`);
      if (o.kind === "Deployment") {
        if (!c.startupProbe) problems.push(`${at}: no startup probe`);
        // Readiness must not follow the shared servers (/health/ready): a blip would take every pod out at once.
        if (c.readinessProbe?.httpGet?.path !== "/health/serving") problems.push(`${at}: readiness is not /health/serving`);
        if (c.livenessProbe?.httpGet?.path !== "/health/live") problems.push(`${at}: liveness is not /health/live`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref?.name === "arfleet-secrets" && !secretKeys.has(ref.key))
          problems.push(`${at}: env ${e.name} reads ${ref.key}, which deploy/docker/make-env does not make`);
      }
    }
    if (o.kind === "Deployment") {
      if (scaled.has(o.metadata.name) && o.spec.replicas !== undefined)
        problems.push(`${where}: sets replicas although a ScaledObject owns its count`);
      const labels = o.spec.template.metadata.labels;
      if (!objects.some((p) => p.kind === "PodDisruptionBudget" && matches(p.spec.selector?.matchLabels, labels)))
        problems.push(`${where}: no PodDisruptionBudget`);
    }
  }
  for (const s of objects.filter((o) => o.kind === "ScaledObject")) {
    const target = named("Deployment", s.spec.scaleTargetRef.name);
    if (!target) problems.push(`ScaledObject ${s.metadata.name}: no Deployment ${s.spec.scaleTargetRef.name}`);
    for (const t of s.spec.triggers.filter((t) => t.type === "rabbitmq")) {
      // Over AMQP, or with unacknowledged messages excluded, the held frames would not count.
      if (t.metadata.protocol !== "http") problems.push(`ScaledObject ${s.metadata.name}: the RabbitMQ trigger does not use the management API`);
      if (t.metadata.excludeUnacknowledged === "true") problems.push(`ScaledObject ${s.metadata.name}: unacknowledged messages excluded`);
      if (t.authenticationRef && !named("TriggerAuthentication", t.authenticationRef.name))
        problems.push(`ScaledObject ${s.metadata.name}: no TriggerAuthentication ${t.authenticationRef.name}`);
    }
  }
  for (const i of objects.filter((o) => o.kind === "Ingress"))
    for (const rule of i.spec.rules ?? [])
      for (const p of rule.http?.paths ?? []) {
        const service = named("Service", p.backend.service?.name);
        if (!service) problems.push(`Ingress ${i.metadata.name} ${p.path}: no Service ${p.backend.service?.name}`);
        else if (!service.spec.ports.some((port) => port.name === p.backend.service.port.name || port.port === p.backend.service.port.number))
          problems.push(`Ingress ${i.metadata.name} ${p.path}: Service ${service.metadata.name} has no such port`);
      }
  return problems;
}

const secretKeys = new Set(
  execFileSync("bash", [path.join(root, "deploy", "docker", "make-env")], { encoding: "utf8" })
    .split("\n").filter(Boolean).map((line) => line.split("=")[0]));

let failed = false;
for (const argument of process.argv.slice(2)) {
  const [name, file] = argument.includes("=") ? argument.split("=", 2) : [argument, argument];
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  const problems = [];
  const objects = [];
  for (const d of documents) {
    if (d.errors.length) problems.push(...d.errors.map((e) => `YAML: ${e.message}`));
    const o = d.toJS();
    if (o) objects.push(o);
  }
  for (const o of objects)
    for (const p of await schemaProblems(o)) problems.push(`${o.kind} ${o.metadata?.name}: ${p}`);
  problems.push(...fleetProblems(objects, secretKeys));
  if (problems.length) {
    failed = true;
    console.error(`${name}: ${problems.length} problem(s)`);
    for (const p of problems) console.error(`  ${p}`);
  } else {
    const kinds = [...new Set(objects.map((o) => o.kind))].join(", ");
    console.log(`${name}: ${objects.length} objects valid (${kinds})`);
  }
}
process.exit(failed ? 1 : 0);
