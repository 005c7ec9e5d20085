package freight

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestNewer(t *testing.T) {
	second := time.Date(2026, 12, 2, 4, 31, 26, 0, time.UTC)
	mk := func(name string, discovered time.Time, precise time.Time) *railyard.Freight {
		f := &railyard.Freight{ObjectMeta: metav1.ObjectMeta{Name: name}, DiscoveredAt: &metav1.Time{Time: discovered}}
		if !precise.IsZero() {
			StampDiscoveredAt(f, precise)
		}
		return f
	}
	tests := []struct {
		name string
		a, b *railyard.Freight
		want bool
	}{
		{name: "later second wins", a: mk("a", second.Add(time.Second), time.Time{}), b: mk("z", second, time.Time{}), want: true},
		{name: "earlier second loses", a: mk("z", second, time.Time{}), b: mk("a", second.Add(time.Second), time.Time{}), want: false},
		// Two Freight in one second: the precise time decides, not the
		// name (this ordering once auto-promoted the older of the two).
		{name: "same second, later nanos", a: mk("99cd", second, second.Add(800*time.Millisecond)), b: mk("aa47", second, second.Add(100*time.Millisecond)), want: true},
		{name: "same second, earlier nanos", a: mk("aa47", second, second.Add(100*time.Millisecond)), b: mk("99cd", second, second.Add(800*time.Millisecond)), want: false},
		{name: "no precise time: name, as Kargo", a: mk("b", second, time.Time{}), b: mk("a", second, time.Time{}), want: true},
		{name: "created, not discovered", a: &railyard.Freight{ObjectMeta: metav1.ObjectMeta{Name: "a", CreationTimestamp: metav1.Time{Time: second.Add(time.Hour)}}}, b: mk("z", second, time.Time{}), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Newer(tt.a, tt.b); got != tt.want {
				t.Errorf("Newer = %v, want %v", got, tt.want)
			}
		})
	}
}
