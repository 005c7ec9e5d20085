{{/*
The prefix of every object's name: "railyard", as config/default's namePrefix,
so a Helm install and a kustomize install name things the same way.
*/}}
{{- define "railyard.fullname" -}}
{{- default "railyard" .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "railyard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries; app.kubernetes.io/name matches config/. */}}
{{- define "railyard.labels" -}}
app.kubernetes.io/name: railyard
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "railyard.chart" . }}
{{- end -}}

{{/* The manager pods' selector, as config/manager's plus the release. */}}
{{- define "railyard.selectorLabels" -}}
app.kubernetes.io/name: railyard
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end -}}

{{- define "railyard.serviceAccountName" -}}
{{- include "railyard.fullname" . }}-manager
{{- end -}}

{{- define "railyard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Where the Argo CD kubeconfig Secret is mounted. */}}
{{- define "railyard.argocdKubeconfigDir" -}}
/etc/railyard/argocd
{{- end -}}
