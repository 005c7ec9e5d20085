package webhook

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func warehouse(name string, subs ...railyard.RepoSubscription) railyard.Warehouse {
	return railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kargo-demo", Name: name},
		Spec:       railyard.WarehouseSpec{Subscriptions: subs},
	}
}

func gitSub(u string) railyard.RepoSubscription {
	return railyard.RepoSubscription{Git: &railyard.GitSubscription{RepoURL: u}}
}

func imageSub(u string) railyard.RepoSubscription {
	return railyard.RepoSubscription{Image: &railyard.ImageSubscription{RepoURL: u}}
}

func chartSub(u, name string) railyard.RepoSubscription {
	return railyard.RepoSubscription{Chart: &railyard.ChartSubscription{RepoURL: u, Name: name}}
}

func TestMatch(t *testing.T) {
	whs := []railyard.Warehouse{
		warehouse("config-https", gitSub("https://github.com/acme/deploy-config")),
		warehouse("config-scp", gitSub("git@github.com:Acme/Deploy-Config.git")),
		warehouse("other-repo", gitSub("https://github.com/acme/other")),
		warehouse("nginx", imageSub("nginx")),
		warehouse("api-image", imageSub("ghcr.io/acme/api"), gitSub("https://github.com/acme/other")),
		warehouse("api-chart", chartSub("oci://ghcr.io/acme/charts/api", "")),
		warehouse("http-chart", chartSub("https://charts.acme.example", "api")),
		warehouse("empty"),
	}
	key := func(names ...string) []types.NamespacedName {
		var out []types.NamespacedName
		for _, n := range names {
			out = append(out, types.NamespacedName{Namespace: "kargo-demo", Name: n})
		}
		return out
	}
	cases := []struct {
		name string
		ev   Event
		want []types.NamespacedName
	}{
		{"git, every URL form", Event{GitURLs: []string{"https://github.com/acme/deploy-config", "ssh://github.com/acme/deploy-config"}}, key("config-https", "config-scp")},
		{"image from Docker Hub", Event{ImageRepos: []string{NormalizeImageRepo("library/nginx")}}, key("nginx")},
		{"image and chart candidates", Event{ImageRepos: []string{"ghcr.io/acme/api"}, ChartRepos: []string{"ghcr.io/acme/api"}}, key("api-image")},
		{"oci chart", Event{ChartRepos: []string{"ghcr.io/acme/charts/api"}}, key("api-chart")},
		{"chart is not an image", Event{ImageRepos: []string{"ghcr.io/acme/charts/api"}}, nil},
		{"http chart repository", Event{ChartRepos: []string{"https://charts.acme.example"}}, key("http-chart")},
		{"nobody subscribes", Event{GitURLs: []string{"https://github.com/acme/unknown"}, ImageRepos: []string{"docker.io/acme/unknown"}}, nil},
		{"ping refreshes nothing", Event{Ping: true, GitURLs: []string{"https://github.com/acme/deploy-config"}}, nil},
		{"ignored refreshes nothing", Event{Ignored: true, GitURLs: []string{"https://github.com/acme/deploy-config"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Match(c.ev, whs); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Match() = %v, want %v", got, c.want)
			}
		})
	}
}
