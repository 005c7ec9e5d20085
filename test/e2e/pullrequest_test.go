package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/argocd/argocdtest"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/forgetest"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/registrytest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// prRepo is the Gitea repository holding the GitOps files.
const prRepo = "gitops"

// prStageBranch is the branch Stage prod deploys from.
const prStageBranch = "kargo/demo/prod"

// TestPullRequestPromotion is issue #14's "how it is shown", end to end: a
// Promotion to prod pushes branch kargo/<app>/prod-<freight> to a real
// Gitea, opens a pull request into the stage branch kargo/<app>/prod and
// waits for it; a manager killed while it waits is replaced and the
// Promotion resumes without a second pull request; a person merges the pull
// request through Gitea and the Promotion succeeds with Argo CD pointed at
// the merge commit. Then, with a Gitea webhook receiver in the project and
// git-wait-for-pr polling only hourly, Gitea's own pull-request events wake
// the waiting Promotions: a merge finishes one, a pull request closed
// without merging fails another with the pull request's URL.
//
// git-wait-for-pr polls no faster than every 10s (the step's minimum, not
// shortened here), so this test takes a minute or more.
func TestPullRequestPromotion(t *testing.T) {
	crd, err := argocdtest.TestCRDPath()
	if err != nil {
		t.Fatalf("getting Argo CD's Application CRD: %v", err)
	}
	env, err := testenv.Start(testenv.Options{ExtraCRDPaths: []string{crd}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	// The manager reaches Gitea through a proxy that records each request,
	// so the test can count pull requests opened and polls made. Gitea
	// names the proxy as its public URL, so the repository URL in its
	// webhook payloads is the one the Stage uses.
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	forge := forgetest.StartWith(t, forgetest.Options{RootURL: "http://" + proxyLn.Addr().String()})
	forge.CreateRepo(t, prRepo, map[string]string{"README.md": "# gitops\n"})
	forge.CommitFiles(t, prRepo, prStageBranch, "main", "create the prod stage branch", map[string]string{"version.yaml": "version: none\n"})
	stageHead := forge.BranchHead(t, prRepo, prStageBranch)
	proxy := startForgeProxy(t, proxyLn, forge.URL())
	repoURL := proxy.URL + "/" + forge.Username() + "/" + prRepo + ".git"
	apiRepo := "/api/v1/repos/" + forge.Username() + "/" + prRepo

	w := &world{t: t, top: t, ctx: context.Background(), env: env, workDir: t.TempDir(),
		built: ptrTime(time.Now().Add(-time.Hour)), managers: &[]*runningManager{}}
	w.reg = registrytest.New(t)
	w.image = w.reg.Repo("demo/app")

	w.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}})
	w.startManager()
	w.argo = startArgoStandIn(t, env.Client)
	w.apply(demo.ProjectManifest)
	eventually(t, "the Project to create its namespace", func() (bool, string) {
		err := env.Client.Get(w.ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{})
		return err == nil, fmt.Sprint(err)
	})
	w.apply(prManifests(repoURL, w.image, forge.Username(), forge.Token()))
	traceProdPromotions(t, w)

	// 1. A Promotion of v1.0.0 pushes kargo/demo/prod-<freight>, opens a
	// pull request into kargo/demo/prod and waits for it.
	f1 := w.pushImage("v1.0.0")
	p1 := w.promote("prod-pr-1", f1.Name)
	pr := waitOnePR(t, forge, "v1.0.0")
	if pr.Head.Branch != prStageBranch+"-"+f1.Name || pr.Base.Branch != prStageBranch || pr.State != "open" {
		t.Fatalf("pull request %d: %s -> %s (%s), want %s-%s -> %s, open", pr.Number, pr.Head.Branch, pr.Base.Branch, pr.State, prStageBranch, f1.Name, prStageBranch)
	}
	if got := forge.BranchHead(t, prRepo, prStageBranch); got != stageHead {
		t.Fatalf("%s moved to %s before the pull request was merged", prStageBranch, got)
	}
	w.waitWaiting(p1, pr.HTMLURL)
	prPath := fmt.Sprintf("%s/pulls/%d", apiRepo, pr.Number)
	if n := proxy.count(http.MethodGet, prPath); n == 0 {
		t.Fatalf("git-wait-for-pr is Running without having read pull request %d", pr.Number)
	}

	// 2. Kill the manager while it waits and start a new one. It runs
	// git-wait-for-pr again (the Promotion resumes there) and opens no
	// second pull request. The new manager also serves webhook receivers.
	for _, m := range *w.managers {
		kill(m)
	}
	before := proxy.count(http.MethodGet, prPath)
	rcvLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	*w.managers = append(*w.managers, startManagerWith(t, env, w.workDir, func(o *manager.Options) {
		o.WebhookReceiverListener = rcvLn
		o.WebhookReceiverBaseURL = "http://" + rcvLn.Addr().String()
	}))
	// Three polls by the new manager: the first shows it resumed, the gaps
	// that it polls no more often than pollInterval (10s, then backing off).
	eventually(t, "the new manager to poll the pull request three times", func() (bool, string) {
		n := proxy.count(http.MethodGet, prPath) - before
		return n >= 3, fmt.Sprintf("%d polls by the new manager; Promotion %s", n, w.promotionState(p1))
	})
	if prs := forge.PullRequests(t, prRepo); len(prs) != 1 {
		t.Fatalf("%d pull requests after the restart, want 1: %+v", len(prs), prs)
	}
	if n := proxy.count(http.MethodPost, apiRepo+"/pulls"); n != 1 {
		t.Fatalf("the managers asked Gitea to open %d pull requests, want 1", n)
	}
	if got := w.promotion(p1); got.Status.Phase != railyard.PromotionPhaseRunning {
		t.Fatalf("Promotion %s is %s after the restart: %s", p1, got.Status.Phase, got.Status.Message)
	}
	// A lower bound only, which a slow machine cannot break: git-wait-for-pr
	// polls at pollInterval at the soonest (docs/pull-requests.md).
	polls := proxy.times(http.MethodGet, prPath)[before:]
	for i := 1; i < 3; i++ {
		if gap := polls[i].Sub(polls[i-1]); gap < 9*time.Second {
			time.Sleep(2 * time.Second) // let a burst of polls show in full
			polls = proxy.times(http.MethodGet, prPath)[before:]
			t.Fatalf("the new manager polled pull request %d %s after its previous poll, want pollInterval 10s at the soonest; "+
				"%d polls so far, %s apart, and the step now says %q", pr.Number, gap.Round(time.Millisecond), len(polls), gaps(polls), waitMessage(w, p1))
		}
	}

	// The project gets a Gitea webhook receiver, and Gitea delivers the
	// repository's pull-request events to it.
	const hookSecret = "gitea-hook-s3cret-Zk"
	w.apply(prReceiverManifests(hookSecret))
	forge.CreateWebhook(t, prRepo, (&receivers{world: w}).waitPublished(ns, "forge"), hookSecret, "pull_request")

	// 3. A person merges the pull request: the Promotion succeeds, with Argo
	// CD pointed at the merge commit.
	merge := forge.MergePR(t, prRepo, pr.Number)
	done := w.waitPhase(p1, railyard.PromotionPhaseSucceeded)
	if got := stepOutput(t, done, "wait-for-pr", "commit"); got != merge {
		t.Errorf("git-wait-for-pr output commit = %v, want the merge commit %s", got, merge)
	}
	if got := forge.BranchHead(t, prRepo, prStageBranch); got != merge {
		t.Errorf("%s = %s, want the merge commit %s", prStageBranch, got, merge)
	}
	if got := w.argo.syncedRevisions("demo-prod"); len(got) != 1 || got[0] != merge {
		t.Errorf("Argo CD synced demo-prod to %v, want [%s]", got, merge)
	}
	if got := appSyncRevision(t, w); got != merge {
		t.Errorf("Application demo-prod status.sync.revision = %q, want the merge commit %s", got, merge)
	}
	if prs := forge.PullRequests(t, prRepo); len(prs) != 1 || !prs[0].Merged {
		t.Errorf("pull requests after the merge: %+v, want one, merged", prs)
	}

	// From here on git-wait-for-pr polls once an hour, longer than the
	// test waits for anything: only Gitea's webhook delivery can wake the
	// Promotions below in time.
	setStageVar(t, w, "prod", "pollInterval", "1h")

	// 4. A merge wakes the waiting Promotion through the receiver.
	f2 := w.pushImage("v1.1.0")
	p2 := w.promote("prod-pr-2", f2.Name)
	second := waitPRFrom(t, w, forge, prStageBranch+"-"+f2.Name, p2)
	w.waitWaiting(p2, second.HTMLURL)
	merge2 := forge.MergePR(t, prRepo, second.Number)
	done = w.waitPhase(p2, railyard.PromotionPhaseSucceeded)
	if got := stepOutput(t, done, "wait-for-pr", "commit"); got != merge2 {
		t.Errorf("git-wait-for-pr output commit = %v, want the merge commit %s", got, merge2)
	}
	if done.Annotations[railyard.AnnotationRefresh] == "" {
		t.Errorf("Promotion %s finished without the receiver's refresh annotation", p2)
	}
	if got := w.argo.syncedRevisions("demo-prod"); len(got) != 2 || got[1] != merge2 {
		t.Errorf("Argo CD synced demo-prod to %v, want the second merge %s last", got, merge2)
	}

	// 5. A pull request closed without merging fails its Promotion with
	// the pull request's URL, woken by the receiver too.
	f3 := w.pushImage("v1.2.0")
	p3 := w.promote("prod-pr-3", f3.Name)
	third := waitPRFrom(t, w, forge, prStageBranch+"-"+f3.Name, p3)
	w.waitWaiting(p3, third.HTMLURL)
	forge.ClosePR(t, prRepo, third.Number)
	failed := w.waitPhase(p3, railyard.PromotionPhaseFailed)
	if !strings.Contains(failed.Status.Message, third.HTMLURL) {
		t.Errorf("Promotion %s failed with %q, want the pull request's URL %s", p3, failed.Status.Message, third.HTMLURL)
	}
	if got := forge.BranchHead(t, prRepo, prStageBranch); got != merge2 {
		t.Errorf("%s moved to %s after a pull request closed without merging", prStageBranch, got)
	}
	if got := w.argo.syncedRevisions("demo-prod"); len(got) != 2 {
		t.Errorf("Argo CD synced demo-prod to %v after the closed pull request, want only the two merges", got)
	}
	if prs := forge.PullRequests(t, prRepo); len(prs) != 3 {
		t.Errorf("%d pull requests in all, want 3", len(prs))
	}
	// Neither the forge's token nor the receiver's secret shows in the
	// manager's log, the Promotions' status or the project's Events.
	var promos railyard.PromotionList
	var events corev1.EventList
	if err := env.Client.List(w.ctx, &promos, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.List(w.ctx, &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	statuses, _ := json.Marshal(promos.Items)
	evs, _ := json.Marshal(events.Items)
	for _, secret := range []string{forge.Token(), hookSecret} {
		for where, text := range map[string]string{"log": managerLog.String(), "Promotions": string(statuses), "Events": string(evs)} {
			if i := strings.Index(text, secret); i >= 0 {
				around := text[max(0, i-300):min(len(text), i+len(secret)+100)]
				t.Errorf("a secret shows in the %s: ...%s...", where, strings.ReplaceAll(around, secret, "<secret>"))
			}
		}
	}
}

// waitPRFrom waits for the pull request from branch head.
func waitPRFrom(t *testing.T, w *world, forge *forgetest.Forge, head, promotion string) forgetest.PullRequest {
	t.Helper()
	var found forgetest.PullRequest
	eventually(t, "a pull request from "+head, func() (bool, string) {
		prs := forge.PullRequests(t, prRepo)
		for _, p := range prs {
			if p.Head.Branch == head {
				found = p
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d pull requests; Promotion %s", len(prs), w.promotionState(promotion))
	})
	return found
}

// setStageVar sets a variable of a Stage's promotion template; Promotions
// created afterwards take it.
func setStageVar(t *testing.T, w *world, stage, name, value string) {
	t.Helper()
	// The Stage controller writes the Stage too (status, finalizer): a
	// conflict means read it again and redo the change.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var st railyard.Stage
		if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: stage}, &st); err != nil {
			return err
		}
		vars := st.Spec.PromotionTemplate.Spec.Vars
		for i := range vars {
			if vars[i].Name == name {
				vars[i].Value = value
			}
		}
		return w.env.Client.Update(w.ctx, &st)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// prReceiverManifests are the project's Gitea webhook receiver and its
// Secret.
func prReceiverManifests(secret string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: gitea-receiver
  namespace: %[1]s
stringData:
  secret: %[2]q
---
apiVersion: railyard.dev/v1alpha1
kind: ProjectConfig
metadata:
  name: %[1]s
  namespace: %[1]s
spec:
  webhookReceivers:
  - name: forge
    gitea:
      secretRef:
        name: gitea-receiver
`, ns, secret)
}

// prManifests are the project's Gitea credentials, a Warehouse following
// the image, Stage prod promoting through a pull request and its Argo CD
// Application.
func prManifests(repoURL, image, user, token string) string {
	return strings.NewReplacer("GITREPO", repoURL, "IMAGE", image, "GITUSER", user, "GITTOKEN", token,
		"STAGEBRANCH", prStageBranch, "PROJECT", ns).Replace(`apiVersion: v1
kind: Secret
metadata:
  name: gitea-repo
  namespace: PROJECT
  labels:
    railyard.dev/cred-type: git
stringData:
  repoURL: GITREPO
  username: GITUSER
  password: GITTOKEN
---
apiVersion: railyard.dev/v1alpha1
kind: Warehouse
metadata:
  name: demo
  namespace: PROJECT
spec:
  interval: 24h
  subscriptions:
  - image:
      repoURL: IMAGE
---
apiVersion: railyard.dev/v1alpha1
kind: Stage
metadata:
  name: prod
  namespace: PROJECT
spec:
  requestedFreight:
  - origin:
      kind: Warehouse
      name: demo
    sources:
      direct: true
  promotionTemplate:
    spec:
      vars:
      - name: pollInterval
        value: 10s
      steps:
      - uses: git-clone
        as: clone
        config:
          repoURL: GITREPO
          checkout:
          - branch: STAGEBRANCH
            path: ./out
      - uses: file-write
        as: write
        config:
          path: ./out/version.yaml
          contents: "version: ${{ imageFrom('IMAGE').Tag }}\n"
          overwrite: true
      - uses: git-commit
        as: commit
        config:
          path: ./out
          message: Deploy ${{ imageFrom('IMAGE').Tag }} to prod
      - uses: git-push
        as: push
        config:
          path: ./out
          targetBranch: STAGEBRANCH-${{ ctx.targetFreight.name }}
      - uses: git-open-pr
        as: open-pr
        config:
          repoURL: GITREPO
          provider: gitea
          sourceBranch: ${{ outputs.push.branch }}
          targetBranch: STAGEBRANCH
      - uses: git-wait-for-pr
        as: wait-for-pr
        config:
          repoURL: GITREPO
          provider: gitea
          prNumber: ${{ outputs['open-pr'].pr.id }}
          pollInterval: ${{ vars.pollInterval }}
      - uses: argocd-update
        as: argocd-update
        config:
          apps:
          - name: demo-prod
            namespace: argocd
            sources:
            - repoURL: GITREPO
              desiredRevision: ${{ outputs['wait-for-pr'].commit }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: demo-prod
  namespace: argocd
  annotations:
    railyard.dev/authorized-stage: PROJECT:prod
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: demo-prod
  source:
    repoURL: GITREPO
    targetRevision: STAGEBRANCH
    path: .
`)
}

// traceProdPromotions records every state the Promotions go through, and
// logs them when the test fails (or always with RAILYARD_TEST_LOG set).
func traceProdPromotions(t *testing.T, w *world) {
	var trace []string
	last := map[string]string{}
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var list railyard.PromotionList
			if err := w.env.Client.List(ctx, &list, client.InNamespace(ns)); err == nil {
				for _, p := range list.Items {
					if state := w.promotionState(p.Name); state != last[p.Name] {
						last[p.Name] = state
						trace = append(trace, fmt.Sprintf("%7.2fs %s: %s", time.Since(start).Seconds(), p.Name, state))
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() || os.Getenv("RAILYARD_TEST_LOG") != "" {
			t.Logf("Promotion states:\n%s", strings.Join(trace, "\n"))
		}
	})
}

// forgeProxy forwards to Gitea and records every request.
type forgeProxy struct {
	*httptest.Server
	mu   sync.Mutex
	seen []proxied
}

type proxied struct {
	method, path string
	at           time.Time
}

func startForgeProxy(t *testing.T, ln net.Listener, target string) *forgeProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &forgeProxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	p.Server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, proxied{r.Method, r.URL.Path, time.Now()})
		p.mu.Unlock()
		rp.ServeHTTP(rw, r)
	})}}
	p.Start()
	t.Cleanup(p.Close)
	return p
}

// times are when requests method path came, in order.
func (p *forgeProxy) times(method, path string) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Time
	for _, r := range p.seen {
		if r.method == method && r.path == path {
			out = append(out, r.at)
		}
	}
	return out
}

func (p *forgeProxy) count(method, path string) int { return len(p.times(method, path)) }

func gaps(ts []time.Time) string {
	var out []string
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].Sub(ts[i-1]).Round(time.Millisecond).String())
	}
	return strings.Join(out, " ")
}

// waitMessage is the message of a Promotion's last step.
func waitMessage(w *world, name string) string {
	p := w.promotion(name)
	if n := len(p.Status.StepExecutionMetadata); n > 0 {
		return p.Status.StepExecutionMetadata[n-1].Message
	}
	return ""
}

// kill stops a manager as killedManager does. The buffered result is put
// back so that the test's cleanup, which stops it again, does not wait.
func kill(m *runningManager) { m.stop() }

// promote creates Promotion name of freightName to prod.
func (w *world) promote(name, freightName string) string {
	w.t.Helper()
	w.create(&railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       railyard.PromotionSpec{Stage: "prod", Freight: freightName},
	})
	return name
}

func (w *world) promotionState(name string) string {
	p := &railyard.Promotion{}
	if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
		return err.Error()
	}
	var steps []string
	for _, s := range p.Status.StepExecutionMetadata {
		steps = append(steps, fmt.Sprintf("%s=%s(%q, errors %d)", s.Alias, s.Status, s.Message, s.ErrorCount))
	}
	return fmt.Sprintf("%s %q step %d: %s", p.Status.Phase, p.Status.Message, p.Status.CurrentStep, strings.Join(steps, "; "))
}

// waitPhase is waitPromotion reporting each step's state while it waits.
func (w *world) waitPhase(name string, phase railyard.PromotionPhase) *railyard.Promotion {
	w.t.Helper()
	var p *railyard.Promotion
	eventually(w.t, "Promotion "+name+" to be "+string(phase), func() (bool, string) {
		p = w.promotion(name)
		if p.Status.Phase.IsTerminal() && p.Status.Phase != phase {
			w.t.Fatalf("Promotion %s ended %s, want %s: %s", name, p.Status.Phase, phase, w.promotionState(name))
		}
		return p.Status.Phase == phase, w.promotionState(name)
	})
	return p
}

// waitWaiting waits until Promotion name is Running in git-wait-for-pr
// with a message naming the pull request.
func (w *world) waitWaiting(name, prURL string) {
	w.t.Helper()
	eventually(w.t, "Promotion "+name+" waiting in git-wait-for-pr", func() (bool, string) {
		p := w.promotion(name)
		if p.Status.Phase.IsTerminal() {
			w.t.Fatalf("Promotion %s ended %s: %s", name, p.Status.Phase, p.Status.Message)
		}
		n := len(p.Status.StepExecutionMetadata)
		if p.Status.Phase != railyard.PromotionPhaseRunning || n == 0 {
			return false, w.promotionState(name)
		}
		s := p.Status.StepExecutionMetadata[n-1]
		return s.Alias == "wait-for-pr" && s.Status == railyard.StepStatusRunning &&
			strings.Contains(s.Message, prURL), w.promotionState(name)
	})
}

// waitOnePR waits until the forge has a pull request and returns it, failing
// when there are more.
func waitOnePR(t *testing.T, forge *forgetest.Forge, what string) forgetest.PullRequest {
	t.Helper()
	var pr forgetest.PullRequest
	eventually(t, "the pull request of "+what, func() (bool, string) {
		prs := forge.PullRequests(t, prRepo)
		if len(prs) > 1 {
			t.Fatalf("%d pull requests, want 1: %+v", len(prs), prs)
		}
		if len(prs) == 0 {
			return false, "no pull request"
		}
		pr = prs[0]
		return true, ""
	})
	return pr
}

// stepOutput is output key of the step with alias in a Promotion's state.
func stepOutput(t *testing.T, p *railyard.Promotion, alias, key string) any {
	t.Helper()
	if p.Status.State == nil {
		t.Fatalf("Promotion %s has no state", p.Name)
	}
	var state map[string]map[string]any
	if err := json.Unmarshal(p.Status.State.Raw, &state); err != nil {
		t.Fatalf("Promotion %s state %s: %v", p.Name, p.Status.State.Raw, err)
	}
	return state[alias][key]
}

// appSyncRevision is the revision Application demo-prod reports synced.
func appSyncRevision(t *testing.T, w *world) string {
	t.Helper()
	app := &unstructured.Unstructured{}
	app.SetGroupVersionKind(argocd.GroupVersion.WithKind("Application"))
	if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: "argocd", Name: "demo-prod"}, app); err != nil {
		t.Fatal(err)
	}
	rev, _, _ := unstructured.NestedString(app.Object, "status", "sync", "revision")
	return rev
}
