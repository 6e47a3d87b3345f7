// What a schema cannot tell about Palisade's deployment files:
//  - the DaemonSet's privileges are the intended ones (hostPID, not privileged,
//    exactly the capabilities of its mode, the host mounts the agent needs)
//    and obey the API server's own rules (Bidirectional propagation and
//    SYS_ADMIN with allowPrivilegeEscalation: false are refused);
//  - the objects fit together (volumes, ConfigMap keys, ports, selectors, RBAC);
//  - every flag passed to the agent exists in `palisade run --help`, except
//    the planned ones the chart names in agent.flags;
//  - with --smoke, the agent really starts with the rendered arguments and
//    exactly the rendered capabilities (setpriv bounding set, no_new_privs),
//    sees events, and fails without CAP_BPF. Needs root and a BPF kernel.
// The same for the systemd unit with --unit: its ExecStart (with the
// variables of its EnvironmentFile) and its CapabilityBoundingSet.
//
// node check-manifest.mjs --render F --mode monitor|enforce [--privileged]
//   [--bin PALISADE] [--pending --a,--b] [--smoke --repo DIR]
// node check-manifest.mjs --unit palisade.service --unit-conf palisade.conf
//   [--bin PALISADE] [--smoke --repo DIR]
import { readFileSync, writeFileSync, mkdtempSync, existsSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const flag = (name) => argv.includes(name);

const MONITOR_CAPS = ["BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE", "DAC_READ_SEARCH"];
const ENFORCE_CAPS = [...MONITOR_CAPS, "KILL", "NET_ADMIN"];

const errors = [];
const notes = [];
const fail = (msg) => errors.push(msg);
const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

// ---- the agent's own flags -----------------------------------------------------
function helpFlags(text) {
  const out = new Set();
  for (const m of text.matchAll(/(?:^|[\s,])(--?[a-zA-Z][-a-zA-Z0-9]*)/g)) out.add(m[1]);
  return out;
}
const bin = opt("--bin");
let runFlags, globalFlags;
if (bin) {
  const run = spawnSync(bin, ["run", "--help"], { encoding: "utf8" });
  const top = spawnSync(bin, ["--help"], { encoding: "utf8" });
  if (run.status !== 0 || top.status !== 0) fail(`${bin} --help failed`);
  runFlags = helpFlags(run.stdout);
  globalFlags = helpFlags(top.stdout.split(/\nSubcommands:/)[0]);
}
const pending = new Set((opt("--pending") ?? "").split(",").filter(Boolean));

// Checks [global..., "run", runArgs...]; flags only (values are not flags).
function checkFlags(where, args) {
  if (!runFlags) return;
  const r = args.indexOf("run");
  if (r < 0) return fail(`${where}: no "run" subcommand in ${JSON.stringify(args)}`);
  const check = (tokens, known, what) => {
    for (const t of tokens) {
      if (!/^--?[a-zA-Z]/.test(t)) continue;
      const name = t.split("=")[0];
      if (known.has(name)) {
        if (pending.has(name)) fail(`${where}: ${name} is now a flag of the agent: drop it from the planned flags (agent.flags in values.yaml, deploy/README.md)`);
      } else if (pending.has(name)) {
        notes.push(`${where}: ${name} is a planned flag, not in this agent yet`);
      } else {
        fail(`${where}: ${what} has no flag ${name}`);
      }
    }
  };
  check(args.slice(0, r), globalFlags, "palisade");
  check(args.slice(r + 1), runFlags, "palisade run");
}

// Removes planned flags and the value after each.
function withoutPending(args) {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    if (pending.has(args[i])) i++;
    else out.push(args[i]);
  }
  return out;
}

