// Validates every KEDA object (apiVersion keda.sh/*) in the YAML files given as arguments against the
// schemas of @kubernetes-models/keda (pinned in package-lock.json), the models generated from KEDA's Go
// types, and refuses fields the schema does not know: like the API server, the schema lets unknown fields
// through (the server would prune them silently), so each field is probed with values of the wrong type,
// and a field that no probe makes invalid at its own path is unknown. Prints one line per object and exits
// 1 when any is invalid or a file holds a keda.sh kind the package does not model. Run by KedaSchemaTest;
// npm ci in this folder first (scripts/test does).
//   node deploy/validate/keda.mjs deploy/k8s/*.yaml
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import * as keda from "@kubernetes-models/keda/keda.sh/v1alpha1";

let validated = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      console.log(`INVALID ${file}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      failed++;
      continue;
    }
    const object = doc.toJS();
    if (!object || typeof object.apiVersion !== "string" || !object.apiVersion.startsWith("keda.sh/")) {
      continue;
    }
    const name = `${file}: ${object.kind}/${object.metadata?.name}`;
    const model = object.apiVersion === "keda.sh/v1alpha1" ? keda[object.kind] : undefined;
    if (typeof model !== "function") {
      console.log(`INVALID ${name}: no model for ${object.apiVersion} ${object.kind}`);
      failed++;
      continue;
    }
    const problems = errorsOf(model, object).map((e) => `${e.instancePath} ${e.message}`);
    for (const path of fieldPaths(object, [])) {
      if (!known(model, object, path)) {
        problems.push(`/${path.join("/")} is not a field of ${object.kind}`);
      }
    }
    if (problems.length === 0) {
      console.log(`valid ${name}`);
      validated++;
    } else {
      console.log(`INVALID ${name}: ${problems.join("; ")}`);
      failed++;
    }
  }
}
/** The schema errors of {@code object}, [] when valid. */
function errorsOf(model, object) {
  try {
    new model(object).validate();
    return [];
  } catch (e) {
    if (!Array.isArray(e.errors)) {
      throw e;
    }
    return e.errors;
  }
}

/** Every object key's path (array elements are walked, their indexes are part of the path). */
function fieldPaths(value, path) {
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => fieldPaths(v, [...path, i]));
  }
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => [[...path, k], ...fieldPaths(v, [...path, k])]);
  }
  return [];
}

/** Whether the schema types the field at {@code path}: some wrong-typed value there is an error at that very path. */
function known(model, object, path) {
  // JSON Pointer, as the validator reports paths: "~" and "/" inside a key are escaped.
  const pointer = path.map((k) => "/" + String(k).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
  for (const probe of [12345, [], "x", true]) {
    const copy = structuredClone(object);
    let parent = copy;
    for (const key of path.slice(0, -1)) {
      parent = parent[key];
    }
    parent[path[path.length - 1]] = probe;
    if (errorsOf(model, copy).some((e) => e.instancePath === pointer)) {
      return true;
    }
  }
  return false;
}

console.log(`${validated} KEDA objects valid, ${failed} invalid`);
process.exit(failed > 0 ? 1 : 0);
