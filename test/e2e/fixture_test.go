package e2e

import (
	"fmt"
	"strings"
)

// gitopsFiles is the GitOps repository of the user workflow: one app with a
// base and test/staging/prod overlays. Each overlay renders the app's
// Deployment (whose image kustomize-set-image sets) and the app's Helm chart
// from the test Helm repository (whose version yaml-update sets).
func gitopsFiles(image, chartRepo string) map[string]string {
	files := map[string]string{
		"README.md": "# GitOps repository\n",
		"apps/demo/base/kustomization.yaml": `resources:
- deployment.yaml
`,
		"apps/demo/base/deployment.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo
spec:
  replicas: 1
  selector:
    matchLabels:
      app: demo
  template:
    metadata:
      labels:
        app: demo
    spec:
      containers:
      - name: demo
        image: %s:placeholder
`, image),
	}
	for _, env := range []string{"test", "staging", "prod"} {
		files["apps/demo/overlays/"+env+"/kustomization.yaml"] = overlay(env, chartRepo, "0.1.0")
	}
	return files
}

func overlay(env, chartRepo, chartVersion string) string {
	return fmt.Sprintf(`# The %s environment of demo.
resources:
- ../../base
namePrefix: %s-
helmCharts:
- name: demo-chart
  repo: %s
  version: %s
  releaseName: demo
  valuesInline:
    message: running in %s
`, env, env, chartRepo, chartVersion, env)
}

// projectManifests is the demo project as a user applies it: a Warehouse
// subscribing to the image, the chart and the app's paths on main; a
// PromotionTask with the user workflow's steps; Stages test (direct),
// staging and prod (from upstream); and a ProjectConfig that auto-promotes
// to test only.
func projectManifests(image, chartRepo, gitRepo string) string {
	return strings.NewReplacer("IMAGE", image, "CHARTREPO", chartRepo, "GITREPO", gitRepo).Replace(`
apiVersion: railyard.dev/v1alpha1
kind: ProjectConfig
metadata:
  name: demo
  namespace: demo
spec:
  promotionPolicies:
  - stageSelector:
      name: test
    autoPromotionEnabled: true
---
apiVersion: railyard.dev/v1alpha1
kind: Warehouse
metadata:
  name: demo
  namespace: demo
spec:
  interval: 2s
  freightCreationCriteria:
    expression: imageFrom('IMAGE').Tag matches '^v?[0-9]+[.][0-9]+[.][0-9]+'
  subscriptions:
  - image:
      repoURL: IMAGE
      imageSelectionStrategy: NewestBuild
      insecureSkipTLSVerify: true
  - chart:
      repoURL: CHARTREPO
      name: demo-chart
  - git:
      repoURL: GITREPO
      branch: main
      includePaths:
      - apps/demo
---
apiVersion: railyard.dev/v1alpha1
kind: PromotionTask
metadata:
  name: promote
  namespace: demo
spec:
  vars:
  - name: app
    value: demo
  - name: env
  steps:
  - uses: git-clone
    config:
      repoURL: GITREPO
      checkout:
      - commit: ${{ commitFrom('GITREPO').ID }}
        path: ./src
      - branch: kargo/${{ vars.app }}/${{ vars.env }}
        create: true
        path: ./out
  - uses: git-clear
    config:
      path: ./out
  - uses: kustomize-set-image
    as: set-image
    config:
      path: ./src/apps/${{ vars.app }}/base
      images:
      - image: IMAGE
        tag: ${{ imageFrom('IMAGE').Tag }}
  - uses: yaml-update
    as: set-chart
    config:
      path: ./src/apps/${{ vars.app }}/overlays/${{ vars.env }}/kustomization.yaml
      updates:
      - key: helmCharts.0.version
        value: ${{ chartFrom('CHARTREPO', 'demo-chart').Version }}
  - uses: kustomize-build
    config:
      path: ./src/apps/${{ vars.app }}/overlays/${{ vars.env }}
      outPath: ./out/manifests.yaml
  - uses: git-commit
    as: commit
    config:
      path: ./out
      message: ${{ task.outputs['set-image'].commitMessage }}
  - uses: git-push
    as: push
    config:
      path: ./out
  - uses: argocd-update
    config:
      apps:
      - name: ${{ vars.app }}-${{ vars.env }}
        namespace: argocd
        sources:
        - repoURL: GITREPO
          desiredRevision: ${{ task.outputs.push.commit }}
`) + stages()
}

func stages() string {
	var b strings.Builder
	for _, s := range []struct{ name, source string }{
		{"test", "direct: true"},
		{"staging", "stages: [test]"},
		{"prod", "stages: [staging]"},
	} {
		fmt.Fprintf(&b, `---
apiVersion: railyard.dev/v1alpha1
kind: Stage
metadata:
  name: %[1]s
  namespace: demo
spec:
  requestedFreight:
  - origin:
      kind: Warehouse
      name: demo
    sources:
      %[2]s
  promotionTemplate:
    spec:
      steps:
      - task:
          name: promote
        vars:
        - name: env
          value: %[1]s
`, s.name, s.source)
	}
	return b.String()
}

// applications are the Argo CD Applications of the three environments,
// each authorizing its Stage to update it.
func applications(gitRepo string) string {
	var b strings.Builder
	for _, env := range []string{"test", "staging", "prod"} {
		fmt.Fprintf(&b, `---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: demo-%[1]s
  namespace: argocd
  annotations:
    railyard.dev/authorized-stage: demo:%[1]s
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: demo-%[1]s
  source:
    repoURL: %[2]s
    targetRevision: kargo/demo/%[1]s
    path: .
`, env, gitRepo)
	}
	return b.String()
}
