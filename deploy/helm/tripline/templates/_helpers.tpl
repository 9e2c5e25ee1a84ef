{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "tripline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "tripline.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tripline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tripline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tripline.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tripline.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: gateway
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "tripline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tripline.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Seconds in a Tripline duration written in whole seconds or minutes ("30s", "2m"); other forms
(e.g. "1m30s") are not checked and give -1.
*/}}
{{- define "tripline.seconds" -}}
{{- $d := toString . }}
{{- if regexMatch "^[0-9]+s$" $d }}{{ trimSuffix "s" $d }}
{{- else if regexMatch "^[0-9]+m$" $d }}{{ mul (trimSuffix "m" $d | atoi) 60 }}
{{- else }}-1{{ end }}
{{- end }}

{{/* Fails the render when a replica could be killed before it has drained. */}}
{{- define "tripline.checkGracePeriod" -}}
{{- $timeout := 30 }}
{{- with .Values.config.service }}{{ with .shutdown_timeout }}
{{- $timeout = include "tripline.seconds" . | atoi }}
{{- end }}{{ end }}
{{- $needed := add $timeout .Values.preStopSleepSeconds }}
{{- if and (ge $timeout 0) (le (int .Values.terminationGracePeriodSeconds) (int $needed)) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed config.service.shutdown_timeout (%ds) + preStopSleepSeconds (%d)" (int .Values.terminationGracePeriodSeconds) $timeout (int .Values.preStopSleepSeconds)) }}
{{- end }}
{{- end }}