// ---- smoke: the agent under exactly the granted capabilities ---------------------
function runAgent(args, caps, scratch) {
  const stats = join(scratch, "stats.json");
  rmSync(stats, { force: true });
  const bounding = ["-all", ...caps.map((c) => "+" + c.toLowerCase())].join(",");
  const r = spawnSync(
    "setpriv",
    ["--no-new-privs", "--bounding-set", bounding, "--inh-caps", "-all", "--", bin, ...args,
     "--duration", "3", "--stats-file", stats],
    { encoding: "utf8", timeout: 60000 },
  );
  let events = 0;
  try {
    events = JSON.parse(readFileSync(stats, "utf8")).events_total;
  } catch {}
  return { status: r.status, events, stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

function smoke(where, args, caps, scratch) {
  if (!flag("--smoke")) return;
  if (process.getuid() !== 0) return fail(`${where}: --smoke needs root`);
  const ok = runAgent(args, caps, scratch);
  if (ok.status !== 0 || !(ok.events > 0))
    fail(`${where}: the agent with capabilities ${caps.join(",")} did not run (exit ${ok.status}, ${ok.events} events): ${ok.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  else notes.push(`${where}: the agent ran 3 s with only ${caps.join(",")}: ${ok.events} events`);
  // The control: the same without CAP_BPF must fail, or the test proves nothing.
  const without = runAgent(args, caps.filter((c) => c !== "BPF"), scratch);
  if (without.status === 0) fail(`${where}: the agent ran without CAP_BPF: the smoke test cannot tell`);
}

const scratch = mkdtempSync(join(tmpdir(), "palisade-deploy-"));
const repo = opt("--repo") ?? ".";

// ---- the chart's render / the plain manifest --------------------------------------
function checkRender(file) {
  const mode = opt("--mode") ?? "monitor";
  const privileged = flag("--privileged");
  const objs = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS()).filter(Boolean);
  const byKind = (k) => objs.filter((o) => o.kind === k);
  const dss = byKind("DaemonSet");
  if (dss.length !== 1) return fail(`${file}: ${dss.length} DaemonSets, expected 1`);
  const ds = dss[0];
  const where = `${file}: DaemonSet/${ds.metadata.name}`;
  const pod = ds.spec.template.spec;
  const labels = ds.spec.template.metadata?.labels ?? {};

  for (const [k, v] of Object.entries(ds.spec.selector?.matchLabels ?? {}))
    if (labels[k] !== v) fail(`${where}: selector ${k}=${v} does not match the pod template's labels`);
  if (pod.hostPID !== true) fail(`${where}: hostPID is not true`);

  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  const agent = (pod.containers ?? []).find((c) => c.name === "agent");
  if (!agent) return fail(`${where}: no container named agent`);
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (!!sc.privileged !== privileged) fail(`${where}: container ${c.name} privileged: ${sc.privileged}, expected ${privileged}`);
  }
  const sc = agent.securityContext ?? {};
  const add = sc.capabilities?.add ?? [];
  if (!privileged) {
    const expected = mode === "enforce" ? ENFORCE_CAPS : MONITOR_CAPS;
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail(`${where}: capabilities.drop lacks ALL`);
    if (!same(add, expected)) fail(`${where}: capabilities.add is ${JSON.stringify(add)}, expected ${JSON.stringify(expected)} for ${mode} mode`);
    if (!sc.seccompProfile) fail(`${where}: no seccompProfile`);
    if (sc.runAsUser !== 0) fail(`${where}: runAsUser is not 0 (added capabilities reach uid 0 only)`);
  }
  // API server rules (validation of the apps/v1 API, not of the schema):
  if (sc.allowPrivilegeEscalation === false && (sc.privileged || add.includes("SYS_ADMIN")))
    fail(`${where}: allowPrivilegeEscalation: false with privileged or SYS_ADMIN is refused by the API server`);
  if (!sc.privileged && !add.includes("SYS_ADMIN") && sc.allowPrivilegeEscalation !== false)
    fail(`${where}: allowPrivilegeEscalation should be false`);
  if (sc.readOnlyRootFilesystem !== true) fail(`${where}: readOnlyRootFilesystem is not true`);

  // Volumes and mounts.
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  const mounts = new Map((agent.volumeMounts ?? []).map((m) => [m.mountPath, m]));
  const mounted = new Set();
  for (const c of containers)
    for (const m of c.volumeMounts ?? []) {
      mounted.add(m.name);
      if (!volumes.has(m.name)) fail(`${where}: ${c.name} mounts undeclared volume ${m.name}`);
      if (m.mountPropagation === "Bidirectional" && !(c.securityContext ?? {}).privileged)
        fail(`${where}: Bidirectional propagation on ${m.mountPath} is refused for an unprivileged container`);
    }
  for (const name of volumes.keys()) if (!mounted.has(name)) fail(`${where}: volume ${name} is never mounted`);
  const needHost = [
    ["/sys/fs/bpf", "/sys/fs/bpf", false],
    ["/sys/kernel/btf", "/sys/kernel/btf", true],
    ["/sys/kernel/tracing", "/sys/kernel/tracing", true],
    ["/sys/fs/cgroup", "/sys/fs/cgroup", true],
    ["/host/proc", "/proc", true],
  ];
  const debugfs = mounts.get("/sys/kernel/debug");  // optional (hostPaths.debugfs)
  if (debugfs && debugfs.readOnly !== true) fail(`${where}: /sys/kernel/debug should be read-only`);
  for (const [path, host, ro] of needHost) {
    const m = mounts.get(path);
    const v = m && volumes.get(m.name);
    if (!m || v?.hostPath?.path !== host) fail(`${where}: ${path} is not host ${host}`);
    else if (ro && m.readOnly !== true) fail(`${where}: ${path} should be read-only`);
  }
  const bpffs = mounts.get("/sys/fs/bpf");
  const propagation = privileged ? "Bidirectional" : "HostToContainer";
  if (bpffs && bpffs.mountPropagation !== propagation)
    fail(`${where}: /sys/fs/bpf propagation is ${bpffs.mountPropagation}, expected ${propagation}`);
  for (const v of volumes.values())
    if (/\.sock$/.test(v.hostPath?.path ?? "") && v.hostPath.type !== "Socket") fail(`${where}: ${v.hostPath.path} is not type Socket`);

  // Ports and probes.
  const ports = new Set((agent.ports ?? []).map((p) => p.name));
  for (const probe of ["livenessProbe", "readinessProbe"]) {
    const p = agent[probe]?.httpGet?.port ?? agent[probe]?.tcpSocket?.port;
    if (typeof p === "string" && !ports.has(p)) fail(`${where}: ${probe} uses unknown port ${p}`);
  }
  for (const svc of byKind("Service")) {
    for (const [k, v] of Object.entries(svc.spec.selector ?? {}))
      if (labels[k] !== v) fail(`${file}: Service/${svc.metadata.name} selector ${k}=${v} selects no agent pod`);
    for (const p of svc.spec.ports ?? [])
      if (typeof p.targetPort === "string" && !ports.has(p.targetPort)) fail(`${file}: Service/${svc.metadata.name} targets unknown port ${p.targetPort}`);
  }

  // Service account and RBAC.
  const sas = new Set(byKind("ServiceAccount").map((o) => o.metadata.name));
  if (sas.size && !sas.has(pod.serviceAccountName)) fail(`${where}: service account ${pod.serviceAccountName} is not in the manifest`);
  const roles = new Set(byKind("ClusterRole").map((o) => o.metadata.name));
  for (const b of byKind("ClusterRoleBinding")) {
    if (!roles.has(b.roleRef.name)) fail(`${file}: ClusterRoleBinding/${b.metadata.name} binds missing ClusterRole ${b.roleRef.name}`);
    for (const s of b.subjects ?? [])
      if (s.kind === "ServiceAccount" && (!sas.has(s.name) || s.namespace !== ds.metadata.namespace))
        fail(`${file}: ClusterRoleBinding/${b.metadata.name} names ServiceAccount ${s.namespace}/${s.name}, not the agent's`);
  }
  for (const r of byKind("ClusterRole"))
    for (const rule of r.rules ?? [])
      if (rule.verbs.some((v) => !["get", "list", "watch"].includes(v))) fail(`${file}: ClusterRole/${r.metadata.name} grants ${rule.verbs}: read-only expected`);

  // Arguments: every rule/policy file is in the image or in a mounted ConfigMap key.
  const args = agent.args ?? [];
  if ((agent.command ?? [])[0] !== "/usr/local/bin/palisade") fail(`${where}: command is not /usr/local/bin/palisade`);
  const configMaps = new Map(byKind("ConfigMap").map((o) => [o.metadata.name, o]));
  const local = {};  // container path -> the file the smoke test uses
  const external = new Set();  // files of ConfigMaps made outside the chart
  for (let i = 0; i < args.length - 1; i++) {
    if (!["-r", "--rules", "-p", "--policy"].includes(args[i]) && !pending.has(args[i])) continue;
    const path = args[i + 1];
    if (!path.startsWith("/")) continue;
    if (path.startsWith("/usr/share/palisade/rules/")) {
      const src = join(repo, "rules", path.slice("/usr/share/palisade/rules/".length));
      if (!existsSync(src)) fail(`${where}: ${path} is not in the image (no ${src})`);
      local[path] = src;
      continue;
    }
    const dir = path.slice(0, path.lastIndexOf("/"));
    const key = path.slice(path.lastIndexOf("/") + 1);
    const m = mounts.get(dir);
    const cmName = m && volumes.get(m.name)?.configMap?.name;
    if (!cmName) {
      fail(`${where}: ${path} is on no ConfigMap mount`);
      continue;
    }
    const cm = configMaps.get(cmName);
    if (!cm) {
      notes.push(`${where}: ${path} comes from ConfigMap ${cmName}, created outside the chart`);
      external.add(path);
      continue;
    }
    if (!(key in (cm.data ?? {}))) {
      fail(`${where}: ConfigMap ${cmName} has no key ${key} for ${path}`);
      continue;
    }
    try {
      parseYaml(cm.data[key]);
    } catch (e) {
      fail(`${where}: ${cmName}/${key} is not YAML: ${e.message}`);
    }
    local[path] = join(scratch, `${cmName}--${key}`);
    writeFileSync(local[path], cm.data[key]);
  }
  checkFlags(where, args);

  if (!privileged && bin) {
    // The rendered arguments, planned flags left out, paths of this checkout.
    const lock = args.indexOf("--lock-file");
    // (files of ConfigMaps made outside the chart are not here: left out).
    const runArgs = withoutPending(args)
      .filter((a, i, all) => !external.has(a) && !external.has(all[i + 1]))
      .map((a, i, all) => (all[i - 1] === "--lock-file" ? join(scratch, "palisade.lock") : local[a] ?? a));
    if (lock < 0) fail(`${where}: no --lock-file`);
    smoke(where, runArgs, add, scratch);
  }
}

// ---- the systemd unit ---------------------------------------------------------------
function envFile(text) {
  const env = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    if (/^".*"$/.test(v) || /^'.*'$/.test(v)) v = v.slice(1, -1);
    env[m[1]] = v;
  }
  return env;
}

function checkUnit(unitFile, confFile) {
  const text = readFileSync(unitFile, "utf8");
  const where = unitFile;
  const directives = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) (directives[m[1]] ??= []).push(m[2]);
  }
  const env = {};
  for (const e of directives.Environment ?? []) Object.assign(env, envFile(e.replace(/^"(.*)"$/, "$1")));
  if (confFile) Object.assign(env, envFile(readFileSync(confFile, "utf8")));
  const exec = (directives.ExecStart ?? [])[0];
  if (!exec) return fail(`${where}: no ExecStart`);
  const words = [];
  for (const w of exec.split(/\s+/).filter(Boolean)) {
    let m;
    if ((m = /^\$\{([A-Za-z_0-9]+)\}$/.exec(w))) words.push(env[m[1]] ?? "");
    else if ((m = /^\$([A-Za-z_0-9]+)$/.exec(w))) words.push(...(env[m[1]] ?? "").split(/\s+/).filter(Boolean));
    else words.push(w);
  }
  if (words[0] !== "/usr/local/bin/palisade") fail(`${where}: ExecStart runs ${words[0]}`);
  const args = words.slice(1);
  checkFlags(where, args);

  const caps = (directives.CapabilityBoundingSet ?? [""])[0].split(/\s+/).filter(Boolean).map((c) => c.replace(/^CAP_/, ""));
  if (!same(caps, MONITOR_CAPS)) fail(`${where}: CapabilityBoundingSet is ${caps}, expected ${MONITOR_CAPS}`);
  const ambient = (directives.AmbientCapabilities ?? [""])[0].split(/\s+/).filter(Boolean).map((c) => c.replace(/^CAP_/, ""));
  if (!same(ambient, caps)) fail(`${where}: AmbientCapabilities differs from CapabilityBoundingSet`);
  for (const [k, v] of [["Type", "simple"], ["Restart", "on-failure"], ["NoNewPrivileges", "yes"], ["LimitMEMLOCK", "infinity"], ["ProtectSystem", "strict"]])
    if ((directives[k] ?? [])[0] !== v) fail(`${where}: ${k} is not ${v}`);
  if (!(directives.ExecReload ?? [""])[0].includes("-HUP")) fail(`${where}: ExecReload does not send SIGHUP`);
  // With ProtectKernelTunables /sys is read-only: bpffs must be opened again.
  if ((directives.ProtectKernelTunables ?? [])[0] === "yes" && !(directives.ReadWritePaths ?? []).some((p) => /^-?\/sys\/fs\/bpf$/.test(p)))
    fail(`${where}: ProtectKernelTunables=yes without ReadWritePaths=/sys/fs/bpf leaves bpffs read-only`);
  for (const bad of ["PrivateUsers", "PrivateNetwork", "ProtectProc", "ProcSubset"])
    if (directives[bad] && !["no", "default", "all"].includes(directives[bad][0])) fail(`${where}: ${bad}=${directives[bad][0]} cuts the agent off (see the unit's comments)`);
  if (!args.includes("--lock-file") || args[args.indexOf("--lock-file") + 1] !== "/run/palisade/palisade.lock")
    fail(`${where}: the lock is not /run/palisade/palisade.lock (shared with the DaemonSet)`);

  if (bin) {
    const map = (a, i, all) => {
      if (all[i - 1] === "--lock-file") return join(scratch, "palisade.lock");
      if (a.startsWith("/usr/local/share/palisade/rules/")) return join(repo, "rules", a.slice("/usr/local/share/palisade/rules/".length));
      if (a.startsWith("/var/lib/palisade/")) return join(scratch, a.slice("/var/lib/palisade/".length));
      return a;
    };
    const runArgs = args.map(map).filter((a, i, all) => a !== "--stats-file" && all[i - 1] !== "--stats-file");
    smoke(where, runArgs, caps, scratch);
    if (flag("--smoke")) sandbox(where, runArgs, caps, directives);
  }
}

