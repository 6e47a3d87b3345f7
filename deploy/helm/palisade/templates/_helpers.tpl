{{/* The chart's name, or nameOverride. */}}
{{- define "palisade.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The full name of every object: fullnameOverride, or the release name
     (with the chart's name appended unless it already contains it). */}}
{{- define "palisade.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every object. The standalone manifest leaves out Helm's own. */}}
{{- define "palisade.labels" -}}
{{ include "palisade.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: agent
{{- if not .Values.standaloneManifest }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}
{{- end -}}

{{- define "palisade.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "palisade.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "palisade.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The capabilities added to the agent: the monitoring set, the enforcement
     set in enforce mode, SYS_ADMIN on request, then extra; no duplicates. */}}
{{- define "palisade.capabilities" -}}
{{- $caps := list -}}
{{- range .Values.securityContext.capabilities.monitor -}}{{- $caps = append $caps . -}}{{- end -}}
{{- if eq .Values.mode "enforce" -}}
{{- range .Values.securityContext.capabilities.enforce -}}{{- $caps = append $caps . -}}{{- end -}}
{{- end -}}
{{- if .Values.securityContext.capabilities.sysAdmin -}}{{- $caps = append $caps "SYS_ADMIN" -}}{{- end -}}
{{- range .Values.securityContext.capabilities.extra -}}{{- $caps = append $caps . -}}{{- end -}}
{{- toJson (uniq $caps) -}}
{{- end -}}

{{/* Where rule and policy files are mounted in the agent. */}}
{{- define "palisade.rulesDir" -}}/etc/palisade/rules.d{{- end -}}
{{- define "palisade.policiesDir" -}}/etc/palisade/policies.d{{- end -}}
{{- define "palisade.builtinRules" -}}/usr/share/palisade/rules/palisade_rules.yaml{{- end -}}

{{/* The arguments of the agent, one per line, as a YAML list. */}}
{{- define "palisade.args" -}}
- --log-level
- {{ .Values.agent.logLevel | quote }}
- run
- --output
- {{ .Values.agent.output | quote }}
- --ringbuf-mb
- {{ .Values.agent.ringbufMb | quote }}
- --lock-file
- {{ .Values.agent.lockFile | quote }}
{{- range $runtime, $r := .Values.containerRuntime }}
{{- if and $r.enabled (ne $runtime "podman") }}
- --cri-socket
- {{ $r.socket | quote }}
{{- end }}
{{- end }}
{{- if .Values.rules.builtin }}
- -r
- {{ include "palisade.builtinRules" . | quote }}
{{- end }}
{{- range .Values.rules.existingConfigMaps }}
{{- $cm := .name }}
{{- range .files }}
- -r
- {{ printf "%s/configmaps/%s/%s" (include "palisade.rulesDir" $) $cm . | quote }}
{{- end }}
{{- end }}
{{- range $file, $_ := .Values.rules.files }}
- -r
- {{ printf "%s/inline/%s" (include "palisade.rulesDir" $) $file | quote }}
{{- end }}
{{- range .Values.policies.existingConfigMaps }}
{{- $cm := .name }}
{{- range .files }}
- --policy
- {{ printf "%s/configmaps/%s/%s" (include "palisade.policiesDir" $) $cm . | quote }}
{{- end }}
{{- end }}
{{- range $file, $_ := .Values.policies.files }}
- --policy
- {{ printf "%s/inline/%s" (include "palisade.policiesDir" $) $file | quote }}
{{- end }}
- --policy-mode
- {{ .Values.mode }}
{{- if .Values.metrics.enabled }}
- --metrics-addr
- {{ printf "0.0.0.0:%d" (int .Values.metrics.port) | quote }}
{{- end }}
{{- range .Values.agent.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* A seccomp or AppArmor profile field from "RuntimeDefault", "Unconfined"
     or "Localhost/<profile>". */}}
{{- define "palisade.profile" -}}
{{- if hasPrefix "Localhost/" . -}}
type: Localhost
localhostProfile: {{ trimPrefix "Localhost/" . | quote }}
{{- else -}}
type: {{ . }}
{{- end -}}
{{- end -}}

{{/* The same AppArmor profile as the annotation of Kubernetes before 1.30. */}}
{{- define "palisade.appArmorAnnotation" -}}
{{- $p := .Values.securityContext.appArmorProfile -}}
{{- if hasPrefix "Localhost/" $p -}}
{{- printf "localhost/%s" (trimPrefix "Localhost/" $p) -}}
{{- else if eq $p "RuntimeDefault" -}}
runtime/default
{{- else -}}
unconfined
{{- end -}}
{{- end -}}
