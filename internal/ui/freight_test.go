package ui_test

import (
	"html/template"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/testenv"
)

const (
	histNS   = "history"
	histGit  = "https://git.example.com/acme/deploy.git"
	histRepo = "registry.example.com/acme/web"
)

// commitID is a full-length commit hash starting with prefix.
func commitID(prefix string) string { return prefix + strings.Repeat("0", 40-len(prefix)) }

// seedHistory creates project "history": Warehouse web (image + git) whose
// discovery lists commits c5…c1 (newest first), Stage test running Freight
// "old" (v1.0.0, c2, verified there), Stage prod running nothing, and
// Freight "new" (v2.0.0, c5) approved for prod. It returns old and new.
func seedHistory(t *testing.T) (old, cur *railyard.Freight) {
	t.Helper()
	must(t, k8s.Create(testCtx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: histNS}}))
	must(t, k8s.Create(testCtx, &railyard.Project{ObjectMeta: metav1.ObjectMeta{Name: histNS}}))
	wh := &railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: histNS, Name: "web"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: histRepo}}, {Git: &railyard.GitSubscription{RepoURL: histGit, Branch: "main"}}}}}
	must(t, k8s.Create(testCtx, wh))
	var commits []railyard.DiscoveredCommit
	for _, c := range []string{"c5", "c4", "c3", "c2", "c1"} {
		commits = append(commits, railyard.DiscoveredCommit{ID: commitID(c), Branch: "main", Subject: "subject " + c})
	}
	commits[1].Subject = "<b>bold</b> subject c4" // markup shows as text
	wh.Status.DiscoveredArtifacts = &railyard.DiscoveredArtifacts{DiscoveredAt: metav1.Now(),
		Git: []railyard.GitDiscoveryResult{{RepoURL: histGit, Commits: commits}}}
	must(t, k8s.Status().Update(testCtx, wh))
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "web"}
	mk := func(alias, tag, commit string, at time.Time) *railyard.Freight {
		f := &railyard.Freight{ObjectMeta: metav1.ObjectMeta{Namespace: histNS, Labels: map[string]string{railyard.LabelAlias: alias}},
			Alias: alias, Origin: origin, DiscoveredAt: &metav1.Time{Time: at},
			Images:  []railyard.Image{{RepoURL: histRepo, Tag: tag}},
			Commits: []railyard.GitCommit{{RepoURL: histGit, ID: commitID(commit), Branch: "main", Message: "subject " + commit + "\n\nbody"}}}
		f.Name = freight.IDOf(f)
		must(t, k8s.Create(testCtx, f))
		return f
	}
	old = mk("old", "v1.0.0", "c2", time.Now().Add(-time.Hour))
	cur = mk("new", "v2.0.0", "c5", time.Now())
	since := metav1.NewTime(time.Now().Add(-30 * time.Minute))
	old.Status.CurrentlyIn = map[string]railyard.CurrentStage{"test": {Since: &since}}
	old.Status.VerifiedIn = map[string]railyard.VerifiedStage{"test": {VerifiedAt: &since}}
	must(t, k8s.Status().Update(testCtx, old))
	cur.Status.ApprovedFor = map[string]railyard.ApprovedStage{"prod": {ApprovedAt: &since}}
	must(t, k8s.Status().Update(testCtx, cur))
	for _, name := range []string{"test", "prod"} {
		st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: histNS, Name: name},
			Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: origin, Sources: railyard.FreightSources{Direct: true}}}}}
		must(t, k8s.Create(testCtx, st))
		if name == "test" {
			st.Status.FreightHistory = []railyard.FreightCollection{{ID: "c1", Freight: map[string]railyard.FreightReference{
				origin.String(): freight.Ref(old)}}}
			st.Status.Conditions = []metav1.Condition{{Type: railyard.ConditionVerified, Status: metav1.ConditionUnknown,
				Reason: railyard.ReasonVerificationRunning, Message: "AnalysisRun running", LastTransitionTime: metav1.Now()}}
			must(t, k8s.Status().Update(testCtx, st))
		}
	}
	return old, cur
}

// getPage GETs path until its body has every string of want (the cache
// catches up with the writes), then returns the body.
func getPage(t *testing.T, c *http.Client, path string, want ...string) string {
	t.Helper()
	var body string
	testenv.Eventually(t, 10*time.Second, func() error {
		resp, err := c.Get(uiURL + path)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		body = string(b)
		for _, w := range want {
			if !strings.Contains(body, w) {
				return errorf("GET %s: %d, lacks %q:\n%s", path, resp.StatusCode, w, body)
			}
		}
		return nil
	})
	return body
}

