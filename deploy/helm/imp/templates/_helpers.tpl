{{/*
Labels of every object.
*/}}
{{- define "imp.labels" -}}
app.kubernetes.io/name: imp
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: imp
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Selector labels of one workload; they never change across upgrades
(a Deployment's selector is immutable). Call with (dict "root" $ "name" NAME).
*/}}
{{- define "imp.selectorLabels" -}}
app.kubernetes.io/name: imp
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "imp.image" -}}
{{- $i := .Values.image -}}
{{- if $i.digest -}}
{{ $i.repository }}@{{ $i.digest }}
{{- else -}}
{{ $i.repository }}:{{ $i.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "imp.secretName" -}}
{{- .Values.secrets.existingSecret | default "imp" -}}
{{- end -}}

{{- define "imp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ .Values.serviceAccount.name }}
{{- else -}}
{{ .Values.serviceAccount.name | default "default" }}
{{- end -}}
{{- end -}}

{{/*
A consumer's Deployment name: the seed's. Call with (dict "name" NAME "c" CONSUMER).
*/}}
{{- define "imp.consumer.workload" -}}
{{- .c.workload | default (printf "consumer-%s" .name) -}}
{{- end -}}

{{/*
Whether KEDA scales a consumer: enabled, KEDA on, and a lagThreshold.
Prints "true" or nothing. Call with (dict "root" $ "c" CONSUMER).
*/}}
{{- define "imp.consumer.keda" -}}
{{- if and .c.enabled .root.Values.keda.enabled (gt (int (.c.scaling.lagThreshold | default 0)) 0) -}}
true
{{- end -}}
{{- end -}}

{{/*
A consumer's minimum (or fixed) replicas: 0 when disabled; otherwise its
scaling.replicas (at least 1), raised to resilience.baselineReplicas when
it is critical. Call with (dict "root" $ "c" CONSUMER).
*/}}
{{- define "imp.consumer.min" -}}
{{- if not .c.enabled -}}
0
{{- else -}}
{{- $n := int (.c.scaling.replicas | default 1) -}}
{{- if .c.critical -}}
{{- $n = max $n (int .root.Values.resilience.baselineReplicas) -}}
{{- end -}}
{{- $n -}}
{{- end -}}
{{- end -}}

{{/*
A consumer's maximum replicas: KEDA's maxReplicaCount, or the fixed count.
Call with (dict "root" $ "c" CONSUMER).
*/}}
{{- define "imp.consumer.max" -}}
{{- $min := include "imp.consumer.min" . | int -}}
{{- if include "imp.consumer.keda" . -}}
{{- int (.c.scaling.maxReplicas | default $min) -}}
{{- else -}}
{{- $min -}}
{{- end -}}
{{- end -}}

{{/*
The streams whose .retry topics a consumer reads (default: its streams).
Prints a JSON list. Call with CONSUMER.
*/}}
{{- define "imp.consumer.retryStreams" -}}
{{- if hasKey . "retryStreams" -}}
{{- toJson (.retryStreams | default list) -}}
{{- else -}}
{{- toJson (.streams | default list) -}}
{{- end -}}
{{- end -}}

{{/*
One Deployment of the imp binary. Call with a dict:
  root          $
  name          Deployment name (the seed's)
  role          api, consumer or dashboard
  consumer      consumer name (consumers only)
  args          the imp subcommand and its arguments
  replicas      fixed replicas; ignored when autoscaled
  autoscaled    an HPA or ScaledObject owns the replica count
  resources     requests and limits
  migrate       run `imp migrate` as an init container
  preStopSleep  seconds to keep serving after termination starts
  spread        add a topology spread constraint
  mllp          listen for MLLP (the api)
  reports       mount the reports volume
*/}}
{{- define "imp.deployment" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "imp.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
    imp.health/role: {{ .role }}
    {{- with .consumer }}
    imp.health/consumer: {{ . }}
    {{- end }}
spec:
  {{- if not .autoscaled }}
  replicas: {{ .replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "imp.selectorLabels" (dict "root" $root "name" .name) | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      # Never below the wanted replicas during a rollout.
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "imp.selectorLabels" (dict "root" $root "name" .name) | nindent 8 }}
        app.kubernetes.io/part-of: imp
        app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
        imp.health/role: {{ .role }}
        {{- with .consumer }}
        imp.health/consumer: {{ . }}
        {{- end }}
      annotations:
        # Roll the pods when their configuration changes. Secrets are not
        # hashed here (pod annotations are readable by more people than
        # Secrets): restart the workloads after rotating one.
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- if $v.metrics.scrapeAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $v.config.httpPort | quote }}
        prometheus.io/path: /metrics
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "imp.serviceAccountName" $root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if .migrate }}
      initContainers:
        - name: migrate
          image: {{ include "imp.image" $root }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          args: ["migrate"]
          envFrom:
            - configMapRef:
                name: imp
            - secretRef:
                name: {{ include "imp.secretName" $root }}
          resources:
            {{- toYaml $v.migrations.resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: data
              mountPath: {{ $v.config.dataDir }}
      {{- end }}
      containers:
        - name: imp
          image: {{ include "imp.image" $root }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          args: {{ toJson .args }}
          ports:
            - name: http
              containerPort: {{ $v.config.httpPort }}
              protocol: TCP
            {{- if and .mllp $v.mllp.enabled }}
            - name: mllp
              containerPort: {{ $v.mllp.port }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: imp
            - secretRef:
                name: {{ include "imp.secretName" $root }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            {{- toYaml $v.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            {{- toYaml $v.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            {{- toYaml $v.probes.readiness | nindent 12 }}
          {{- if .preStopSleep }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ .preStopSleep }}
          {{- end }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: data
              mountPath: {{ $v.config.dataDir }}
            {{- if .reports }}
            - name: reports
              mountPath: {{ $v.reports.mountPath }}
            {{- end }}
            {{- if and .mllp $v.mllp.enabled $v.mllp.tlsSecret }}
            - name: mllp-tls
              mountPath: /etc/imp/mllp-tls
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $v.volumes.tmpSizeLimit }}
        - name: data
          emptyDir:
            sizeLimit: {{ $v.volumes.dataSizeLimit }}
        {{- if .reports }}
        - name: reports
          {{- if $v.reports.persistence.enabled }}
          persistentVolumeClaim:
            claimName: {{ $v.reports.persistence.existingClaim | default "imp-reports" }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        {{- end }}
        {{- if and .mllp $v.mllp.enabled $v.mllp.tlsSecret }}
        - name: mllp-tls
          secret:
            secretName: {{ $v.mllp.tlsSecret }}
        {{- end }}
      {{- if and .spread $v.resilience.topologySpread }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "imp.selectorLabels" (dict "root" $root "name" .name) | nindent 14 }}
      {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/*
A PodDisruptionBudget for one workload. Call with (dict "root" $ "name" NAME).
*/}}
{{- define "imp.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "imp.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
spec:
  maxUnavailable: {{ .root.Values.resilience.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "imp.selectorLabels" (dict "root" .root "name" .name) | nindent 6 }}
{{- end -}}

{{/*
A Service in front of one workload's http port (and the api's MLLP port).
Call with (dict "root" $ "name" NAME "svc" SERVICE-VALUES "mllp" BOOL).
*/}}
{{- define "imp.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "imp.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
spec:
  type: {{ .svc.type }}
  selector:
    {{- include "imp.selectorLabels" (dict "root" .root "name" .name) | nindent 4 }}
  ports:
    - name: http
      port: {{ .svc.port }}
      targetPort: http
      protocol: TCP
      {{- if and (ne .svc.type "ClusterIP") .svc.nodePort }}
      nodePort: {{ .svc.nodePort }}
      {{- end }}
    {{- $m := .root.Values.mllp }}
    {{- if and .mllp $m.enabled }}
    - name: mllp
      port: {{ $m.port }}
      targetPort: mllp
      protocol: TCP
      {{- if and (ne .svc.type "ClusterIP") $m.nodePort }}
      nodePort: {{ $m.nodePort }}
      {{- end }}
    {{- end }}
{{- end -}}