// The unit's sandbox against what the agent does: strace a run of the agent
// (the unit's arguments and capabilities) and check every system call it made
// is in SystemCallFilter, every socket family in RestrictAddressFamilies, and
// nothing MemoryDenyWriteExecute forbids. It sees what a 3 s run does, not
// every path of the agent.
function syscallGroups() {
  const text = spawnSync("systemd-analyze", ["syscall-filter", "--no-pager"], { encoding: "utf8" }).stdout ?? "";
  const groups = {};
  let cur;
  for (const line of text.split("\n")) {
    if (/^@/.test(line)) groups[(cur = line.trim())] = [];
    else {
      const m = /^\s+([-@a-z_0-9]+)\s*$/.exec(line);
      if (m && cur) groups[cur].push(m[1]);
    }
  }
  return groups;
}

function sandbox(where, args, caps, directives) {
  const filter = (directives.SystemCallFilter ?? []).join(" ").split(/\s+/).filter(Boolean);
  const groups = syscallGroups();
  const allowed = new Set();
  const expand = (x) => {
    if (!x.startsWith("@")) return allowed.add(x);
    if (!groups[x]) return fail(`${where}: SystemCallFilter names unknown group ${x}`);
    groups[x].forEach((y) => expand(y));
  };
  filter.forEach((x) => expand(x));
  const log = join(scratch, "agent.strace");
  const bounding = ["-all", ...caps.map((c) => "+" + c.toLowerCase())].join(",");
  const r = spawnSync("setpriv", ["--no-new-privs", "--bounding-set", bounding, "--inh-caps", "-all", "--",
    "strace", "-f", "-qq", "-o", log, bin, ...args, "--duration", "3"], { encoding: "utf8", timeout: 90000 });
  if (r.status !== 0) return fail(`${where}: the agent under strace failed (exit ${r.status}): ${(r.stderr ?? "").trim().split("\n").pop()}`);
  const used = new Set();
  const families = new Set();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const m = /^\d+\s+([a-z_0-9]+)\((.*)$/.exec(line);
    if (!m) continue;
    used.add(m[1]);
    if (m[1] === "socket") families.add(m[2].split(",")[0]);
    if ((directives.MemoryDenyWriteExecute ?? [])[0] === "yes" &&
        ((m[1] === "mmap" && /PROT_WRITE/.test(m[2]) && /PROT_EXEC/.test(m[2])) ||
         (/^(pkey_)?mprotect$/.test(m[1]) && /PROT_EXEC/.test(m[2]))))
      fail(`${where}: MemoryDenyWriteExecute=yes forbids what the agent did: ${line.slice(0, 120)}`);
  }
  const denied = [...used].filter((c) => !allowed.has(c));
  if (denied.length) fail(`${where}: SystemCallFilter denies system calls the agent made: ${denied.join(", ")}`);
  const afs = new Set((directives.RestrictAddressFamilies ?? [""])[0].split(/\s+/).filter(Boolean));
  for (const f of families) if (afs.size && !afs.has(f)) fail(`${where}: RestrictAddressFamilies denies ${f}, which the agent used`);
  if (!denied.length) notes.push(`${where}: the ${used.size} system calls of a traced run are all in SystemCallFilter`);
}

if (opt("--render")) checkRender(opt("--render"));
if (opt("--unit")) checkUnit(opt("--unit"), opt("--unit-conf"));
rmSync(scratch, { recursive: true, force: true });
for (const n of notes) console.log(`note: ${n}`);
for (const e of errors) console.error(`error: ${e}`);
console.log(`check-manifest: ${errors.length} problems`);
process.exit(errors.length ? 1 : 0);
