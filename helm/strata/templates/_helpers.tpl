{{/* Names and labels. */}}

{{- define "strata.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-strata, or <release> when the release name already contains the chart's name. */}}
{{- define "strata.fullname" -}}
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

{{/* (dict "root" $ "component" "web") */}}
{{- define "strata.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "strata.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{- define "strata.selectorLabels" -}}
app.kubernetes.io/name: {{ include "strata.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "strata.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "strata.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "strata.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Configuration: one definition feeds the release's ConfigMap and the migration hook's copy. */}}

{{- define "strata.configData" -}}
{{- $c := .Values.config }}
{{- $data := dict
  "DJANGO_SETTINGS_MODULE" "config.settings.prod"
  "STRATA_BASE_DOMAIN" .Values.baseDomain
  "STRATA_TRUSTED_PROXY_COUNT" (toString (int64 $c.trustedProxyCount))
  "LOG_LEVEL" $c.logLevel
  "DATABASE_POOL_MIN_SIZE" (toString (int64 $c.databasePool.minSize))
  "DATABASE_POOL_MAX_SIZE" (toString (int64 $c.databasePool.maxSize))
  "DATABASE_POOL_MAX_LIFETIME" (toString (int64 $c.databasePool.maxLifetime))
  "DATABASE_SCHEMAS_PER_CONNECTION" (toString (int64 $c.databasePool.schemasPerConnection))
  "SENTRY_TRACES_SAMPLE_RATE" (toString $c.sentry.tracesSampleRate)
  "WEB_CONCURRENCY" (toString (int64 .Values.web.concurrency))
  "GUNICORN_THREADS" (toString (int64 .Values.web.threads))
  "CELERY_BEAT_SCHEDULE_FILENAME" $c.celeryBeatScheduleFilename
}}
{{- with $c.allowedHosts }}
{{- $_ := set $data "DJANGO_ALLOWED_HOSTS" (join "," .) }}
{{- end }}
{{- with $c.stripe.pricePro }}{{ $_ := set $data "STRIPE_PRICE_PRO" . }}{{ end }}
{{- with $c.stripe.priceBusiness }}{{ $_ := set $data "STRIPE_PRICE_BUSINESS" . }}{{ end }}
{{- if $c.email.host }}
{{- $_ := set $data "EMAIL_HOST" $c.email.host }}
{{- $_ := set $data "EMAIL_PORT" (toString $c.email.port) }}
{{- $_ := set $data "EMAIL_USE_TLS" (toString $c.email.useTls) }}
{{- with $c.email.user }}{{ $_ := set $data "EMAIL_HOST_USER" . }}{{ end }}
{{- end }}
{{- with $c.email.defaultFrom }}{{ $_ := set $data "DEFAULT_FROM_EMAIL" . }}{{ end }}
{{- if $c.s3.bucket }}
{{- $_ := set $data "AWS_STORAGE_BUCKET_NAME" $c.s3.bucket }}
{{- with $c.s3.endpointUrl }}{{ $_ := set $data "AWS_S3_ENDPOINT_URL" . }}{{ end }}
{{- with $c.s3.region }}{{ $_ := set $data "AWS_S3_REGION_NAME" . }}{{ end }}
{{- with $c.s3.addressingStyle }}{{ $_ := set $data "AWS_S3_ADDRESSING_STYLE" . }}{{ end }}
{{- else }}
{{- /* The image's own media directory is read-only; /tmp is the only place left. */}}
{{- $_ := set $data "STRATA_MEDIA_ROOT" "/tmp/media" }}
{{- end }}
{{- with $c.sentry.environment }}{{ $_ := set $data "SENTRY_ENVIRONMENT" . }}{{ end }}
{{- range $name, $value := .Values.extraEnv }}
{{- $_ := set $data $name (toString $value) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/* Secrets. */}}

{{/* Every secret the application reads; each may come from <NAME>_FILE. */}}
{{- define "strata.appSecretNames" -}}
{{- list "DJANGO_SECRET_KEY" "DATABASE_URL" "REDIS_URL" "CELERY_BROKER_URL" "STRIPE_SECRET_KEY" "STRIPE_WEBHOOK_SECRET" "EMAIL_HOST_PASSWORD" "SENTRY_DSN" "AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY" | toJson }}
{{- end }}

{{- define "strata.secretName" -}}
{{- default (include "strata.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* The keys the mounted Secret holds, as a JSON list: the declared ones of an existing
Secret, or the non-empty values of the chart's (DJANGO_SECRET_KEY always). */}}
{{- define "strata.secretKeys" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecretKeys | uniq | toJson }}
{{- else }}
{{- $keys := list "DJANGO_SECRET_KEY" }}
{{- range $name, $value := .Values.secrets.values }}
{{- if and $value (ne $name "DJANGO_SECRET_KEY") }}
{{- $keys = append $keys $name }}
{{- end }}
{{- end }}
{{- $keys | toJson }}
{{- end }}
{{- end }}

{{/* The keys that become <NAME>_FILE in Strata's containers, as a JSON list. */}}
{{- define "strata.appSecretKeys" -}}
{{- $names := include "strata.appSecretNames" . | fromJsonArray }}
{{- $keys := list }}
{{- range include "strata.secretKeys" . | fromJsonArray }}
{{- if has . $names }}
{{- $keys = append $keys . }}
{{- end }}
{{- end }}
{{- $keys | toJson }}
{{- end }}

{{/* The chart-managed DJANGO_SECRET_KEY: the given one, else the one already in the release's
Secret, else 64 random characters. Helm renders the hook's copy and the Secret from separate
calls, so a generated key is remembered in .Values (shared by every template of one render)
for both to hold the same. */}}
{{- define "strata.djangoSecretKey" -}}
{{- if .Values.secrets.values.DJANGO_SECRET_KEY }}
{{- .Values.secrets.values.DJANGO_SECRET_KEY }}
{{- else }}
{{- if not (hasKey .Values.secrets "generatedDjangoSecretKey") }}
{{- $key := randAlphaNum 64 }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "strata.fullname" .) }}
{{- if and $existing $existing.data }}
{{- with $existing.data.DJANGO_SECRET_KEY }}
{{- $key = b64dec . }}
{{- end }}
{{- end }}
{{- $_ := set .Values.secrets "generatedDjangoSecretKey" $key }}
{{- end }}
{{- .Values.secrets.generatedDjangoSecretKey }}
{{- end }}
{{- end }}

{{/* The chart-managed Secret's data; one definition feeds the Secret and the hook's copy. */}}
{{- define "strata.secretData" -}}
DJANGO_SECRET_KEY: {{ include "strata.djangoSecretKey" . | b64enc | quote }}
{{- range $name, $value := .Values.secrets.values }}
{{- if and $value (ne $name "DJANGO_SECRET_KEY") }}
{{ $name }}: {{ $value | b64enc | quote }}
{{- end }}
{{- end }}
{{- if and .Values.pgbouncer.enabled .Values.pgbouncer.userlist }}
PGBOUNCER_USERLIST: {{ .Values.pgbouncer.userlist | b64enc | quote }}
{{- end }}
{{- end }}

{{- define "strata.secretMountPath" -}}
/run/secrets/strata
{{- end }}

{{/* <NAME>_FILE for each secret the Secret holds. Never <NAME>: the application refuses both. */}}
{{- define "strata.secretEnv" -}}
{{- range include "strata.appSecretKeys" . | fromJsonArray }}
- name: {{ . }}_FILE
  value: {{ include "strata.secretMountPath" $ }}/{{ . }}
{{- end }}
{{- end }}

{{/* (dict "root" $ "secretName" NAME "databaseUrlFrom" KEY): the secret files, only the keys
the containers are told about (PGBOUNCER_USERLIST stays out). 0440 with the pod's fsGroup:
readable by the application's group, not by others. */}}
{{- define "strata.secretVolume" -}}
- name: secrets
  secret:
    secretName: {{ .secretName }}
    defaultMode: 0440
    items:
      {{- range include "strata.appSecretKeys" .root | fromJsonArray }}
      - key: {{ if and (eq . "DATABASE_URL") $.databaseUrlFrom }}{{ $.databaseUrlFrom }}{{ else }}{{ . }}{{ end }}
        path: {{ . }}
      {{- end }}
{{- end }}

{{/* Pods. */}}

{{/* Rolls the pods when the configuration or the chart-managed secrets change. An existing
Secret's content is not visible to the chart: after changing it, `kubectl rollout restart`. */}}
{{- define "strata.checksums" -}}
checksum/config: {{ include "strata.configData" . | sha256sum }}
{{- if .Values.secrets.existingSecret }}
checksum/secret: {{ printf "%s %s" .Values.secrets.existingSecret (include "strata.secretKeys" .) | sha256sum }}
{{- else }}
checksum/secret: {{ include "strata.secretData" . | sha256sum }}
{{- end }}
{{- end }}

{{- define "strata.podScheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* (dict "root" $ "component" NAME "constraints" LIST): a constraint without a labelSelector
spreads this component's pods. */}}
{{- define "strata.topologySpread" -}}
{{- with .constraints }}
topologySpreadConstraints:
{{- range . }}
{{- $constraint := deepCopy . }}
{{- if not (hasKey $constraint "labelSelector") }}
{{- $selector := include "strata.selectorLabels" (dict "root" $.root "component" $.component) | fromYaml }}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" $selector) }}
{{- end }}
  - {{ toYaml $constraint | nindent 4 | trim }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes every Strata pod has: /tmp, the only writable directory. */}}
{{- define "strata.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "strata.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: secrets
  mountPath: {{ include "strata.secretMountPath" . }}
  readOnly: true
{{- end }}

{{/* Values the schema cannot check: fail with a line that names the fix. */}}
{{- define "strata.validate" -}}
{{- $secretNames := include "strata.appSecretNames" . | fromJsonArray }}
{{- range $name, $_ := .Values.extraEnv }}
{{- if or (has $name $secretNames) (has (trimSuffix "_FILE" $name) $secretNames) }}
{{- fail (printf "extraEnv.%s is a secret: put it in secrets.values or in secrets.existingSecret" $name) }}
{{- end }}
{{- end }}
{{- if .Values.pgbouncer.enabled }}
{{- $keys := include "strata.secretKeys" . | fromJsonArray }}
{{- if not (has "MIGRATIONS_DATABASE_URL" $keys) }}
{{- fail "pgbouncer.enabled: give the migration Job a direct PostgreSQL URL in the MIGRATIONS_DATABASE_URL secret (secrets.values, or secrets.existingSecretKeys): the hook runs before PgBouncer exists" }}
{{- end }}
{{- if not (or .Values.secrets.existingSecret .Values.pgbouncer.userlist) }}
{{- fail "pgbouncer.enabled: set pgbouncer.userlist (or use secrets.existingSecret with a PGBOUNCER_USERLIST key)" }}
{{- end }}
{{- end }}
{{- end }}

{{/* (dict "root" $ "secretName" NAME "databaseUrlFrom" KEY "serviceAccountName" NAME):
what every Strata pod shares, besides its containers. */}}
{{- define "strata.podSpec" -}}
{{- $root := .root -}}
serviceAccountName: {{ .serviceAccountName | default (include "strata.serviceAccountName" $root) }}
automountServiceAccountToken: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- include "strata.podScheduling" $root }}
volumes:
  {{- include "strata.tmpVolume" $root | nindent 2 }}
  {{- include "strata.secretVolume" (dict "root" $root "secretName" .secretName "databaseUrlFrom" .databaseUrlFrom) | nindent 2 }}
{{- end }}

{{/* (dict "root" $ "configMap" NAME): what every Strata container shares. */}}
{{- define "strata.container" -}}
{{- $root := .root -}}
image: {{ include "strata.image" $root }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml $root.Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ .configMap }}
env:
  {{- include "strata.secretEnv" $root | trim | nindent 2 }}
volumeMounts:
  {{- include "strata.volumeMounts" $root | nindent 2 }}
{{- end }}

{{/* Pod metadata for the Deployments: labels, checksums, the user's annotations. */}}
{{- define "strata.podMetadata" -}}
labels:
  {{- include "strata.selectorLabels" . | nindent 2 }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  {{- include "strata.checksums" .root | nindent 2 }}
  {{- with .root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* PgBouncer's configuration. pool_mode is session whatever else changes: Strata keeps a
tenant's search_path on its connection, which transaction pooling would share. */}}
{{- define "strata.pgbouncerIni" -}}
{{- $pgb := .Values.pgbouncer -}}
{{- $up := $pgb.upstream -}}
[databases]
{{ $up.dbname }} = host={{ $up.host }} port={{ $up.port }} dbname={{ $up.dbname }}
[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
; No Unix socket: nothing in the pod would use it and the filesystem is read-only.
unix_socket_dir =
auth_type = {{ $pgb.authType }}
auth_file = /etc/pgbouncer/userlist.txt
pool_mode = {{ $pgb.poolMode }}
; A released server connection forgets its session (search_path, prepared statements, locks).
server_reset_query = DISCARD ALL
server_lifetime = {{ $pgb.serverLifetime }}
server_idle_timeout = {{ $pgb.serverIdleTimeout }}
server_tls_sslmode = {{ $up.sslmode }}
max_client_conn = {{ $pgb.maxClientConn }}
default_pool_size = {{ $pgb.defaultPoolSize }}
ignore_startup_parameters = extra_float_digits
{{- end }}
