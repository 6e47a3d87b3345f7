// Validates Kubernetes manifests offline, like `kubeconform -strict`:
//  1. every object against the JSON schema of its kind, compiled from the
//     Kubernetes OpenAPI document (npm kubernetes-models): types, required
//     fields, enums, formats;
//  2. no field the API does not define, at any depth (the OpenAPI-generated
//     models of npm @kubernetes/client-node list every field of every type),
//     which is what `kubectl apply --validate=strict` refuses.
// Usage: node validate-k8s.mjs FILE.yaml...   Exit 1 on any error.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import * as api from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";

// apiVersion "apps/v1" -> module folder "apps/v1"; "v1" -> "v1".
async function schemaModel(apiVersion, kind) {
  try {
    const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return mod[kind];
  } catch {
    return undefined;
  }
}

// client-node names a type by version and kind: V1DaemonSet, V1ClusterRole.
function typeName(apiVersion, kind) {
  const version = apiVersion.split("/").pop();
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

const primitive = new Set(["string", "number", "boolean", "Date", "any", "object", "IntOrString"]);

// Every key of `value` must be a field of `type`; recurses into fields.
function unknownFields(value, type, path, out) {
  if (value === null || value === undefined || primitive.has(type)) return;
  let m = /^Array<(.+)>$/.exec(type);
  if (m) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, m[1], `${path}[${i}]`, out));
    return;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) {
    if (typeof value === "object") for (const [k, v] of Object.entries(value)) unknownFields(v, m[1], `${path}.${k}`, out);
    return;
  }
  const cls = api[type];
  if (!cls || typeof cls.getAttributeTypeMap !== "function" || typeof value !== "object" || Array.isArray(value)) return;
  const fields = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!fields.has(k)) out.push(`${path}.${k}: unknown field (not in ${type})`);
    else unknownFields(v, fields.get(k), `${path}.${k}`, out);
  }
}

let objects = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) {
      console.error(`${file}: YAML error: ${doc.errors[0].message}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    objects++;
    const where = `${file}: ${obj.kind ?? "?"}/${obj.metadata?.name ?? "?"}`;
    const errors = [];
    const Model = obj.apiVersion && obj.kind ? await schemaModel(obj.apiVersion, obj.kind) : undefined;
    if (!Model) {
      errors.push(`no schema for apiVersion ${obj.apiVersion} kind ${obj.kind}`);
    } else {
      try {
        new Model(obj).validate();
      } catch (e) {
        errors.push(...String(e.message).split("\n").filter(Boolean));
      }
      const type = typeName(obj.apiVersion, obj.kind);
      if (!api[type]) errors.push(`no field list for ${type}`);
      else unknownFields(obj, type, "", errors);
    }
    if (errors.length) {
      failed++;
      for (const e of errors) console.error(`${where}: ${e}`);
    }
  }
}
console.log(`validate-k8s: ${objects} objects, ${failed} invalid`);
process.exit(failed || objects === 0 ? 1 : 0);