func TestFreightPages(t *testing.T) {
	old, cur := seedHistory(t)
	admin, _ := loggedIn(t, "dev-admin")

	t.Run("timeline newest first", func(t *testing.T) {
		body := getPage(t, admin, "/projects/"+histNS+"/freight", `data-freight="new"`, `data-freight="old"`,
			histRepo+":v2.0.0", "commit c500000 subject c5", "test (soaked 30m0s)")
		if strings.Index(body, `data-freight="new"`) > strings.Index(body, `data-freight="old"`) {
			t.Errorf("the timeline is not newest first:\n%s", body)
		}
		row := body[strings.Index(body, `data-freight="new"`):strings.Index(body, `data-freight="old"`)]
		if !strings.Contains(row, "<td>prod</td>") {
			t.Errorf("new is approved for prod; its row: %s", row)
		}
		row = body[strings.Index(body, `data-freight="old"`):]
		if !strings.Contains(row, `<td class="in">test</td>`) {
			t.Errorf("old runs in test; its row: %s", row)
		}
	})

	t.Run("timeline of one warehouse", func(t *testing.T) {
		body := getPage(t, admin, "/projects/"+histNS+"/freight?warehouse=nope", "This project has no Freight yet.")
		if strings.Contains(body, `data-freight="new"`) {
			t.Errorf("Freight of web shown for Warehouse nope:\n%s", body)
		}
		getPage(t, admin, "/projects/"+histNS+"/freight?warehouse=web", `data-freight="new"`, `data-freight="old"`, `<option value="web" selected>`)
	})

	t.Run("one freight, what changes for test", func(t *testing.T) {
		body := getPage(t, admin, "/projects/"+histNS+"/freight/"+cur.Name+"?stage=test",
			"Stage <a href=\"/projects/history/stages/test\">test</a> runs old", commitID("c5"),
			"<td>v1.0.0</td><td>v2.0.0</td>", "<td>c200000</td><td>c500000</td>",
			"subject c5", template.HTMLEscapeString("<b>bold</b> subject c4"), "subject c3")
		changes := body[strings.Index(body, `id="changes"`):]
		if strings.Contains(changes, "subject c2") || strings.Contains(changes, "not known") {
			t.Errorf("the commits between c2 and c5 are c3, c4 and c5, all known:\n%s", changes)
		}
		if strings.Contains(body, "<b>bold</b>") {
			t.Error("a commit subject's markup was not escaped")
		}
	})

	t.Run("a stage that runs nothing: commits not known", func(t *testing.T) {
		getPage(t, admin, "/projects/"+histNS+"/freight/"+old.Name+"?stage=prod",
			"runs nothing from this Warehouse", "Earlier commits are not known", "subject c2", "subject c1")
	})

	t.Run("a stage that does not request the warehouse", func(t *testing.T) {
		getPage(t, admin, "/projects/"+histNS+"/freight/"+cur.Name+"?stage=elsewhere",
			"Stage elsewhere does not request Freight from Warehouse web; compare with one that does: prod, test")
	})

	t.Run("linked from the pipeline and the stage page", func(t *testing.T) {
		getPage(t, admin, "/projects/"+histNS, `href="/projects/history/freight"`,
			`href="/projects/history/freight/`+old.Name+`?stage=test"`,
			// The pipeline shows each Stage's verification.
			`<span class="verification v-verifying">verifying</span>`)
		getPage(t, admin, "/projects/"+histNS+"/stages/test", `href="/projects/history/freight/`+cur.Name+`?stage=test"`)
	})

	t.Run("refusals", func(t *testing.T) {
		viewer, _ := loggedIn(t, "dev-viewer")
		for _, path := range []string{"/projects/" + histNS + "/freight", "/projects/" + histNS + "/freight/" + cur.Name} {
			resp, err := viewer.Get(uiURL + path)
			must(t, err)
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "may not") {
				t.Errorf("dev-viewer GET %s: %d %s", path, resp.StatusCode, body)
			}
		}
		resp, err := admin.Get(uiURL + "/projects/" + histNS + "/freight/nope")
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), cur.Name) {
			t.Errorf("a missing Freight: %d %s", resp.StatusCode, body)
		}
	})
}
