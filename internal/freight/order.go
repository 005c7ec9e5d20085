package freight

import (
	"sort"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Newer orders Freight as Kargo's auto-promotion does, newest first: by
// when its artifacts were discovered (else when it was created). Those
// times have whole seconds only, and a busy Warehouse creates several
// Freight a second, so ties go to the precise discovery time the Warehouse
// records in railyard.AnnotationDiscoveredAt, and only then to the name
// (greatest first, as Kargo).
func Newer(a, b *railyard.Freight) bool {
	ta, tb := discoveredAt(a), discoveredAt(b)
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	pa, oka := preciseDiscoveredAt(a)
	pb, okb := preciseDiscoveredAt(b)
	if oka && okb && !pa.Equal(pb) {
		return pa.After(pb)
	}
	return a.Name > b.Name
}

// SortNewestFirst sorts fs by Newer.
func SortNewestFirst(fs []*railyard.Freight) {
	sort.SliceStable(fs, func(i, j int) bool { return Newer(fs[i], fs[j]) })
}

// discoveredAt is Kargo's effective discovery time, in whole seconds.
func discoveredAt(f *railyard.Freight) time.Time {
	if f.DiscoveredAt != nil && !f.DiscoveredAt.IsZero() {
		return f.DiscoveredAt.Time
	}
	return f.CreationTimestamp.Time
}

func preciseDiscoveredAt(f *railyard.Freight) (time.Time, bool) {
	v, ok := f.Annotations[railyard.AnnotationDiscoveredAt]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}

// StampDiscoveredAt records when f's artifacts were discovered, to the
// nanosecond, for Newer.
func StampDiscoveredAt(f *railyard.Freight, at time.Time) {
	if f.Annotations == nil {
		f.Annotations = map[string]string{}
	}
	f.Annotations[railyard.AnnotationDiscoveredAt] = at.UTC().Format(time.RFC3339Nano)
}
