package freight

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestChooserTarget(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	mk := func(name, alias string, age time.Duration, verifiedIn ...string) *railyard.Freight {
		f := &railyard.Freight{
			ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name, Labels: map[string]string{railyard.LabelAlias: alias},
				CreationTimestamp: metav1.NewTime(availNow.Add(-age))},
			Alias:  alias,
			Origin: appWH,
			Status: railyard.FreightStatus{VerifiedIn: map[string]railyard.VerifiedStage{}},
		}
		for _, s := range verifiedIn {
			f.Status.VerifiedIn[s] = railyard.VerifiedStage{VerifiedAt: ago(time.Hour)}
		}
		return f
	}
	older := mk("f-older", "old-otter", 3*time.Hour, "test")
	newer := mk("f-newer", "new-newt", 2*time.Hour, "test")
	unverified := mk("f-newest", "raw-rat", time.Hour)
	const originIndex = "origin"
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(older, newer, unverified).
		WithIndex(&railyard.Freight{}, originIndex, func(o client.Object) []string {
			return []string{o.(*railyard.Freight).Origin.String()}
		}).Build()
	staging := stageWith("staging", railyard.FreightSources{Stages: []string{"test"}})
	origin := appWH

	tests := []struct {
		name    string
		aliases bool
		freight string
		origin  *railyard.FreightOrigin
		want    string
		wantErr string
	}{
		{name: "by name", freight: "f-older", want: "f-older"},
		{name: "from upstream: newest verified upstream", origin: &origin, want: "f-newer"},
		{name: "alias refused for Promotions", freight: "old-otter", wantErr: `Freight "old-otter" does not exist`},
		{name: "alias taken for previews", aliases: true, freight: "old-otter", want: "f-older"},
		{name: "unknown alias", aliases: true, freight: "no-such", wantErr: `no Freight is named or aliased "no-such"`},
		{name: "not verified upstream", freight: "f-newest", wantErr: "not available to Stage staging"},
		{name: "neither", wantErr: "neither a Freight nor an origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := Chooser{Cache: c, APIReader: c, OriginIndex: originIndex, Aliases: tt.aliases}
			f, err := ch.Target(context.Background(), staging, tt.freight, tt.origin, availNow)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrUnavailable with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || f.Name != tt.want {
				t.Fatalf("Target = %v, %v; want %s", f, err, tt.want)
			}
		})
	}
}

// Freight named by a Promotion is taken from the cache when the cache's
// copy is available to the Stage; the API server is asked only when the
// cache lacks it or it is not available there yet (verified or approved a
// moment ago).
func TestChooserTargetReadsCacheFirst(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	freight := func(verified bool) *railyard.Freight {
		f := &railyard.Freight{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "f"}, Origin: appWH}
		if verified {
			f.Status.VerifiedIn = map[string]railyard.VerifiedStage{"test": {VerifiedAt: ago(time.Hour)}}
		}
		return f
	}
	staging := stageWith("staging", railyard.FreightSources{Stages: []string{"test"}})
	tests := []struct {
		name      string
		cached    *railyard.Freight // nil: not in the cache yet
		live      *railyard.Freight
		wantReads int
		wantErr   bool
	}{
		{name: "available in the cache", cached: freight(true), live: freight(true), wantReads: 0},
		{name: "not in the cache yet", live: freight(true), wantReads: 1},
		{name: "verified since the cache's copy", cached: freight(false), live: freight(true), wantReads: 1},
		{name: "unavailable in both", cached: freight(false), live: freight(false), wantReads: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fake.NewClientBuilder().WithScheme(scheme)
			if tt.cached != nil {
				cache = cache.WithObjects(tt.cached)
			}
			live := &countingReader{Reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(tt.live).Build()}
			ch := Chooser{Cache: cache.Build(), APIReader: live}
			f, err := ch.Target(context.Background(), staging, "f", nil, availNow)
			if tt.wantErr != (err != nil) {
				t.Fatalf("Target = %v, %v; want an error: %v", f, err, tt.wantErr)
			}
			if live.reads != tt.wantReads {
				t.Errorf("%d reads past the cache, want %d", live.reads, tt.wantReads)
			}
		})
	}
}

// countingReader counts the reads it serves.
type countingReader struct {
	client.Reader
	reads int
}

func (c *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.reads++
	return c.Reader.Get(ctx, key, obj, opts...)
}
