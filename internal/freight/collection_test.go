package freight

import (
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func ref(name, warehouse string) railyard.FreightReference {
	return railyard.FreightReference{Name: name, Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: warehouse}}
}

func TestWithFreightKeepsOtherOrigins(t *testing.T) {
	base := NewCollection(ref("a1", "app"), ref("c1", "config"))
	got := WithFreight(&base, ref("a2", "app"))
	if len(got.Freight) != 2 || got.Freight["Warehouse/app"].Name != "a2" || got.Freight["Warehouse/config"].Name != "c1" {
		t.Fatalf("unexpected collection %+v", got.Freight)
	}
	if got.ID == base.ID {
		t.Error("a collection with new Freight kept the old ID")
	}
	if empty := WithFreight(nil, ref("a1", "app")); len(empty.Freight) != 1 {
		t.Errorf("WithFreight(nil) = %+v", empty.Freight)
	}
}

func TestCollectionIDIgnoresOrder(t *testing.T) {
	if NewCollection(ref("a", "x"), ref("b", "y")).ID != NewCollection(ref("b", "y"), ref("a", "x")).ID {
		t.Fatal("collection ID depends on order")
	}
}

func TestPushHistory(t *testing.T) {
	var h []railyard.FreightCollection
	for i := 0; i < 12; i++ {
		h = PushHistory(h, NewCollection(ref(string(rune('a'+i)), "app")))
	}
	if len(h) != MaxHistory {
		t.Fatalf("history has %d entries, want %d", len(h), MaxHistory)
	}
	if h[0].Freight["Warehouse/app"].Name != "l" {
		t.Errorf("newest entry is %+v, want l", h[0].Freight)
	}
	// Pushing the current collection again does not duplicate it and keeps
	// its verification history.
	h[0].VerificationHistory = []railyard.VerificationInfo{{ID: "v1"}}
	again := PushHistory(h, NewCollection(ref("l", "app")))
	if len(again) != MaxHistory || again[1].Freight["Warehouse/app"].Name != "k" || len(again[0].VerificationHistory) != 1 {
		t.Errorf("re-pushing the current collection changed the history: %d entries, [1]=%+v", len(again), again[1].Freight)
	}
}

func TestSummary(t *testing.T) {
	one := NewCollection(ref("abc", "app"))
	two := NewCollection(ref("abc", "app"), ref("def", "config"))
	tests := []struct {
		name      string
		requested int
		current   *railyard.FreightCollection
		aliases   map[string]string
		want      string
	}{
		{"no freight yet", 1, nil, nil, "0/1 Fulfilled"},
		{"one origin, alias", 1, &one, map[string]string{"abc": "witty-otter"}, "witty-otter"},
		{"one origin, no alias", 1, &one, nil, "abc"},
		{"partly fulfilled", 2, &one, nil, "1/2 Fulfilled"},
		{"fulfilled", 2, &two, nil, "2/2 Fulfilled"},
		{"nothing requested", 0, nil, nil, "N/A"},
	}
	for _, tt := range tests {
		if got := Summary(tt.requested, tt.current, tt.aliases); got != tt.want {
			t.Errorf("%s: Summary = %q, want %q", tt.name, got, tt.want)
		}
	}
}
