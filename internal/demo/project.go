package demo

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The fixture here (the GitOps repository, the project's manifests and the
// Argo CD Applications) is shared with the end-to-end tests in test/e2e.

// The demo project's names.
const (
	projectName   = "demo"
	warehouseName = "demo"
	imageRepo     = "demo/app"
	gitopsRepo    = "gitops"
)

// stageNames are the demo's Stages in promotion order.
var stageNames = []string{"test", "staging", "prod"}

// semverTag is the Warehouse's freightCreationCriteria: only tags like
// v1.2.3 make Freight by themselves.
var semverTag = regexp.MustCompile(`^v?[0-9]+[.][0-9]+[.][0-9]+`)

const semverExpr = `^v?[0-9]+[.][0-9]+[.][0-9]+`

// GitOpsFiles is the GitOps repository: one app with a base and an overlay
// per environment. The base's Deployment takes the image (set by
// kustomize-set-image); each overlay also renders the demo chart from the
// Helm repository (its version set by yaml-update).
func GitOpsFiles(image, chartRepo string) map[string]string {
	files := map[string]string{
		"README.md": "# GitOps repository of the Railyard demo\n\n" +
			"Railyard renders apps/demo/overlays/<env> into manifests.yaml on branch kargo/demo/<env>.\n",
		"apps/demo/base/kustomization.yaml": "resources:\n- deployment.yaml\n",
		"apps/demo/base/deployment.yaml": `apiVersion: apps/v1
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
        image: ` + image + `:placeholder
`,
	}
	for _, env := range stageNames {
		files["apps/demo/overlays/"+env+"/kustomization.yaml"] = Overlay(env, chartRepo, chartVersion)
	}
	return files
}

// Overlay is the kustomization of one environment: the base, a name prefix,
// and the demo chart at chartVersion from chartRepo.
func Overlay(env, chartRepo, chartVersion string) string {
	return fmt.Sprintf(`# The %[1]s environment of demo.
resources:
- ../../base
namePrefix: %[1]s-
helmCharts:
- name: %[2]s
  repo: %[3]s
  version: %[4]s
  releaseName: demo
  valuesInline:
    message: running in %[1]s
`, env, chartName, chartRepo, chartVersion)
}

// ProjectManifest is the Project; its controller creates the namespace.
const ProjectManifest = "apiVersion: railyard.dev/v1alpha1\nkind: Project\nmetadata:\n  name: " + projectName + "\n"

// ProjectManifests are what a user applies into the project: a ProjectConfig
// auto-promoting to test only, a Warehouse following the image, the chart
// and the app's paths on main, a PromotionTask (render, commit to
// kargo/demo/<env>, point Argo CD at the commit) and Stages test (fed by the
// Warehouse), staging (fed by test) and prod (fed by staging).
func ProjectManifests(image, chartRepo, gitRepo string, interval time.Duration) string {
	return strings.NewReplacer("IMAGE", image, "CHARTREPO", chartRepo, "GITREPO", gitRepo, "CHART", chartName,
		"SEMVER", semverExpr, "INTERVAL", interval.String(), "PROJECT", projectName, "WAREHOUSE", warehouseName, "ARGONS", argoNamespace).Replace(`apiVersion: railyard.dev/v1alpha1
kind: ProjectConfig
metadata:
  name: PROJECT
  namespace: PROJECT
spec:
  promotionPolicies:
  - stageSelector:
      name: test
    autoPromotionEnabled: true
---
apiVersion: railyard.dev/v1alpha1
kind: Warehouse
metadata:
  name: WAREHOUSE
  namespace: PROJECT
spec:
  interval: INTERVAL
  freightCreationCriteria:
    expression: imageFrom('IMAGE').Tag matches 'SEMVER'
  subscriptions:
  - image:
      repoURL: IMAGE
      imageSelectionStrategy: NewestBuild
  - chart:
      repoURL: CHARTREPO
      name: CHART
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
  namespace: PROJECT
spec:
  vars:
  - name: app
    value: demo
  - name: env
  steps:
  - uses: git-clone
    as: clone
    config:
      repoURL: GITREPO
      checkout:
      - commit: ${{ commitFrom('GITREPO').ID }}
        path: ./src
      - branch: kargo/${{ vars.app }}/${{ vars.env }}
        create: true
        path: ./out
  - uses: git-clear
    as: clear
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
        value: ${{ chartFrom('CHARTREPO', 'CHART').Version }}
  - uses: kustomize-build
    as: render
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
    as: argocd-update
    config:
      apps:
      - name: ${{ vars.app }}-${{ vars.env }}
        namespace: ARGONS
        sources:
        - repoURL: GITREPO
          desiredRevision: ${{ task.outputs.push.commit }}
`) + stageManifests()
}

func stageManifests() string {
	var b strings.Builder
	for i, name := range stageNames {
		source := "direct: true"
		if i > 0 {
			source = "stages: [" + stageNames[i-1] + "]"
		}
		fmt.Fprintf(&b, `---
apiVersion: railyard.dev/v1alpha1
kind: Stage
metadata:
  name: %[1]s
  namespace: %[3]s
spec:
  requestedFreight:
  - origin:
      kind: Warehouse
      name: %[4]s
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
`, name, source, projectName, warehouseName)
	}
	return b.String()
}

// Applications are the Argo CD Applications of the three environments,
// each authorizing its Stage to update it.
func Applications(gitRepo string) string {
	var b strings.Builder
	for _, env := range stageNames {
		fmt.Fprintf(&b, `---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: demo-%[1]s
  namespace: %[3]s
  annotations:
    railyard.dev/authorized-stage: %[4]s:%[1]s
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: demo-%[1]s
  source:
    repoURL: %[2]s
    targetRevision: kargo/demo/%[1]s
    path: .
`, env, gitRepo, argoNamespace, projectName)
	}
	return b.String()
}

// stageBranch is the branch a Stage's promotions commit to.
func stageBranch(stage string) string { return "kargo/demo/" + stage }
