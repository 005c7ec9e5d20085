package helmguard

import "testing"

func TestParseChartPull(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want chartPull
		ok   bool
	}{
		{name: "kustomize's form", args: []string{"pull", "--untar", "--untardir", "/w/charts/x-1.0.0", "--repo", "https://charts.example.com", "x", "--version", "1.0.0"},
			want: chartPull{repo: "https://charts.example.com", name: "x", version: "1.0.0", untardir: "/w/charts/x-1.0.0"}, ok: true},
		{name: "flags with =", args: []string{"pull", "--untar", "--untardir=charts", "--repo=http://r", "x", "--version=2"},
			want: chartPull{repo: "http://r", name: "x", version: "2", untardir: "/cwd/charts"}, ok: true},
		{name: "no version", args: []string{"pull", "--untar", "--untardir", "d", "--repo", "https://r", "x"}},
		{name: "oci", args: []string{"pull", "--untar", "--untardir", "d", "oci://r/x", "--version", "1"}},
		{name: "devel", args: []string{"pull", "--untar", "--untardir", "d", "--repo", "https://r", "x", "--version", "1", "--devel"}},
		{name: "no untar", args: []string{"pull", "--untardir", "d", "--repo", "https://r", "x", "--version", "1"}},
		{name: "credentials in the URL", args: []string{"pull", "--untar", "--untardir", "d", "--repo", "https://u:p@r", "x", "--version", "1"}},
		{name: "a path as name", args: []string{"pull", "--untar", "--untardir", "d", "--repo", "https://r", "../x", "--version", "1"}},
		{name: "template", args: []string{"template", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseChartPull("/cwd", tt.args)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseChartPull = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
