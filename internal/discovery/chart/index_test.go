package chart

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const helmStyleIndex = `apiVersion: v1
entries:
  nginx:
  - apiVersion: v2
    description: |
      A multi-line description that mentions
      	and has a tab
      nginx:
        and looks like keys
      apache:
        version: 9.9.9
    name: nginx
    created: "2024-01-01T00:00:00Z"
    digest: abc
    urls:
    - https://example.com/nginx-1.2.0.tgz
    version: 1.2.0
  - name: nginx
    version: "1.1.0"
  nginx-ingress:
  - name: nginx-ingress
    version: 4.0.0
  apache:
  - name: apache
    description: >-
      folded
    version: 7.0.0
generated: "2024-01-01T00:00:00Z"
`

func TestReadIndexVersions(t *testing.T) {
	longLine := strings.Repeat("x", 200<<10)
	tests := []struct {
		name    string
		index   string
		chart   string
		want    []string
		wantErr error
	}{
		{name: "helm layout", index: helmStyleIndex, chart: "nginx", want: []string{"1.2.0", "1.1.0"}},
		{name: "prefix of another chart", index: helmStyleIndex, chart: "nginx-ingress", want: []string{"4.0.0"}},
		{name: "last chart", index: helmStyleIndex, chart: "apache", want: []string{"7.0.0"}},
		{name: "indented sequence, quoted keys, comments, document marker", chart: "my chart",
			index: "---\n# comment\napiVersion: v1\ngenerated: x\nentries:\n    \"other\":\n        - version: 0.1.0\n    'my chart':  # trailing\n        # inner comment\n        - version: 2.0.0\n\n        - version: 1.0\n"},
		{name: "CRLF", index: "apiVersion: v1\r\nentries:\r\n  a:\r\n  - version: 1.0.0\r\n", chart: "a", want: []string{"1.0.0"}},
		{name: "very long line elsewhere", index: "apiVersion: v1\nentries:\n  b:\n  - description: " + longLine + "\n    version: 3.0.0\n  a:\n  - version: 1.0.0\n", chart: "a", want: []string{"1.0.0"}},
		{name: "JSON", index: `{"apiVersion":"v1","generated":"x","entries":{"b":[{"version":"9.0.0","urls":["u"]}],"a":[{"version":"1.0.0"},{"version":2.1},{"name":"no version"}]}}`, chart: "a", want: []string{"1.0.0", "2.1"}},
		{name: "JSON not found", index: `{"apiVersion":"v1","entries":{"b":[]}}`, chart: "a", wantErr: ErrNotFound},
		{name: "JSON null entries", index: `{"apiVersion":"v1","entries":null}`, chart: "a", wantErr: ErrNotFound},
		{name: "not found", index: helmStyleIndex, chart: "redis", wantErr: ErrNotFound},
		{name: "empty entries", index: "apiVersion: v1\nentries: {}\n", chart: "a", wantErr: ErrNotFound},
		{name: "no apiVersion", index: "entries:\n  a:\n  - version: 1.0.0\n", chart: "a", wantErr: ErrMalformedIndex},
		{name: "HTML", index: "<!DOCTYPE html>\n<html><body>Not Found</body></html>\n", chart: "a", wantErr: ErrMalformedIndex},
		{name: "empty", index: "\n\n", chart: "a", wantErr: ErrMalformedIndex},
		{name: "broken chart block", index: "apiVersion: v1\nentries:\n  a:\n  - version: [1.0\n", chart: "a", wantErr: ErrMalformedIndex},
		{name: "flow entries", index: "apiVersion: v1\nentries: {a: [{version: 1.0.0}]}\n", chart: "a", wantErr: ErrMalformedIndex},
		{name: "tab indentation", index: "apiVersion: v1\nentries:\n\ta:\n", chart: "a", wantErr: ErrMalformedIndex},
		{name: "bad indentation under entries", index: "apiVersion: v1\nentries:\n    a:\n    - version: 1.0.0\n  b:\n", chart: "a", wantErr: ErrMalformedIndex},
		{name: "broken JSON", index: `{"apiVersion":"v1","entries":{"a":[{"version":`, chart: "a", wantErr: ErrMalformedIndex},
	}
	tests[3].want = []string{"2.0.0", "1.0"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readIndexVersions(strings.NewReader(tt.index), tt.chart)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("versions = %q, want %q", got, tt.want)
			}
		})
	}
}
