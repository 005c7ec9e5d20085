{{/* The UI pods' selector: config/ui's labels plus the release. */}}
{{- define "railyard.uiSelectorLabels" -}}
app.kubernetes.io/name: railyard
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: ui
{{- end -}}

{{/* The UI runs 'railyard serve' from the manager's image unless told otherwise. */}}
{{- define "railyard.uiImage" -}}
{{- $img := .Values.ui.image -}}
{{- printf "%s:%s" (default .Values.image.repository $img.repository) (default (default .Chart.AppVersion .Values.image.tag) $img.tag) -}}
{{- end -}}

{{/* The Secret with the keys oidc-client-secret and session-key. */}}
{{- define "railyard.uiSecretName" -}}
{{- default (printf "%s-ui" (include "railyard.fullname" .)) .Values.ui.existingSecret -}}
{{- end -}}
